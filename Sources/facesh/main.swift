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

/// Runs `facesh` without a subcommand: the REPL, or a script from a file, `-e` or standard
/// input.
func runShell(_ arguments: [String]) throws -> ExitCode {
  let options = try ShellOptions(arguments)
  if options.showHelp {
    Console.output(ShellOptions.usage + "\n")
    return .success
  }
  if options.showVersion {
    Console.output("facesh \(ShellOptions.version)\n")
    return .success
  }
  let model = try ModelLocator.locate(
    explicit: options.modelPath, environment: ProcessInfo.processInfo.environment)
  let interactive = options.scriptPath == nil && options.source == nil && Console.inputIsTerminal
  guard interactive else { return try ScriptRunner.run(options, model: model) }
  let outputFolder = try ScriptRunner.prepareOutputFolder(options.outputFolder)
  return REPL(options: options, model: model, outputFolder: outputFolder).run()
}

let arguments = Array(CommandLine.arguments.dropFirst())
let status: ExitCode
switch arguments.first {
case "train":
  status = runCommand { try TrainCommand.run(Array(arguments.dropFirst())) }
case "eval":
  status = runCommand { try EvalCommand.run(Array(arguments.dropFirst())) }
case "info":
  status = runCommand { try InfoCommand.run(Array(arguments.dropFirst()), modelPath: nil) }
default:
  status = runCommand { try runShell(arguments) }
}
exit(status.rawValue)
