import FaceRuntime
import LatentLang

/// Runs face-language source against one face model.
///
/// An interpreter keeps its top-level variables, functions and axes from one `evaluate`
/// call to the next, as a REPL needs. It sends everything scripts print, show and save to the
/// `OutputSink` it was given and never prints by itself. Call it from one thread at a time;
/// only `cancel()` may be called from any thread while `evaluate` runs.
public final class Interpreter: @unchecked Sendable {
  /// Limits and the output folder.
  public struct Options: Sendable {
    /// The folder that scripts write into, or nil to let them write anywhere. With a folder,
    /// script paths are relative to it, and absolute paths and `..` that leave it are
    /// rejected.
    public var outputFolder: String?
    /// The folder that `fit` and `psnr` read photos from, or nil to let them read anywhere.
    /// With a folder, paths are relative to it and may not leave it.
    public var inputFolder: String?
    /// The maximum number of loop iterations plus function calls in one `evaluate`.
    public var stepLimit: Int
    /// The deepest that function calls may nest.
    public var recursionLimit: Int
    /// The maximum number of elements in one list.
    public var maximumListLength: Int
    /// The maximum number of UTF-8 bytes in one string.
    public var maximumStringLength: Int

    /// Creates options; the defaults limit recursion to 200 calls and nothing else that a
    /// normal script would reach.
    public init(
      outputFolder: String? = nil, inputFolder: String? = nil, stepLimit: Int = Int.max,
      recursionLimit: Int = 200, maximumListLength: Int = 10_000_000,
      maximumStringLength: Int = 100_000_000
    ) {
      self.outputFolder = outputFolder
      self.inputFolder = inputFolder
      self.stepLimit = stepLimit
      self.recursionLimit = recursionLimit
      self.maximumListLength = maximumListLength
      self.maximumStringLength = maximumStringLength
    }
  }

  /// The language's keywords, for completion.
  public static let keywords: [String] = TokenKind.keywords.keys.sorted()

  let machine: Machine
  private var builtins = Builtins.all()
  /// Top-level names with their global slots.
  private var globalSlots: [String: Int] = [:]
  /// Names a failed evaluation declared but never bound, with their slots (see `run`).
  private var unboundSlots: [String: Int] = [:]
  /// Names declared with `axis` so far, for suggestions.
  private var axisNames: Set<String> = []
  private var isEvaluating = false

  /// Creates an interpreter for a model.
  ///
  /// - Parameters:
  ///   - model: The face model whose latent space scripts explore.
  ///   - sink: Where printed lines, shown faces and saved paths go.
  ///   - options: The output folder and limits.
  public init(model: FaceModel, sink: OutputSink = OutputSink(), options: Options = Options()) {
    machine = Machine(model: model, sink: sink, options: options)
  }

  /// Adds a function that scripts can call, or replaces a builtin of the same name.
  ///
  /// - Parameters:
  ///   - name: The name scripts call it by; a letter or `_`, then letters, digits or `_`.
  ///   - arity: The allowed argument counts; nil allows any number.
  ///   - body: The implementation. It runs on the evaluation thread. An error it throws
  ///     stops the script with a runtime error whose message is the error's description.
  public func register(
    _ name: String, arity: ClosedRange<Int>? = nil,
    _ body: @escaping @Sendable ([Value]) throws -> Value
  ) {
    precondition(isValidName(name), "'\(name)' is not a valid function name")
    var parameters = "..."
    if let arity {
      parameters = (0..<arity.lowerBound).map { "x\($0 + 1)" }.joined(separator: ", ")
      if arity.upperBound > arity.lowerBound {
        parameters += arity.lowerBound > 0 ? ", ..." : "..."
      }
    }
    let signature = "\(name)(\(parameters))"
    builtins[name] = Builtin(signature, arity: arity ?? 0...Int.max) { machine, arguments in
      let result: Value
      do {
        result = try body(arguments.values)
      } catch let error as ScriptError {
        throw error
      } catch {
        throw ScriptError("\(name) failed: \(error)")
      }
      return try machine.adopt(result, from: name)
    }
  }

  private func isValidName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, TokenKind.keywords[name] == nil else {
      return false
    }
    let letters = first == "_" || ("a"..."z").contains(first) || ("A"..."Z").contains(first)
    return letters
      && name.unicodeScalars.allSatisfy {
        $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0)
          || ("0"..."9").contains($0)
      }
  }

  /// Compiles and runs source.
  ///
  /// The work runs on a thread with a large stack, so deep nesting ends in a clean error
  /// instead of a stack overflow. This call waits for it.
  /// - Parameters:
  ///   - source: The source text.
  ///   - chunkName: The name that messages show for this source, such as a file path.
  /// - Returns: The value of the last statement if it is an expression, otherwise nil.
  /// - Throws: `InterpreterError` with kind `.syntax` when the source does not compile,
  ///   `.runtime` when running fails and `.cancelled` after `cancel()`.
  @discardableResult
  public func evaluate(_ source: String, chunkName: String = "<input>") throws -> Value {
    guard !isEvaluating else {
      let message =
        "evaluate was called while another evaluation was running; an interpreter runs one "
        + "evaluation at a time"
      let file = SourceFile(name: chunkName, text: source)
      throw InterpreterError(
        kind: .runtime,
        diagnostics: [Diagnostic(.error, message, in: file, at: SourceRange(start: 0, end: 0))])
    }
    isEvaluating = true
    defer { isEvaluating = false }
    machine.cancelFlag.clear()
    machine.steps = 0
    let file = SourceFile(name: chunkName, text: source)
    let outcome = StackThread.run { Result { try self.run(file) } }
    return try outcome.get()
  }

  private func run(_ file: SourceFile) throws -> Value {
    let parsed = Parser.parse(file)
    guard parsed.diagnostics.isEmpty else {
      throw InterpreterError(kind: .syntax, diagnostics: parsed.diagnostics)
    }
    let compiler = Compiler(
      tree: parsed.tree, file: file, machine: machine, knownGlobals: globalSlots,
      unboundGlobals: unboundSlots, builtins: builtins, axisNames: axisNames)
    guard let chunk = compiler.compileChunk() else {
      throw InterpreterError(kind: .syntax, diagnostics: compiler.diagnostics)
    }
    let earlierAxisNames = axisNames
    axisNames = compiler.axisNames
    let newNames = chunk.declaredGlobals.filter { globalSlots[$0.key] == nil }
    globalSlots.merge(chunk.declaredGlobals) { _, new in new }
    for name in newNames.keys { unboundSlots[name] = nil }
    for (slot, function) in chunk.hoisted {
      machine.globals[slot] = .function(function)
    }
    let frame = Frame.allocate(capacity: max(chunk.slotCount, 1))
    frame.initialize(repeating: .nil, count: chunk.slotCount)
    defer {
      frame.deinitialize(count: chunk.slotCount)
      frame.deallocate()
      machine.callDepth = 0
      machine.returnValue = .nil
    }
    machine.lastValue = .nil
    do {
      _ = try chunk.body(machine, frame)
    } catch let error as ScriptError {
      // A name this chunk declared is not declared after all when running stopped before
      // its `let` or `axis` bound it, so `let x = fit("missing.png")` leaves no nil `x`.
      for (name, slot) in newNames {
        guard case .nil = machine.globals[slot] else { continue }
        globalSlots[name] = nil
        unboundSlots[name] = slot
        if !earlierAxisNames.contains(name) { axisNames.remove(name) }
      }
      let start = Location(file: file, range: SourceRange(start: 0, end: 0))
      throw error.publicError(fallback: start)
    }
    let result = machine.lastValue
    machine.lastValue = .nil
    return result
  }

  /// Stops the evaluation running now, from any thread. It ends with an
  /// `InterpreterError` of kind `.cancelled` at the next loop iteration, call or saved file.
  /// Has no effect when nothing is running.
  public func cancel() {
    machine.cancelFlag.raise()
  }

  /// Checks whether source fails to parse only because it ends too early, such as an open
  /// block or a line ending in an operator. A REPL then reads another line.
  public static func needsMoreInput(_ source: String) -> Bool {
    Parser.parse(SourceFile(name: "<input>", text: source)).endedEarly
  }

  /// Lists every name a script could use here: top-level variables, functions and axes,
  /// builtins, host functions and keywords, sorted, for tab completion.
  public func namesInScope() -> [String] {
    Array(Set(globalSlots.keys).union(builtins.keys).union(Interpreter.keywords)).sorted()
  }

  /// Describes a value as `print` writes it; a face is a short summary of its largest PCA
  /// coordinates, such as `face(pc1 +1.8σ, pc3 −1.2σ, pc2 +0.7σ, …)`.
  public func describe(_ value: Value) -> String {
    ValueFormat.describe(value, quoted: false)
  }

  /// The face that a bare `pc[N]` edits: the face last assigned to a top-level variable or
  /// shown; nil if there is none.
  public var currentFace: Face? {
    try? machine.currentFaceValue()
  }

  /// A count that grows whenever code assigns, edits or shows the current face. Comparing it
  /// before and after `evaluate` tells whether the entry touched the current face.
  public var currentFaceUpdates: Int { machine.state.pointee.currentFaceUpdates }

  /// Returns the value of a top-level variable, or nil if there is none by that name.
  public func global(_ name: String) -> Value? {
    globalSlots[name].map { machine.globals[$0] }
  }

  /// Measures how far `face` lies from the model's training faces: its Mahalanobis distance
  /// from the mean face and the axes on which it is beyond all of them.
  public func typicality(of face: Face) -> Typicality {
    machine.trainingFaces.typicality(of: face.latent)
  }

    /// Makes a face from a latent vector, for host functions that return faces.
  ///
  /// - Throws: `InterpreterError` of kind `.runtime` when the vector's length is not the
  ///   model's latent size, or when a value is NaN or infinite or the face's coordinates
  ///   would overflow single precision.
  public func makeFace(latent: [Float]) throws -> Face {
    let message: String
    if latent.count != machine.basis.dimension {
      message =
        "a latent vector for this model has \(machine.basis.dimension) values, got "
        + "\(latent.count)"
    } else if let face = Face(latent: latent, basis: machine.basis) {
      return face
    } else {
      message =
        machine.basis.nonFiniteError("makeFace(latent:)", making: "a face", from: latent).message
    }
    let file = SourceFile(name: "<host>", text: "")
    throw InterpreterError(
      kind: .runtime,
      diagnostics: [Diagnostic(.error, message, in: file, at: SourceRange(start: 0, end: 0))])
  }
}
