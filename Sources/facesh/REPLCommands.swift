import FaceRuntime
import Foundation
import Interpreter

/// The REPL's colon commands, such as `:help` and `:save FILE`.
enum REPLCommands {
  /// One command: its name, how its argument is written, and what it does.
  struct Command {
    let name: String
    let argument: String
    let summary: String
  }

  static let all: [Command] = [
    Command(name: ":help", argument: "[TOPIC]", summary: "show help; topics are listed by :help"),
    Command(
      name: ":vars", argument: "", summary: "list the variables, functions and axes defined so far"),
    Command(name: ":model", argument: "", summary: "describe the model in use"),
    Command(name: ":load", argument: "FILE", summary: "run a script file in this session"),
    Command(
      name: ":save", argument: "FILE",
      summary: "write the entries that ran without error so far as a script"),
    Command(
      name: ":preview", argument: "[MODE]",
      summary: "show or set how faces are drawn: auto, kitty, iterm, sixel, blocks or off"),
    Command(name: ":quit", argument: "", summary: "leave facesh; Ctrl-D does the same"),
  ]

  /// Other spellings and the commands they stand for.
  static let aliases = [":q": ":quit", ":exit": ":quit", ":?": ":help", ":h": ":help"]

  /// Runs a command line such as `:load demo.face`.
  ///
  /// - Returns: an exit status when the session must end.
  static func run(_ line: String, repl: REPL) -> ExitCode? {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    let name = String(trimmed.prefix { !$0.isWhitespace })
    let argument = trimmed.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
    guard let command = resolve(name) else {
      var message = "unknown command '\(name)'"
      let names = all.map(\.name)
      if let nearest = names.min(by: { editDistance($0, name) < editDistance($1, name) }),
        editDistance(nearest, name) <= 2
      {
        message += "; did you mean '\(nearest)'?"
      }
      Console.error(message + ". Type :help for the list of commands.")
      return nil
    }
    switch command {
    case ":help":
      Console.output(HelpText.topic(argument, repl: repl))
    case ":vars":
      listVariables(repl: repl)
    case ":model":
      guard let loaded = repl.loaded() else { return .badInput }
      Console.output(InfoCommand.describe(loaded.model, path: repl.modelPath, axisCount: 8))
    case ":load":
      return load(argument, repl: repl)
    case ":save":
      save(argument, repl: repl)
    case ":preview":
      setPreview(argument, output: repl.output)
    case ":quit":
      repl.quitRequested = true
    default:
      break
    }
    return nil
  }

  /// Returns the full command name for a name, an alias or an unambiguous prefix.
  static func resolve(_ name: String) -> String? {
    if let alias = aliases[name] { return alias }
    let matches = all.map(\.name).filter { $0.hasPrefix(name) }
    if matches.contains(name) { return name }
    return name.count > 1 && matches.count == 1 ? matches[0] : nil
  }

  static func listVariables(repl: REPL) {
    guard let loaded = repl.loaded() else { return }
    let interpreter = loaded.interpreter
    let globals = interpreter.namesInScope().compactMap { name in
      interpreter.global(name).map { (name, $0) }
    }
    guard !globals.isEmpty else {
      Console.output("no variables yet; define one with 'let f = random(1)'\n")
      return
    }
    let width = globals.map(\.0.count).max() ?? 0
    for (name, value) in globals {
      let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
      Console.output("\(padded)  \(interpreter.describe(value))\n")
    }
  }

  static func load(_ argument: String, repl: REPL) -> ExitCode? {
    guard !argument.isEmpty else {
      Console.error("usage: :load FILE, such as :load examples/tour.face")
      return nil
    }
    let path = expandTilde(argument)
    guard let data = FileManager.default.contents(atPath: path) else {
      let reason =
        FileManager.default.fileExists(atPath: path) ? "permission denied" : "file not found"
      Console.error("cannot read '\(path)': \(reason)")
      return nil
    }
    guard let source = String(data: data, encoding: .utf8) else {
      Console.error("cannot read '\(path)': the file is not UTF-8 text")
      return nil
    }
    let text = "# :load \(argument)\n" + source + (source.hasSuffix("\n") ? "" : "\n")
    return repl.evaluate(source, chunkName: path, transcriptText: text)
  }

  static func save(_ argument: String, repl: REPL) {
    guard !argument.isEmpty else {
      Console.error("usage: :save FILE, such as :save session.face")
      return
    }
    let path = expandTilde(argument)
    let header = "# facesh session, model \(repl.modelPath)\n\n"
    let body = repl.transcript.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined()
    do {
      try AtomicFile.write(Array((header + body).utf8), to: path)
      let count = repl.transcript.count
      Console.output("saved \(count) entr\(count == 1 ? "y" : "ies") to \(path)\n")
    } catch {
      Console.error("\(error)")
    }
  }

  static func setPreview(_ argument: String, output: ShellOutput) {
    guard !argument.isEmpty else {
      Console.output("preview: \(output.preview.rawValue)\n")
      return
    }
    guard let mode = PreviewMode(rawValue: argument) else {
      let modes = PreviewMode.allCases.map(\.rawValue).joined(separator: ", ")
      Console.error("unknown preview mode '\(argument)'; use one of \(modes)")
      return
    }
    if mode != .off && !Console.outputIsTerminal {
      Console.error("standard output is not a terminal, so pictures stay off")
      return
    }
    output.preview =
      mode == .auto
      ? TerminalPicture.detect(environment: ProcessInfo.processInfo.environment) : mode
    Console.output("preview: \(output.preview.rawValue)\n")
  }

  /// Completes a command name, or the argument of `:help`, `:preview`, `:load` and `:save`.
  static func complete(_ before: String, repl: REPL) -> Completion {
    guard let space = before.firstIndex(of: " ") else {
      let names = (all.map(\.name) + aliases.keys).filter { $0.hasPrefix(before) }.sorted()
      return Completion(wordLength: before.count, candidates: names)
    }
    let command = resolve(String(before[..<space]))
    let word = String(before.reversed().prefix { $0 != " " }.reversed())
    let options: [String]
    switch command {
    case ":help": options = HelpText.topicNames(repl: repl)
    case ":preview": options = PreviewMode.allCases.map(\.rawValue)
    case ":load", ":save": options = pathCompletions(word)
    default: options = []
    }
    return Completion(wordLength: word.count, candidates: options.filter { $0.hasPrefix(word) })
  }

  /// Lists the files and folders that start with the partial path `word`. Folder names end
  /// with `/`.
  static func pathCompletions(_ word: String) -> [String] {
    let folderPart = word.contains("/") ? String(word[...word.lastIndex(of: "/")!]) : ""
    let folder = folderPart.isEmpty ? "." : expandTilde(folderPart)
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
      return []
    }
    let namePart = word.dropFirst(folderPart.count)
    return names.filter {
      $0.hasPrefix(namePart) && (!$0.hasPrefix(".") || namePart.hasPrefix("."))
    }
    .map { name in
      var isFolder: ObjCBool = false
      let exists = FileManager.default.fileExists(
        atPath: folder + "/" + name, isDirectory: &isFolder)
      return folderPart + name + (exists && isFolder.boolValue ? "/" : "")
    }.sorted()
  }

  static func expandTilde(_ path: String) -> String {
    guard path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] else {
      return path
    }
    return home + path.dropFirst(1)
  }
}
