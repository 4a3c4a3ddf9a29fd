import FaceRuntime
import Foundation
import Interpreter
import XCTest

/// Uses the interpreter as a host tool would: its own sink, a host function, a chunk name,
/// an output folder, and cancellation from another thread.
final class EmbeddingTests: XCTestCase {
  func testHostEmbedding() throws {
    let folder = makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let recorder = Recorder()
    let model = FaceModel.makeRandom(latentSize: 8, trainingFaces: 20, seed: 11)
    let interpreter = Interpreter(
      model: model, sink: recorder.sink, options: .init(outputFolder: folder))
    interpreter.register("brightness", arity: 1...1) { arguments in
      guard case .face(let face) = arguments[0] else {
        throw HostError(message: "brightness needs a face")
      }
      let image = model.decode(face.latent)
      let total = image.pixels.reduce(0) { $0 + Int($1) }
      return .number(Double(total) / Double(image.pixels.count))
    }

    let script = """
      let f = random(3)
      print("brightness", brightness(f))
      show(f)
      save(f, "host.png")
      """
    try interpreter.evaluate(script, chunkName: "host-script.face")
    let image = model.decode(model.pca.randomLatent(seed: 3))
    let expected = Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixels.count)
    XCTAssertEqual(recorder.lines, ["brightness \(Value.number(expected))"])
    XCTAssertEqual(recorder.faces.map(\.latent), [model.pca.randomLatent(seed: 3)])
    XCTAssertEqual(recorder.saved, [folder + "/host.png"])

    do {
      try interpreter.evaluate("brightness(1)", chunkName: "second.face")
      XCTFail("expected the host function's error")
    } catch let error as InterpreterError {
      XCTAssertEqual(error.kind, .runtime)
      XCTAssertEqual(
        error.rendered,
        "second.face:1:1: error: brightness failed: brightness needs a face\n"
          + "brightness(1)\n^~~~~~~~~~~~~\n")
    }

    do {
      try interpreter.evaluate("save(f, \"../escape.png\")", chunkName: "third.face")
      XCTFail("expected the write to be rejected")
    } catch let error as InterpreterError {
      XCTAssertEqual(error.kind, .runtime)
      XCTAssertTrue(error.message.contains("leaves the output folder"))
    }

    let canceller = Thread {
      Thread.sleep(forTimeInterval: 0.2)
      interpreter.cancel()
    }
    canceller.start()
    let started = Date()
    do {
      try interpreter.evaluate("let n = 0\nwhile true { n += 1 }", chunkName: "spin.face")
      XCTFail("expected cancellation")
    } catch let error as InterpreterError {
      XCTAssertEqual(error.kind, .cancelled)
      XCTAssertEqual(error.message, "evaluation cancelled")
      XCTAssertTrue(error.rendered.hasPrefix("spin.face:2:1: error: evaluation cancelled"))
    }
    XCTAssertLessThan(Date().timeIntervalSince(started), 10)

    // The interpreter keeps working after a cancelled run.
    XCTAssertEqual(try interpreter.evaluate("brightness(f) > 0"), .bool(true))
  }

  func testCancelStopsRecursionAndForLoops() throws {
    let (interpreter, _) = makeInterpreter()
    for script in ["fn spin(n) { return spin(n) + 0 }\nfor i in 0 to 1e12 { }"] {
      DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { interpreter.cancel() }
      XCTAssertThrowsError(try interpreter.evaluate(script)) { error in
        XCTAssertEqual((error as? InterpreterError)?.kind, .cancelled)
      }
    }
  }

  func testMakeFaceRejectsNonFiniteLatents() {
    let (interpreter, _) = makeInterpreter()
    var latent = testModel.pca.mean
    latent[2] = .nan
    XCTAssertThrowsError(try interpreter.makeFace(latent: latent)) { error in
      XCTAssertEqual((error as? InterpreterError)?.kind, .runtime)
      XCTAssertEqual(
        (error as? InterpreterError)?.message,
        "makeFace(latent:) would make a face with NaN or infinite coordinates: its latent value "
          + "2 is nan")
    }
  }

  func testHostFacesFromAnotherModelAreRejected() throws {
    let (interpreter, recorder) = makeInterpreter()
    let other = Interpreter(model: degenerateModel)
    let foreign = try other.makeFace(latent: degenerateModel.pca.mean)
    let sameModel = try Interpreter(model: testModel).makeFace(latent: testModel.pca.mean)
    interpreter.register("foreign", arity: 0...0) { _ in .face(foreign) }
    interpreter.register("sameModel", arity: 0...0) { _ in .list([.face(sameModel)]) }
    XCTAssertEqual(
      failure(interpreter, "foreign()")?.message,
      "foreign returned a face or direction of another model")
    try interpreter.evaluate("let f = sameModel()[0]\nf.pc[1] = 1σ\nprint(f.pc[1])")
    XCTAssertEqual(recorder.lines, ["1σ"])
  }

  func testNestedEvaluateIsRejected() throws {
    let (interpreter, _) = makeInterpreter()
    let box = InterpreterBox(interpreter)
    interpreter.register("nested", arity: 0...0) { _ in
      do {
        try box.interpreter.evaluate("1")
        return .string("ran")
      } catch let error as InterpreterError {
        return .string(error.message)
      }
    }
    XCTAssertEqual(
      try interpreter.evaluate("nested()"),
      .string(
        "evaluate was called while another evaluation was running; an interpreter runs one "
          + "evaluation at a time"))
  }

  func testNamesInScopeForCompletion() throws {
    let (interpreter, _) = makeInterpreter()
    try interpreter.evaluate("let face1 = random(1)\naxis shirt = pc[1]\nfn helper() { }")
    interpreter.register("hostFunction") { _ in .nil }
    let names = interpreter.namesInScope()
    for name in [
      "face1", "shirt", "helper", "hostFunction", "lerp", "slerp", "sweep", "while", "pc",
    ] {
      XCTAssertTrue(names.contains(name), name)
    }
    XCTAssertEqual(names, names.sorted())
  }

  /// A `let` whose value fails declares nothing, as at a REPL after
  /// `let x = fit("missing.png")`: the name stays unknown until a later `let` binds it.
  func testFailedLetDeclaresNothing() throws {
    let (interpreter, _) = makeInterpreter()
    XCTAssertThrowsError(try interpreter.evaluate("let x = [1, 2][5]"))
    XCTAssertFalse(interpreter.namesInScope().contains("x"))
    XCTAssertThrowsError(try interpreter.evaluate("x")) { error in
      XCTAssertEqual((error as? InterpreterError)?.kind, .syntax)
      let message = (error as? InterpreterError)?.diagnostics.first?.message ?? ""
      XCTAssertTrue(message.contains("'x' has no value"), message)
      XCTAssertTrue(message.contains("failed earlier"), message)
    }
    XCTAssertEqual(try interpreter.evaluate("let x = 3\nx"), .number(3))

    // Names the failing chunk bound before it stopped stay, and a function it declared
    // reads the slot that a later `let` of the unbound name fills.
    XCTAssertThrowsError(
      try interpreter.evaluate(
        "let kept = 1\nfn later() { return y }\naxis tilt = pc[3]\n"
          + "let y = [1][3]\naxis lost = pc[2]"))
    let names = interpreter.namesInScope()
    XCTAssertTrue(names.contains("kept"))
    XCTAssertTrue(names.contains("later"))
    XCTAssertTrue(names.contains("tilt"))
    XCTAssertFalse(names.contains("y"))
    XCTAssertFalse(names.contains("lost"))
    XCTAssertEqual(try interpreter.evaluate("let y = 5\nlater()"), .number(5))
  }

  func testNeedsMoreInput() {
    XCTAssertTrue(Interpreter.needsMoreInput("fn f(x) {"))
    XCTAssertTrue(Interpreter.needsMoreInput("let xs = [1,"))
    XCTAssertTrue(Interpreter.needsMoreInput("f.pc[1] = "))
    XCTAssertFalse(Interpreter.needsMoreInput("let x = 1"))
    XCTAssertFalse(Interpreter.needsMoreInput("let x = )"))
    XCTAssertFalse(Interpreter.needsMoreInput("\"unterminated"))
  }

  func testDescribeValues() throws {
    let (interpreter, _) = makeInterpreter()
    XCTAssertEqual(
      interpreter.describe(.list([.number(1), .string("a"), .sigma(-0.5)])), "[1, \"a\", -0.5σ]")
    XCTAssertEqual(interpreter.describe(try interpreter.evaluate("lerp")), "builtin lerp(a, b, t)")
    XCTAssertEqual(interpreter.describe(.nil), "nil")
  }
}

/// Lets a host function refer to its own interpreter.
final class InterpreterBox: @unchecked Sendable {
  let interpreter: Interpreter
  init(_ interpreter: Interpreter) { self.interpreter = interpreter }
}

/// Evaluates source in an existing interpreter and returns the error it throws.
func failure(_ interpreter: Interpreter, _ source: String) -> InterpreterError? {
  do {
    try interpreter.evaluate(source, chunkName: "test.face")
  } catch let error as InterpreterError {
    return error
  } catch {}
  XCTFail("expected an InterpreterError")
  return nil
}

struct HostError: Error, CustomStringConvertible {
  let message: String
  var description: String { message }
}
