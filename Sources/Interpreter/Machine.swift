import FaceRuntime
import LatentLang
import Synchronization

/// The local variables of one function call, indexed by the slots the compiler assigned.
typealias Frame = UnsafeMutablePointer<Value>
/// Compiled code for an expression.
typealias Evaluator = (Machine, Frame) throws -> Value
/// Compiled code for a statement. The result is the way control leaves it.
typealias Executor = (Machine, Frame) throws -> Flow

/// The way control leaves a statement.
enum Flow {
  case normal
  case breakLoop
  case continueLoop
  /// A `return` ran; the value is in `Machine.returnValue`.
  case returned
}

/// A function declared with `fn`, compiled.
final class UserFunction {
  let name: String
  let parameters: [String]
  /// Frame size: parameters first, then every local the body declares.
  var slotCount = 0
  var body: Executor = { _, _ in .normal }

  init(name: String, parameters: [String]) {
    self.name = name
    self.parameters = parameters
  }
}

/// A function implemented in Swift: a builtin or a host function.
final class Builtin {
  let name: String
  /// The call as documentation writes it, such as `lerp(a, b, t)`; messages quote it.
  let signature: String
  let arity: ClosedRange<Int>
  let body: (Machine, [Value]) throws -> Value

  /// Creates a builtin from its documented call, such as `lerp(a, b, t)`, and its body.
  init(
    _ signature: String, arity: ClosedRange<Int>,
    body: @escaping (Machine, Arguments) throws -> Value
  ) {
    self.name = String(signature.prefix { $0 != "(" })
    self.signature = signature
    self.arity = arity
    self.body = { machine, values in
      try body(machine, Arguments(signature: signature, values: values))
    }
  }

  /// Checks the argument count, with a message that shows the signature.
  func checkArity(_ count: Int) throws {
    guard !arity.contains(count) else { return }
    let expected: String
    if arity.lowerBound == arity.upperBound {
      expected = "\(arity.lowerBound) argument\(arity.lowerBound == 1 ? "" : "s")"
    } else if arity.upperBound == Int.max {
      expected = "at least \(arity.lowerBound) argument\(arity.lowerBound == 1 ? "" : "s")"
    } else {
      expected = "\(arity.lowerBound) to \(arity.upperBound) arguments"
    }
    throw ScriptError("\(name) expects \(expected), as in \(signature), but got \(count)")
  }
}

/// A flag that another thread raises to stop a running evaluation.
final class CancelFlag: Sendable {
  private let raised = Atomic<Bool>(false)

  var isRaised: Bool { raised.load(ordering: .relaxed) }

  func raise() { raised.store(true, ordering: .relaxed) }

  func clear() { raised.store(false, ordering: .relaxed) }
}

/// The face that a bare `pc[N]` reads and edits.
enum CurrentFace {
  case none
  /// The face in a top-level variable.
  case global(slot: Int)
  /// A face that was shown without being in a variable.
  case detached(Face)
}

/// The fields of `Machine` that running code changes all the time.
///
/// They live behind a pointer rather than in stored properties of the class, because Swift
/// checks exclusive access to a class's stored `var`s at run time on every access, which
/// was a fifth of the time of a tight loop.
struct MachineState {
  var steps = 0
  var callDepth = 0
  /// The value of the last `return`.
  var returnValue: Value = .nil
  /// The value of the chunk's last expression statement.
  var lastValue: Value = .nil
  var currentFace: CurrentFace = .none
  /// Counts assignments and edits of the current face, so a host can tell whether an
  /// evaluation touched it even when the face ends up equal to what it was.
  var currentFaceUpdates = 0
  /// The statement of the builtin call running now, which saved PNGs record.
  var statement: Location?
}

/// The state of a running interpreter: globals, limits, output and the call depth.
final class Machine {
  /// The maximum number of top-level names in one interpreter. Global storage is allocated
  /// once at this size, so compiled code can keep pointers into it.
  static let globalCapacity = 1 << 16

  let model: FaceModel
  let basis: FaceBasis
  let sink: OutputSink
  let output: OutputPolicy
  let input: OutputPolicy
  let options: Interpreter.Options
  let cancelFlag = CancelFlag()
  /// The axes `pc[1]` to `pc[D]`, made once so reading `pc[k]` allocates nothing.
  let pcAxes: [Axis]

  /// Top-level variables by slot. The storage never moves, and the compiler initializes
  /// each slot before code that uses it runs.
  let globals: UnsafeMutablePointer<Value>
  private(set) var globalCount = 0
  /// The name of each global slot, for messages.
  private(set) var globalNames: [String] = []
  let state: UnsafeMutablePointer<MachineState>

  var steps: Int {
    get { state.pointee.steps }
    set { state.pointee.steps = newValue }
  }

  var callDepth: Int {
    get { state.pointee.callDepth }
    set { state.pointee.callDepth = newValue }
  }

  var returnValue: Value {
    get { state.pointee.returnValue }
    set { state.pointee.returnValue = newValue }
  }

  var lastValue: Value {
    get { state.pointee.lastValue }
    set { state.pointee.lastValue = newValue }
  }

  var currentFace: CurrentFace {
    get { state.pointee.currentFace }
    set {
      state.pointee.currentFace = newValue
      state.pointee.currentFaceUpdates &+= 1
    }
  }

  init(model: FaceModel, sink: OutputSink, options: Interpreter.Options) {
    self.model = model
    self.basis = FaceBasis(pca: model.pca)
    self.sink = sink
    self.options = options
    self.output = OutputPolicy(folder: options.outputFolder)
    self.input = OutputPolicy(folder: options.inputFolder, role: "input")
    self.pcAxes = (0..<model.pca.dimension).map { Axis(index: $0, name: nil) }
    globals = .allocate(capacity: Machine.globalCapacity)
    state = .allocate(capacity: 1)
    state.initialize(to: MachineState())
  }

  deinit {
    globals.deinitialize(count: globalCount)
    globals.deallocate()
    state.deinitialize(count: 1)
    state.deallocate()
  }

  /// Adds a global slot holding nil and returns its index, or nil when all
  /// `globalCapacity` slots are taken.
  func addGlobal(named name: String) -> Int? {
    guard globalCount < Machine.globalCapacity else { return nil }
    (globals + globalCount).initialize(to: .nil)
    globalNames.append(name)
    globalCount += 1
    return globalCount - 1
  }

  /// Counts one loop iteration or call against the step limit and stops if cancelled.
  @inline(__always)
  func tick() throws {
    state.pointee.steps &+= 1
    if state.pointee.steps > options.stepLimit {
      throw ScriptError(
        "the step limit of \(options.stepLimit) loop iterations and calls was exceeded")
    }
    if cancelFlag.isRaised { throw ScriptError.cancelled }
  }

  /// Calls a function with arguments already evaluated.
  func call(_ function: Function, _ arguments: [Value]) throws -> Value {
    switch function.implementation {
    case .builtin(let builtin):
      try builtin.checkArity(arguments.count)
      return try builtin.body(self, arguments)
    case .user(let user):
      guard arguments.count == user.parameters.count else {
        throw arityError(user, count: arguments.count)
      }
      return try run(user) { frame in
        for (index, argument) in arguments.enumerated() { frame[index] = argument }
      }
    }
  }

  /// Runs a user function in a new frame that `setUp` fills with the arguments.
  @inline(__always)
  func run(_ function: UserFunction, setUp: (Frame) throws -> Void) throws -> Value {
    guard callDepth < options.recursionLimit else {
      throw ScriptError("recursion too deep (limit is \(options.recursionLimit))")
    }
    try tick()
    let frame = Frame.allocate(capacity: max(function.slotCount, 1))
    frame.initialize(repeating: .nil, count: function.slotCount)
    callDepth += 1
    defer {
      callDepth -= 1
      frame.deinitialize(count: function.slotCount)
      frame.deallocate()
    }
    try setUp(frame)
    if try function.body(self, frame) == .returned {
      let result = returnValue
      returnValue = .nil
      return result
    }
    return .nil
  }

  func arityError(_ function: UserFunction, count: Int) -> ScriptError {
    let expected = function.parameters.count
    let signature = "\(function.name)(\(function.parameters.joined(separator: ", ")))"
    return ScriptError(
      "\(function.name) expects \(expected) argument\(expected == 1 ? "" : "s"), as in "
        + "\(signature), but got \(count)")
  }

  /// Makes a face from a latent vector of this model. For a vector with NaN or infinite
  /// values it throws an error in which `operation` names what made the vector and `hint`
  /// suggests a fix.
  func face(
    latent: [Float], from operation: @autoclosure () -> String, hint: String? = nil
  ) throws -> Face {
    guard let face = Face(latent: latent, basis: basis) else {
      throw basis.nonFiniteError(operation(), making: "a face", from: latent, hint: hint)
    }
    return face
  }

  private var fitterStorage: FaceFitter?
  private var trainingFacesStorage: TrainingFaces?
  /// Whether `save` has warned about a face outside the training faces' region; it warns
  /// once per interpreter.
  var warnedAboutAtypicalSave = false

  /// Returns the photo fitter, made on first use because it copies the decoder.
  func fitter() throws -> FaceFitter {
    if let fitterStorage { return fitterStorage }
    let fitter = try FaceFitter(model: model, trainingFaces: trainingFaces)
    fitterStorage = fitter
    return fitter
  }

  /// The training faces in whitened coordinates, made on first use.
  var trainingFaces: TrainingFaces {
    if let trainingFacesStorage { return trainingFacesStorage }
    let faces = TrainingFaces(model: model)
    trainingFacesStorage = faces
    return faces
  }
}
