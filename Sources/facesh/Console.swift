import Foundation

/// Writes to standard error and standard output without buffering surprises.
enum Console {
  static func error(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
  }

  /// Writes text to standard error as it is, without adding a line break.
  static func errorText(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }

  static func output(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
  }

  static var errorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
  static var outputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
  static var inputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

  /// Formats seconds as "1h02m", "3m05s" or "42s".
  static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let total = Int(seconds.rounded())
    if total >= 3600 { return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60) }
    if total >= 60 { return String(format: "%dm%02ds", total / 60, total % 60) }
    return "\(total)s"
  }
}

/// An error in the command line, reported with the usage hint and exit status 64.
struct UsageError: Error, CustomStringConvertible {
  let message: String
  var description: String { message }
}

/// Ctrl-C handling: each press sets a flag that long-running work polls and posts a
/// semaphore that a watcher thread can wait on.
enum Interrupt {
  nonisolated(unsafe) static let flag: UnsafeMutablePointer<sig_atomic_t> = {
    let pointer = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return pointer
  }()

  /// Posted once per SIGINT; `sem_post` is async-signal-safe, unlike most of Swift.
  nonisolated(unsafe) static let semaphore: UnsafeMutablePointer<sem_t> = {
    let pointer = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    sem_init(pointer, 0, 0)
    return pointer
  }()

  static var requested: Bool { flag.pointee != 0 }

  static func reset() { flag.pointee = 0 }

  /// Keeps SIGINT away from the calling thread, so that it goes to a thread whose blocking
  /// reads it must interrupt. Call it first thing in helper threads. Threads that libraries
  /// start, such as OpenBLAS's workers, may still receive it.
  static func blockInThisThread() {
    var interruptOnly = sigset_t()
    sigemptyset(&interruptOnly)
    sigaddset(&interruptOnly, SIGINT)
    pthread_sigmask(SIG_BLOCK, &interruptOnly, nil)
  }

  /// Blocks the calling thread until the next SIGINT.
  static func wait() {
    while sem_wait(semaphore) != 0 && errno == EINTR {}
  }

  /// Installs a SIGINT handler that only sets the flag and posts the semaphore. The handler
  /// does not ask for restarted system calls, so a blocking `read` returns `EINTR`.
  static func install() {
    _ = flag
    _ = semaphore
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in
      Interrupt.flag.pointee = 1
      sem_post(Interrupt.semaphore)
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
  }
}

/// Simple option parsing for the subcommands: `--name value`, `--name=value` and flags.
struct OptionParser {
  private(set) var positionals: [String] = []
  private var values: [String: String] = [:]
  private var flags: Set<String> = []

  /// Parses `arguments`, accepting the options in `valued` (which take a value) and `switches`.
  init(_ arguments: [String], valued: Set<String>, switches: Set<String>) throws {
    var rest = arguments[...]
    while let argument = rest.popFirst() {
      if argument == "--" {
        positionals.append(contentsOf: rest)
        break
      }
      guard argument.hasPrefix("-") && argument.count > 1 else {
        positionals.append(argument)
        continue
      }
      var name = argument
      var inline: String? = nil
      if let equals = argument.firstIndex(of: "=") {
        name = String(argument[..<equals])
        inline = String(argument[argument.index(after: equals)...])
      }
      if switches.contains(name) {
        flags.insert(name)
      } else if valued.contains(name) {
        guard let value = inline ?? rest.popFirst() else {
          throw UsageError(message: "option '\(name)' needs a value")
        }
        values[name] = value
      } else {
        let known = (valued.union(switches)).sorted()
        let suggestion = known.min { editDistance($0, name) < editDistance($1, name) }
        var message = "unknown option '\(name)'"
        if let suggestion, editDistance(suggestion, name) <= 3 {
          message += "; did you mean '\(suggestion)'?"
        }
        throw UsageError(message: message)
      }
    }
  }

  func has(_ flag: String) -> Bool { flags.contains(flag) }
  func string(_ name: String) -> String? { values[name] }

  func int(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
    guard let text = values[name] else { return fallback }
    guard let value = Int(text), range.contains(value) else {
      throw UsageError(
        message: "option '\(name)' needs an integer from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
    }
    return value
  }

  func double(_ name: String, default fallback: Double, range: ClosedRange<Double>) throws -> Double {
    guard let text = values[name] else { return fallback }
    guard let value = Double(text), value.isFinite, range.contains(value) else {
      throw UsageError(
        message: "option '\(name)' needs a number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
    }
    return value
  }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
  let x = Array(a)
  let y = Array(b)
  if x.isEmpty { return y.count }
  if y.isEmpty { return x.count }
  var previous = Array(0...y.count)
  for i in 1...x.count {
    var current = [i] + [Int](repeating: 0, count: y.count)
    for j in 1...y.count {
      current[j] = min(
        previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[y.count]
}
