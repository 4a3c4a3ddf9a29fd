import FaceRuntime
import Foundation
import Interpreter

/// Loads the model and creates the interpreter on a background thread, so the REPL can show
/// its prompt before the model file has been read.
final class ModelLoader: @unchecked Sendable {
  /// A model with the interpreter made for it.
  struct Loaded {
    let model: FaceModel
    let interpreter: Interpreter
    /// Seconds spent reading and checking the model.
    let seconds: Double
  }

  private let condition = NSCondition()
  private var result: Result<Loaded, Error>?

  /// Starts loading the model at `location` on a new thread.
  init(
    location: ModelLocator.Location, output: ShellOutput, options: Interpreter.Options,
    seed: UInt64, background: Bool
  ) {
    let work: @Sendable () -> Void = { [self] in
      if background { Interrupt.blockInThisThread() }
      let outcome = Result {
        try ModelLoader.load(location, output: output, options: options, seed: seed)
      }
      condition.lock()
      result = outcome
      condition.broadcast()
      condition.unlock()
    }
    if background {
      Thread.detachNewThread(work)
    } else {
      work()
    }
  }

  /// Waits for the load to finish and returns its outcome.
  func wait() -> Result<Loaded, Error> {
    condition.lock()
    defer { condition.unlock() }
    while result == nil { condition.wait() }
    return result!
  }

  /// The outcome if loading has finished, without waiting.
  var finished: Result<Loaded, Error>? {
    condition.lock()
    defer { condition.unlock() }
    return result
  }

  /// Checks cheaply, by reading only the file's header, whether `path` looks like a facesh
  /// model, so that the REPL can report a wrong file before it shows a prompt.
  static func looksLikeModel(_ path: String) -> Bool {
    guard let file = try? SafetensorsFile(path: path) else { return false }
    return file.metadata["format"] == FaceModel.formatName
  }

  private static func load(
    _ location: ModelLocator.Location, output: ShellOutput, options: Interpreter.Options,
    seed: UInt64
  ) throws -> Loaded {
    let start = DispatchTime.now()
    let model = try ModelLocator.load(location)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    output.model = model
    let interpreter = Interpreter(model: model, sink: output.sink, options: options)
    HostFunctions.register(in: interpreter, seed: seed)
    return Loaded(model: model, interpreter: interpreter, seconds: seconds)
  }
}

/// Functions that facesh adds to the language.
enum HostFunctions {
  /// Registers `seed()`, which returns the `--seed` value so that scripts can vary their
  /// random faces from the command line: `random(seed() + i)`.
  static func register(in interpreter: Interpreter, seed: UInt64) {
    interpreter.register("seed", arity: 0...0) { _ in .number(Double(seed)) }
  }
}
