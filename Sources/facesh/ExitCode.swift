/// Process exit statuses, following the BSD sysexits convention.
enum ExitCode: Int32 {
  case success = 0
  /// A script raised an error while running.
  case runtimeError = 70
  /// The command line was wrong: unknown option, missing argument.
  case usage = 64
  /// A script did not parse.
  case syntaxError = 65
  /// An input file (model, photos) could not be used.
  case badInput = 66
  /// Stopped by Ctrl-C.
  case interrupted = 130
}
