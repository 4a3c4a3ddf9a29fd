import FaceRuntime
import Foundation
import Interpreter
import XCTest

final class FaceTests: XCTestCase {
  let pca = testModel.pca

  /// Evaluates source and returns the named global as a face.
  func face(_ name: String, after source: String) throws -> Face {
    let (interpreter, _) = makeInterpreter()
    try interpreter.evaluate(source)
    guard case .face(let face)? = interpreter.global(name) else {
      XCTFail("'\(name)' is not a face")
      throw CocoaError(.featureUnsupported)
    }
    return face
  }

  func testRandomFaceMatchesPortableGenerator() throws {
    let random = try face("f", after: "let f = random(42)")
    XCTAssertEqual(random.latent, pca.randomLatent(seed: 42))
    let truncated = try face("f", after: "let f = random(42, 0.5)")
    XCTAssertEqual(truncated.latent, pca.randomLatent(seed: 42, truncation: 0.5))
  }

  func testMeanAndTrainingFaces() throws {
    XCTAssertEqual(try face("m", after: "let m = mean()").latent, pca.mean)
    XCTAssertEqual(
      try face("t", after: "let t = training(3)").latent, testModel.trainingLatent(at: 3))
  }

  func testSettingACoordinateMovesAlongTheAxis() throws {
    let original = pca.randomLatent(seed: 5)
    let edited = try face("f", after: "let f = random(5)\nf.pc[1] = -2σ")
    let before = pca.projections(of: original)
    let after = pca.projections(of: edited.latent)
    XCTAssertEqual(Double(after[0]), -2 * Double(pca.sigma[0]), accuracy: 1e-4)
    for k in 1..<pca.dimension {
      XCTAssertEqual(after[k], before[k], accuracy: 1e-4, "pc[\(k + 1)] moved")
    }
  }

  func testReadingCoordinatesInSigmaUnits() {
    let source = """
      let f = random(9)
      f.pc[1] = -2σ
      f.pc[2] = 1σ
      f.pc[2] += 0.5σ
      print(f.pc[1], f.pc[2])
      """
    XCTAssertEqual(printed(source), ["-2σ 1.5σ"])
    let projection = Double(pca.projections(of: pca.randomLatent(seed: 9))[2])
    let expected = projection / Double(pca.sigma[2])
    let lines = printed("let f = random(9)\nprint(f.pc[3] / 1σ)")
    XCTAssertEqual(Double(lines[0])!, expected, accuracy: 1e-6)
  }

  func testFacesAreValues() {
    let source = """
      let a = random(1)
      let b = a
      b.pc[1] = 3σ
      print(a.pc[1] == b.pc[1], b.pc[1])
      let c = a with { pc[1] = -1σ }
      print(c.pc[1], a.pc[1] == c.pc[1])
      let list = [a]
      list[0].pc[2] = 2σ
      print(list[0].pc[2], a.pc[2] == 2σ)
      """
    XCTAssertEqual(printed(source), ["false 3σ", "-1σ false", "2σ false"])
  }

  func testNamedAxes() {
    let source = """
      axis shirt = pc[1]
      let f = random(2)
      f.shirt = 2σ
      print(f.pc[1], f.shirt, shirt)
      let g = f with { shirt -= 0.5σ, pc[2] = 0σ }
      print(g.shirt, g.pc[2])
      """
    XCTAssertEqual(printed(source), ["2σ 2σ axis shirt = pc[1]", "1.5σ 0σ"])
  }

  func testBarePcEditsCurrentFace() throws {
    let (interpreter, recorder) = makeInterpreter()
    try interpreter.evaluate("let f = random(3)\npc[1] = -2σ\npc[2] += 1σ\nprint(f.pc[1], pc[1])")
    XCTAssertEqual(recorder.lines, ["-2σ -2σ"])
    try interpreter.evaluate("let g = random(4)\npc[1] = 1σ\nprint(f.pc[1], g.pc[1])")
    XCTAssertEqual(recorder.lines.last, "-2σ 1σ")
    try interpreter.evaluate("show(f)\npc[3] = 0.5σ\nprint(f.pc[3])\nshow(random(8))\npc[1] = 0σ")
    XCTAssertEqual(recorder.lines.last, "0.5σ")
    XCTAssertEqual(recorder.faces.count, 2)
    guard case .face(let f)? = interpreter.global("f") else { return XCTFail("f is not a face") }
    XCTAssertEqual(interpreter.describe(.face(f)).hasPrefix("face(pc1 "), true)
    let current = try XCTUnwrap(interpreter.currentFace)
    XCTAssertEqual(pca.projections(of: current.latent)[0], 0, accuracy: 1e-5)
  }

  func testBarePcWithoutCurrentFace() {
    XCTAssertEqual(
      failure("pc[1] = 1σ")?.message,
      "there is no current face; assign a face to a variable or show one first, as in "
        + "let f = random(1)")
  }

  func testFaceAlgebra() throws {
    let source = """
      let a = random(1)
      let b = random(2)
      let d = b - a
      let halfway = a + 0.5 * d
      let back = halfway - 0.5 * d
      print(type(d), type(halfway))
      """
    XCTAssertEqual(printed(source), ["direction face"])
    let halfway = try face(
      "h", after: "let a = random(1)\nlet b = random(2)\nlet h = a + 0.5 * (b - a)")
    let a = pca.randomLatent(seed: 1)
    let b = pca.randomLatent(seed: 2)
    for i in 0..<a.count {
      XCTAssertEqual(halfway.latent[i], (a[i] + b[i]) / 2, accuracy: 1e-5)
    }
  }

  func testAddingFacesSuggestsInterpolation() {
    let error = failure("let a = random(1)\nlet b = a + random(2)")
    XCTAssertEqual(error?.kind, .runtime)
    XCTAssertEqual(
      error?.rendered,
      """
      test.face:2:11: error: cannot add two faces; to blend faces use lerp(a, b, t) or \
      slerp(a, b, t), and to move a face add a direction such as t * (b - a)
      let b = a + random(2)
                ^

      """)
  }

  func testLerpEndpointsAreExact() throws {
    let a = pca.randomLatent(seed: 1)
    let b = pca.randomLatent(seed: 2)
    XCTAssertEqual(try face("x", after: "let x = lerp(random(1), random(2), 0)").latent, a)
    XCTAssertEqual(try face("x", after: "let x = lerp(random(1), random(2), 1)").latent, b)
    XCTAssertEqual(try face("x", after: "let x = slerp(random(1), random(2), 0)").latent, a)
    XCTAssertEqual(try face("x", after: "let x = slerp(random(1), random(2), 1)").latent, b)
  }

  func testSlerpKeepsDistanceFromMean() throws {
    let mid = try face("x", after: "let x = slerp(random(1), random(2), 0.5)").latent
    let a = pca.randomLatent(seed: 1)
    let b = pca.randomLatent(seed: 2)
    func distance(_ v: [Float]) -> Double {
      zip(v, pca.mean).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    }
    let linearMid = zip(a, b).map { ($0 + $1) / 2 }
    XCTAssertGreaterThan(distance(mid), distance(linearMid))
    XCTAssertEqual(distance(mid), (distance(a) + distance(b)) / 2, accuracy: 0.2 * distance(a))
  }

  func testSlerpDegenerateInputsNeverGiveNaN() throws {
    let cases = [
      "slerp(random(1), random(1), 0.3)",
      "slerp(random(1), random(1) with { pc[1] += 0.000001σ }, 0.5)",
      "slerp(mean(), random(1), 0.5)",
      "slerp(mean(), mean(), 0.5)",
      "slerp(random(1), mean() - (random(1) - mean()), 0.5)",
      "slerp(random(1), mean() - 1.0001 * (random(1) - mean()), 0.25)",
      "slerp(random(1), random(2), -0.5)",
      "slerp(random(1), random(2), 2)",
    ]
    for expression in cases {
      let result = try face("x", after: "let x = \(expression)")
      XCTAssertFalse(result.latent.contains { !$0.isFinite }, expression)
    }
  }

  func testSlerpOfIdenticalFacesIsThatFace() throws {
    let same = try face("x", after: "let x = slerp(random(1), random(1), 0.3)")
    let a = pca.randomLatent(seed: 1)
    for i in 0..<a.count {
      XCTAssertEqual(same.latent[i], a[i], accuracy: 1e-6)
    }
  }

  func testDescribeFace() throws {
    let (interpreter, _) = makeInterpreter()
    let value = try interpreter.evaluate(
      "let f = mean()\nf.pc[1] = 1.84σ\nf.pc[3] = -1.2σ\nf.pc[2] = 0.7σ\nf.pc[4] = 0.1σ\nf")
    XCTAssertEqual(interpreter.describe(value), "face(pc1 +1.8σ, pc3 \u{2212}1.2σ, pc2 +0.7σ, …)")
    XCTAssertEqual(
      try interpreter.evaluate(
        "str(random(1) - random(1) + (mean() with { pc[2] = 2σ }) - mean())"),
      .string("direction(pc2 +2.0σ)"))
    XCTAssertEqual(
      interpreter.describe(try interpreter.evaluate("mean()")), "face(all coordinates 0.0σ)")
  }

  func testZeroSigmaAxis() {
    let error = failure("let f = random(1)\nf.pc[6] = 1σ", model: degenerateModel)
    XCTAssertEqual(
      error?.message,
      "pc[6] has σ = 0 in this model, whose training faces span only 3 of its 8 axes, so it "
        + "has no σ units; use an axis from pc[1] to pc[3]")
  }

  func testPcIndexOutOfRange() {
    XCTAssertEqual(
      failure("let f = random(1)\nprint(f.pc[99])")?.message,
      "pc index 99 is out of range; this model has axes pc[1] to pc[8]")
    XCTAssertEqual(
      failure("let f = random(1)\nlet k = 0\nf.pc[k] = 1σ")?.message,
      "pc index 0 is out of range; this model has axes pc[1] to pc[8]")
  }

  func testPcIndexOutOfRangeNamesSpannedAxes() {
    XCTAssertEqual(
      failure("let f = random(1)\nprint(f.pc[9])", model: degenerateModel)?.message,
      "pc index 9 is out of range; this model has axes pc[1] to pc[8], of which pc[1] to pc[3] "
        + "have σ > 0")
  }

  func testTrainingIndexOutOfRange() {
    XCTAssertEqual(
      failure("training(20)")?.message,
      "training face index 20 is out of range; this model has training faces 0 to 19")
  }

  func testTrainingIndexMustBeWhole() {
    XCTAssertEqual(
      failure("training(0.5)")?.message,
      "a training face index must be a whole number, got 0.5; this model has training faces "
        + "0 to 19")
    XCTAssertEqual(
      failure("training(number(\"nan\"))")?.message,
      "a training face index must be a whole number, got nan; this model has training faces "
        + "0 to 19")
  }

  func testHugeSigmaValuesAreRejected() throws {
    let prefix =
      "pc[1] = 1e+300σ is too large: the face's latent vector would not be finite in single "
      + "precision; for this face pc[1] must be between \u{2212}"
    // The inline path for a literal axis on a global and on a local, then the checked paths
    // for +=, a computed axis, 'with' and the current face.
    let sources = [
      "let f = random(1)\nf.pc[1] = 1e300σ",
      "fn g() {\n  let f = random(1)\n  f.pc[1] = 1e300σ\n}\ng()",
      "let f = random(1)\nf.pc[1] += 1e300σ",
      "let f = random(1)\nlet i = 1\nf.pc[i] = 1e300σ",
      "let f = random(1) with { pc[1] = 1e300σ }",
      "let f = random(1)\npc[1] = 1e300σ",
    ]
    for source in sources {
      let message = failure(source)?.message ?? ""
      XCTAssertTrue(message.hasPrefix(prefix), "\(source): \(message)")
    }
    // The range in the message works, and the face keeps its value after a rejected edit.
    let (interpreter, recorder) = makeInterpreter()
    try interpreter.evaluate("let f = random(1)\nf.pc[1] = 2σ")
    var upper = ""
    do {
      try interpreter.evaluate("f.pc[1] = 1e300σ")
    } catch let error as InterpreterError {
      upper = String(error.message.split(separator: " ").last ?? "")
    }
    XCTAssertTrue(upper.hasPrefix("+"), upper)
    XCTAssertTrue(upper.hasSuffix("σ"), upper)
    try interpreter.evaluate("print(f.pc[1])\nf.pc[1] = \(upper)\nprint(latent(f)[0] * 0 == 0)")
    XCTAssertEqual(recorder.lines, ["2σ", "true"])
  }

  func testSweepRejectsHugeSigmaValues() {
    let folder = makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let options = Interpreter.Options(outputFolder: folder)
    let source = "sweep(random(1), 1, [1σ, 1e300σ], \"s.png\")"
    let message = failure(source, options: options)?.message ?? ""
    XCTAssertTrue(
      message.hasPrefix(
        "element 1 of 'values' in sweep(face, axis, values, path): pc[1] = 1e+300σ is too "
          + "large"), message)
  }

  func testArithmeticNeverMakesNonFiniteFaces() {
    let cases: [(String, String)] = [
      (
        "let f = random(1) + number(\"nan\") * (random(2) - random(1))",
        "cannot multiply a direction by nan; the factor must be a finite number"
      ),
      (
        "let d = (random(2) - random(1)) / number(\"-inf\")",
        "cannot divide a direction by -inf; the divisor must be a finite number"
      ),
      (
        "let d = (random(2) - random(1)) * 1e300",
        "multiplying a direction by 1e+300 would make a direction with NaN or infinite "
          + "coordinates: its latent value "
      ),
      (
        "let d = (random(2) - random(1)) / 1e-300",
        "dividing a direction by 1e-300 would make a direction with NaN or infinite "
          + "coordinates: its latent value "
      ),
      (
        "let d = (random(2) - random(1)) * 5e37\nlet f = mean() + d + d",
        "adding a direction to a face would make a face with NaN or infinite coordinates: "
      ),
      (
        "let d = (random(2) - random(1)) * 5e37\nlet e = d + d",
        "adding two directions would make a direction with NaN or infinite coordinates: "
      ),
      (
        "let f = lerp(random(1), random(2), 1e300)",
        "lerp(a, b, t) with t = 1e+300 would make a face with NaN or infinite coordinates: "
      ),
      (
        "let f = slerp(random(1), random(2), -1e300)",
        "slerp(a, b, t) with t = -1e+300 would make a face with NaN or infinite coordinates: "
      ),
      (
        "let d = lerp(random(1) - mean(), random(2) - mean(), 1e300)",
        "lerp(a, b, t) with t = 1e+300 would make a direction with NaN or infinite coordinates: "
      ),
      (
        "let f = random(1, 1e300)",
        "random(1, 1e+300) would make a face with NaN or infinite coordinates: "
      ),
    ]
    for (source, prefix) in cases {
      let error = failure(source)
      XCTAssertEqual(error?.kind, .runtime, source)
      let message = error?.message ?? ""
      XCTAssertTrue(message.hasPrefix(prefix), "\(source): \(message)")
    }
    let message = failure("let d = (random(2) - random(1)) * 1e300")?.message ?? ""
    XCTAssertTrue(message.contains("; for this direction the factor must be at most "), message)
  }

  func testHugeCoordinatesPrintBriefly() throws {
    let (interpreter, _) = makeInterpreter()
    let value = try interpreter.evaluate(
      "let f = mean()\nf.pc[2] = -7.212509206034879e30σ\nf.pc[1] = 1234567σ\nf")
    XCTAssertEqual(
      interpreter.describe(value), "face(pc2 \u{2212}7.2e30σ, pc1 +1.2e6σ)")
  }
}
