import FaceRuntime
import Foundation
import Interpreter

/// The destination of a session's printed text, shown faces and saved files: standard
/// output for text and pictures, standard error for notes about saved files.
final class ShellOutput: @unchecked Sendable {
  /// The way faces are drawn, `off` when standard output is not a terminal. `:preview`
  /// changes it between evaluations only.
  var preview: PreviewMode
  /// Whether to note each saved file on standard error.
  let reportSavedFiles: Bool
  /// The model, set once it is loaded, because pictures need its decoder.
  var model: FaceModel?

  init(preview: PreviewMode, reportSavedFiles: Bool, savedLineLimit: Int = .max) {
    self.preview = preview
    self.reportSavedFiles = reportSavedFiles
    self.savedLineLimit = savedLineLimit
  }

  /// Returns the preview mode to start with: `off` when standard output is not a terminal,
  /// the detected protocol for `auto`, else the requested mode.
  static func initialPreview(requested: PreviewMode) -> PreviewMode {
    guard Console.outputIsTerminal else { return .off }
    guard requested == .auto else { return requested }
    return TerminalPicture.detect(environment: ProcessInfo.processInfo.environment)
  }

  /// The sink to give the interpreter.
  var sink: OutputSink {
    OutputSink(
      print: { line in Console.output(line + "\n") },
      show: { [self] face in self.show(face) },
      saved: { [self] path in self.noteSaved(path) },
      warning: { message in Console.error("warning: " + message) },
      progress: { [self] report in self.progress(report) })
  }

  /// The most "wrote FILE" lines one entry prints; later files are counted and summed up by
  /// `finishEntry()`. The REPL sets 5, so a loop of saves does not flood the screen.
  let savedLineLimit: Int
  /// Files written since `finishEntry()` last ran, and the last of them.
  private var savedCount = 0
  private var lastSaved = ""

  /// Notes a written file, unless notes are off or this entry has noted enough of them.
  func noteSaved(_ path: String) {
    guard reportSavedFiles else { return }
    savedCount += 1
    lastSaved = ShellOutput.displayPath(path)
    if savedCount <= savedLineLimit { Console.error("wrote \(lastSaved)") }
  }

  /// Prints how many files went unnoted in the entry that just ended, and starts counting
  /// again.
  func finishEntry() {
    let unnoted = savedCount - savedLineLimit
    if unnoted == 1 {
      Console.error("wrote \(lastSaved)")
    } else if unnoted > 1 {
      Console.error("wrote \(unnoted) more file\(unnoted == 1 ? "" : "s"), the last \(lastSaved)")
    }
    savedCount = 0
  }

  /// When the progress line was last drawn, in nanoseconds of uptime.
  private var lastProgressDraw: UInt64 = 0
  /// Whether a progress line is on screen and must be cleared.
  private var progressShown = false

  /// Draws a progress line on a terminal, at most ten times a second, and notes the outcome
  /// of a finished task unless notes are off.
  func progress(_ report: TaskProgress) {
    let terminal = Console.errorIsTerminal
    if report.finished {
      if progressShown { Console.errorText("\r\u{1B}[K") }
      progressShown = false
      if reportSavedFiles { Console.error("\(report.task): \(report.detail)") }
      return
    }
    guard terminal else { return }
    let now = DispatchTime.now().uptimeNanoseconds
    guard now - lastProgressDraw >= 100_000_000 || report.done == report.total else { return }
    lastProgressDraw = now
    let width = 20
    let filled = report.total > 0 ? width * report.done / report.total : width
    let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    var line = "\(report.task) [\(bar)] \(report.done)/\(report.total) \(report.detail)"
    // A line that wraps cannot be redrawn in place, so it is cut to the terminal's width,
    // keeping the end, which changes.
    let columns = max(1, LineEditorState.terminalWidth() - 1)
    if TerminalText.width(line) > columns {
      line = "…" + TerminalText.suffix(line, width: columns - 1)
    }
    Console.errorText("\r\u{1B}[K" + line)
    progressShown = true
  }

  /// Prints a face's summary and, when pictures are on, draws it.
  func show(_ face: Face) {
    Console.output(Value.face(face).description + "\n")
    drawPicture(of: face)
  }

  /// Draws a face in the current preview mode; does nothing when pictures are off.
  func drawPicture(of face: Face) {
    guard preview != .off, preview != .auto, let model else { return }
    let image = model.decode(face.latent)
    Console.output(
      TerminalPicture.render(image, mode: preview, terminalColumns: LineEditorState.terminalWidth())
    )
  }

  /// Shortens a path inside the current directory to a relative one.
  static func displayPath(_ path: String) -> String {
    let current = FileManager.default.currentDirectoryPath + "/"
    return path.hasPrefix(current) ? String(path.dropFirst(current.count)) : path
  }
}
