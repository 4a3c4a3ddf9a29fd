import FaceRuntime
import Foundation
import Interpreter

/// The interactive session: reads entries with line editing, evaluates them and shows the
/// results, keeping variables from one entry to the next.
final class REPL {
  static let prompt = "face> "
  /// The prompt while an entry continues over several lines, as wide as `prompt`.
  static let continuationPrompt = "  ... "

  let options: ShellOptions
  let modelPath: String
  let output: ShellOutput
  let loader: ModelLoader
  private(set) var history: HistoryFile?
  private var historyWarningShown = false
  private var editor: LineEditor?
  private var watcher: CancelWatcher?
  /// The entries that evaluated without error, in order, for `:save`.
  var transcript: [String] = []
  /// Whether `:quit` ran.
  var quitRequested = false

  /// Starts loading the model in the background, so the prompt does not wait for it.
  init(options: ShellOptions, model: ModelLocator.Location, outputFolder: String) {
    self.options = options
    self.modelPath = model.path
    output = ShellOutput(
      preview: ShellOutput.initialPreview(requested: options.preview),
      reportSavedFiles: !options.quiet, savedLineLimit: 5)
    loader = ModelLoader(
      location: model, output: output,
      options: Interpreter.Options(outputFolder: outputFolder), seed: options.seed,
      background: true)
  }

  /// Runs the session until Ctrl-D or `:quit`.
  func run() -> ExitCode {
    Interrupt.install()
    if !ModelLoader.looksLikeModel(modelPath), case .failure(let error) = loader.wait() {
      Console.error("facesh: \(error)")
      return .badInput
    }
    if !options.quiet {
      Console.output(
        "facesh \(ShellOptions.version): type :help for help, Tab to complete, Ctrl-D to quit\n")
    }
    if options.useHistory { loadHistory() }
    guard let editor = LineEditor(programName: "facesh", completer: { [self] in complete($0) })
    else {
      Console.error("facesh: cannot start line editing on this terminal; run a script instead")
      return .runtimeError
    }
    self.editor = editor
    for entry in history?.entries ?? [] { editor.addToHistory(entry) }
    var lines: [String] = []
    while !quitRequested {
      let prompt = lines.isEmpty ? REPL.prompt : REPL.continuationPrompt
      switch editor.readLine(prompt: prompt) {
      case .interrupted:
        Console.output("\n")
        lines = []
      case .endOfInput:
        Console.output("\n")
        return .success
      case .line(let line):
        if lines.isEmpty && line.drop(while: { $0 == " " }).hasPrefix(":") {
          remember(line)
          if let status = REPLCommands.run(line, repl: self) { return status }
          continue
        }
        lines.append(line)
        let entry = lines.joined(separator: "\n")
        if Interpreter.needsMoreInput(entry) { continue }
        lines = []
        guard !entry.allSatisfy(\.isWhitespace) else { continue }
        remember(entry)
        if let status = evaluate(entry, chunkName: "<repl>", transcriptText: entry) {
          return status
        }
      }
    }
    return .success
  }

  /// Waits for the model, printing why it failed if it did.
  func loaded() -> ModelLoader.Loaded? {
    switch loader.wait() {
    case .success(let loaded):
      if watcher == nil {
        watcher = CancelWatcher(interpreter: loaded.interpreter)
        watcher?.start()
      }
      return loaded
    case .failure(let error):
      Console.error("facesh: \(error)")
      return nil
    }
  }

  /// Evaluates an entry and shows its value.
  ///
  /// - Parameter transcriptText: what `:save` writes for the entry when it succeeds.
  /// - Returns: an exit status when the session must end (the model failed to load).
  func evaluate(_ source: String, chunkName: String, transcriptText: String) -> ExitCode? {
    guard let loaded = loaded() else { return .badInput }
    watcher?.isEvaluating = true
    defer {
      watcher?.isEvaluating = false
      Interrupt.reset()
      output.finishEntry()
    }
    let before = (loaded.interpreter.currentFace?.latent, loaded.interpreter.currentFaceUpdates)
    do {
      let value = try loaded.interpreter.evaluate(source, chunkName: chunkName)
      // The count of unnoted files belongs with the other "wrote" lines, before the value.
      output.finishEntry()
      transcript.append(transcriptText)
      display(value, interpreter: loaded.interpreter)
      warnIfAtypical(value: value, currentBefore: before, interpreter: loaded.interpreter)
    } catch let error as InterpreterError {
      output.finishEntry()
      if error.kind == .cancelled {
        Console.error("interrupted; variables keep the values they had when it stopped")
      } else {
        Console.errorText(error.rendered)
      }
    } catch {
      Console.error("facesh: \(error)")
    }
    return nil
  }

  /// Warns when the entry's value, or the current face it changed, lies outside the region
  /// the training faces cover, where pictures stop looking like faces.
  func warnIfAtypical(
    value: Value, currentBefore: ([Float]?, Int), interpreter: Interpreter
  ) {
    var faces: [Face] = []
    if case .face(let face) = value { faces.append(face) }
    let touched =
      interpreter.currentFaceUpdates != currentBefore.1
      || interpreter.currentFace?.latent != currentBefore.0
    if touched, let current = interpreter.currentFace, faces.first?.latent != current.latent {
      faces.append(current)
    }
    for face in faces {
      if let message = AtypicalFace.message(for: interpreter.typicality(of: face)) {
        Console.error("warning: " + message)
      }
    }
  }

  /// Prints an entry's value: nothing for nil, the summary and the picture for a face, and
  /// strings in quotes.
  func display(_ value: Value, interpreter: Interpreter) {
    switch value {
    case .nil:
      return
    case .face(let face):
      Console.output(interpreter.describe(value) + "\n")
      output.drawPicture(of: face)
    case .string:
      let quoted = interpreter.describe(.list([value]))
      Console.output(String(quoted.dropFirst().dropLast()) + "\n")
    default:
      Console.output(interpreter.describe(value) + "\n")
    }
  }

  // MARK: - History

  private func loadHistory() {
    guard let path = HistoryFile.defaultPath(environment: ProcessInfo.processInfo.environment)
    else { return }
    let (file, warning) = HistoryFile.load(path: path)
    history = file
    if let warning { Console.error("facesh: \(warning)") }
  }

  /// Adds an entry to the editor's history and saves the history file.
  private func remember(_ entry: String) {
    editor?.addToHistory(entry)
    guard history != nil else { return }
    history?.add(entry)
    do {
      try history?.save()
    } catch {
      if !historyWarningShown {
        Console.error("facesh: the history is not saved: \(error)")
        historyWarningShown = true
      }
    }
  }

  // MARK: - Completion

  /// Completes the word before the cursor: command names after `:`, their arguments, file
  /// paths inside an open string such as `fit("ph`, and otherwise the names in scope
  /// (keywords, builtins, variables, functions and axes).
  func complete(_ before: String) -> Completion {
    if before.hasPrefix(":") {
      return REPLCommands.complete(before, repl: self)
    }
    if let path = REPL.openStringText(before) {
      return Completion(wordLength: path.count, candidates: REPLCommands.pathCompletions(path))
    }
    let word = String(
      before.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
    guard let first = word.first, !first.isNumber else {
      return Completion(wordLength: 0, candidates: [])
    }
    let names = loaded()?.interpreter.namesInScope() ?? Interpreter.keywords
    return Completion(wordLength: word.count, candidates: names.filter { $0.hasPrefix(word) })
  }

  /// Returns the text after the opening quote when `before` ends inside a string literal,
  /// or nil. Quotes escaped with a backslash do not count.
  static func openStringText(_ before: String) -> String? {
    var inside = false
    var escaped = false
    var start = before.startIndex
    for index in before.indices {
      let character = before[index]
      if escaped {
        escaped = false
      } else if character == "\\" && inside {
        escaped = true
      } else if character == "\"" {
        inside.toggle()
        start = before.index(after: index)
      } else if character == "#" && !inside {
        return nil
      }
    }
    return inside ? String(before[start...]) : nil
  }
}
