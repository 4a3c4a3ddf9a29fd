import FaceRuntime
import Foundation
import Interpreter

/// An input file that could not be used: a script that cannot be read, or an output folder
/// that cannot be made. Exit status 66.
struct InputError: Error, CustomStringConvertible {
  let message: String
  var description: String { message }
}

/// Runs one script non-interactively: a file, `-e` source, or standard input.
enum ScriptRunner {
  /// Reads the script, loads the model, runs the script and returns the exit status.
  static func run(_ options: ShellOptions, model: ModelLocator.Location) throws -> ExitCode {
    let (source, chunkName) = try readSource(options)
    let outputFolder = try prepareOutputFolder(options.outputFolder)
    let output = ShellOutput(
      preview: ShellOutput.initialPreview(requested: options.preview),
      reportSavedFiles: options.verbose)
    let loader = ModelLoader(
      location: model, output: output,
      options: Interpreter.Options(outputFolder: outputFolder), seed: options.seed,
      background: false)
    let loaded = try loader.wait().get()
    if options.verbose {
      Console.error(
        "model \(model.path) loaded in \(Int((loaded.seconds * 1000).rounded())) ms; "
          + "writing into \(outputFolder)")
    }
    let watcher = CancelWatcher(interpreter: loaded.interpreter)
    watcher.start()
    watcher.isEvaluating = true
    defer { watcher.isEvaluating = false }
    do {
      try loaded.interpreter.evaluate(source, chunkName: chunkName)
    } catch let error as InterpreterError {
      return report(error)
    }
    return .success
  }

  /// Prints an interpreter error and returns the exit status for its kind.
  static func report(_ error: InterpreterError) -> ExitCode {
    switch error.kind {
    case .syntax:
      Console.errorText(error.rendered)
      return .syntaxError
    case .runtime:
      Console.errorText(error.rendered)
      return .runtimeError
    case .cancelled:
      Console.error("facesh: interrupted")
      return .interrupted
    }
  }

  /// Returns the script text and the name that diagnostics show for it.
  static func readSource(_ options: ShellOptions) throws -> (String, String) {
    if let source = options.source { return (source, "<command line>") }
    let path = options.scriptPath ?? "-"
    let data: Data
    if path == "-" {
      data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw InputError(message: "cannot read the script '\(path)': file not found")
      }
      guard !isFolder.boolValue else {
        throw InputError(message: "cannot read the script '\(path)': it is a folder")
      }
      guard let contents = FileManager.default.contents(atPath: path) else {
        throw InputError(message: "cannot read the script '\(path)': permission denied")
      }
      data = contents
    }
    let name = path == "-" ? "<stdin>" : path
    guard let text = String(data: data, encoding: .utf8) else {
      let (line, column) = firstInvalidUTF8(in: [UInt8](data))
      throw InputError(
        message: "the script '\(name)' is not UTF-8 text (line \(line), byte \(column) is not "
          + "valid UTF-8); check that it is a facesh script, and save it with UTF-8 encoding")
    }
    return (text, name)
  }

  /// Returns the 1-based line and byte column of the first byte that is not valid UTF-8.
  static func firstInvalidUTF8(in bytes: [UInt8]) -> (line: Int, column: Int) {
    var line = 1
    var lineStart = 0
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      let length: Int
      switch byte {
      case 0x00...0x7F: length = 1
      case 0xC2...0xDF: length = 2
      case 0xE0...0xEF: length = 3
      case 0xF0...0xF4: length = 4
      default: return (line, index - lineStart + 1)
      }
      guard index + length <= bytes.count,
        String(decoding: bytes[index..<(index + length)], as: UTF8.self).unicodeScalars
          .allSatisfy({ $0 != "\u{FFFD}" }) || bytes[index..<(index + length)] == [0xEF, 0xBF, 0xBD]
      else { return (line, index - lineStart + 1) }
      if byte == 0x0A {
        line += 1
        lineStart = index + 1
      }
      index += length
    }
    return (line, index - lineStart + 1)
  }

  /// Returns the absolute output folder and creates it when missing. Without a folder,
  /// returns the current directory.
  static func prepareOutputFolder(_ folder: String?) throws -> String {
    let current = FileManager.default.currentDirectoryPath
    guard let folder else { return current }
    let absolute = folder.hasPrefix("/") ? folder : current + "/" + folder
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: absolute, isDirectory: &isFolder) {
      guard isFolder.boolValue else {
        throw InputError(message: "the output folder '\(folder)' is a file; give a folder")
      }
      return absolute
    }
    do {
      try Folders.create(folder)
    } catch let error as FolderError {
      let hint =
        error.isBlockedByFile
        ? "move that file away or give -o another folder" : "give -o another folder"
      throw InputError(
        message: "cannot create the output folder '\(folder)': \(error.reason()); \(hint)")
    }
    return absolute
  }
}

/// Turns Ctrl-C into `Interpreter.cancel()` while an evaluation runs.
///
/// The SIGINT handler may only do async-signal-safe work, so it posts a semaphore. This
/// watcher thread waits on it and cancels the evaluation if one is running.
final class CancelWatcher: @unchecked Sendable {
  private let lock = NSLock()
  private let interpreter: Interpreter
  private var evaluating = false

  init(interpreter: Interpreter) {
    self.interpreter = interpreter
  }

  /// Whether an evaluation is running, set around each `evaluate` call.
  var isEvaluating: Bool {
    get { lock.withLock { evaluating } }
    set { lock.withLock { evaluating = newValue } }
  }

  /// Installs the SIGINT handler and starts the watcher thread.
  func start() {
    Interrupt.install()
    Thread.detachNewThread { [self] in
      Interrupt.blockInThisThread()
      while true {
        Interrupt.wait()
        // A post left over from Ctrl-C at the prompt finds the flag already cleared by the
        // line editor, so it cannot cancel the evaluation that follows.
        lock.withLock {
          if evaluating && Interrupt.requested { interpreter.cancel() }
        }
      }
    }
  }
}
