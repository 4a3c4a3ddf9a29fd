/// A message about a place in the source: a syntax error, a runtime error, or a note that
/// points at a related place, such as the opening bracket of an unclosed one.
public struct Diagnostic: Sendable, CustomStringConvertible {
  /// The seriousness of a diagnostic.
  public enum Severity: String, Sendable {
    /// A problem that stops the chunk from compiling or running.
    case error
    /// Extra information about an error, such as where an unclosed bracket opened.
    case note
  }

  /// Whether this is an error or a note.
  public let severity: Severity
  /// The message: lower case, with tokens in quotes and no final period.
  public let message: String
  /// The source the diagnostic points into.
  public let file: SourceFile
  /// The byte range the diagnostic points at.
  package let range: SourceRange
  /// Notes that point at related places, rendered after the diagnostic.
  public let notes: [Diagnostic]

  package init(
    _ severity: Severity, _ message: String, in file: SourceFile, at range: SourceRange,
    notes: [Diagnostic] = []
  ) {
    self.severity = severity
    self.message = message
    self.file = file
    self.range = range
    self.notes = notes
  }

  /// The 1-based line of the start of the range.
  public var line: Int { file.location(of: range.start).line }

  /// The 1-based column of the start of the range, counted in `Character`s.
  public var column: Int { file.location(of: range.start).column }

  /// Renders the diagnostic as `name:line:column: severity: message`, then the source line
  /// and a caret line under the range, then each note in the same form. Lines end with `\n`.
  public func rendered() -> String {
    let (line, column) = file.location(of: range.start)
    var text = "\(file.name):\(line):\(column): \(severity.rawValue): \(message)\n"
    if line <= file.lineStarts.count {
      let source = file.lineText(line)
      let caret = caretLine(under: source, column: column, line: line)
      if source.count <= Diagnostic.maximumShownLine {
        text += source + "\n" + caret + "\n"
      } else {
        // Show a window of a very long line around the caret, marking what is cut.
        let start = max(
          0,
          min(column - 1 - Diagnostic.maximumShownLine / 2, source.count - Diagnostic.maximumShownLine))
        let shownSource = String(source.dropFirst(start).prefix(Diagnostic.maximumShownLine))
        let shownCaret = String(caret.dropFirst(start).prefix(Diagnostic.maximumShownLine))
        let before = start > 0 ? "…" : ""
        let after = start + shownSource.count < source.count ? "…" : ""
        text += before + shownSource + after + "\n" + (start > 0 ? " " : "") + shownCaret + "\n"
      }
    }
    for note in notes {
      text += note.rendered()
    }
    return text
  }

  /// Maximum length of a source line, in characters, shown whole under a message; longer lines are cut
  /// to a window of this size around the caret.
  static let maximumShownLine = 160

  /// The diagnostic as `rendered()` gives it.
  public var description: String { rendered() }

  /// Spaces up to the column, keeping tabs so the caret lines up, then `^` and a `~` for each
  /// further character of the range on the same line.
  private func caretLine(under source: String, column: Int, line: Int) -> String {
    var caret = ""
    for character in source.prefix(column - 1) {
      caret.append(character == "\t" ? "\t" : " ")
    }
    caret.append("^")
    let lineEnd = file.lineStarts[line - 1] + source.utf8.count
    let end = min(range.end, lineEnd)
    let width = file.characterCount(from: range.start, to: end)
    if width > 1 {
      caret.append(String(repeating: "~", count: width - 1))
    }
    return caret
  }
}
