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

  init(preview: PreviewMode, reportSavedFiles: Bool) {
    self.preview = preview
    self.reportSavedFiles = reportSavedFiles
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
      saved: { [self] path in
        if self.reportSavedFiles { Console.error("wrote \(ShellOutput.displayPath(path))") }
      })
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
