import LatentLang

/// An error from compiling or running a chunk, with its diagnostics.
///
/// The command line tool maps `kind` to its exit status: syntax errors, runtime errors and
/// cancellation each get their own.
public struct InterpreterError: Error, Sendable, CustomStringConvertible {
  /// When the error was found.
  public enum Kind: String, Sendable {
    /// Found before anything ran: a malformed program, an unknown name, a wrong number of
    /// arguments to a builtin, or `break`, `continue` or `return` in the wrong place.
    case syntax
    /// Raised while running, such as a type error, an index out of range or a failed write.
    case runtime
    /// The run was stopped with `Interpreter.cancel()`.
    case cancelled
  }

  /// When the error was found.
  public let kind: Kind
  /// The errors, in source order; a syntax error may list several.
  public let diagnostics: [Diagnostic]

  /// The first error's message, without its location.
  public var message: String { diagnostics.first?.message ?? "unknown error" }

  /// All diagnostics rendered as `chunk:line:column: error: message` with source lines and
  /// carets, ending with a newline.
  public var rendered: String { diagnostics.map { $0.rendered() }.joined() }

  /// The rendered diagnostics, as `rendered` gives them.
  public var description: String { rendered }
}

/// A runtime error as it travels up the evaluator: the message, and where it happened once a
/// caller that knows the place has filled it in.
struct ScriptError: Error {
  var message: String
  var location: Location?
  var kind: InterpreterError.Kind = .runtime

  init(_ message: String, at location: Location? = nil) {
    self.message = message
    self.location = location
  }

  /// Fills in the location unless a deeper caller already did.
  func located(at location: Location) -> ScriptError {
    var copy = self
    if copy.location == nil { copy.location = location }
    return copy
  }

  static let cancelled: ScriptError = {
    var error = ScriptError("evaluation cancelled")
    error.kind = .cancelled
    return error
  }()
}

/// A place in a chunk, kept by compiled code for its runtime errors.
struct Location {
  let file: SourceFile
  let range: SourceRange

  func diagnostic(_ message: String) -> Diagnostic {
    Diagnostic(.error, message, in: file, at: range)
  }
}

extension ScriptError {
  /// Converts the error to the public type, locating it at `fallback` if nothing else did.
  func publicError(fallback: Location) -> InterpreterError {
    let place = location ?? fallback
    return InterpreterError(kind: kind, diagnostics: [place.diagnostic(message)])
  }
}

/// Runs `body`, giving any `ScriptError` it throws without a location the location `location`.
@inline(__always)
func locating<T>(_ location: Location, _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as ScriptError {
    throw error.located(at: location)
  }
}
