import FaceRuntime
import Foundation

/// Runs a subcommand and maps its errors to exit statuses.
func runCommand(_ body: () throws -> ExitCode) -> ExitCode {
  do {
    return try body()
  } catch let error as UsageError {
    Console.error("facesh: \(error.message)")
    return .usage
  } catch {
    Console.error("facesh: \(error)")
    return .badInput
  }
}

let arguments = Array(CommandLine.arguments.dropFirst())
let status: ExitCode
switch arguments.first {
case "train":
  status = runCommand { try TrainCommand.run(Array(arguments.dropFirst())) }
case "eval":
  status = runCommand { try EvalCommand.run(Array(arguments.dropFirst())) }
default:
  Console.error("facesh: usage: facesh train PHOTOS_DIR -o MODEL | facesh eval MODEL PHOTOS_DIR")
  status = .usage
}
exit(status.rawValue)
