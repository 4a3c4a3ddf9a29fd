/// A chunk of source text with the name that diagnostics show for it, such as a file path or
/// `<repl>`.
///
/// Offsets into the text are UTF-8 byte offsets. Lines end at `\n` or `\r\n`; columns count
/// `Character`s from the start of the line, so `σ` and a tab are one column each.
public final class SourceFile: Sendable {
  /// The name shown in diagnostics.
  public let name: String
  /// The source text.
  public let text: String
  /// The text as UTF-8 bytes; the lexer works on these.
  package let bytes: [UInt8]
  /// The byte offset at which each line starts; `lineStarts[0]` is 0.
  package let lineStarts: [Int]

  /// Creates a source file.
  ///
  /// - Parameters:
  ///   - name: the chunk name that diagnostics show, for example `scripts/demo.face`.
  ///   - text: the source text.
  public init(name: String, text: String) {
    self.name = name
    self.text = text
    let bytes = Array(text.utf8)
    self.bytes = bytes
    var starts = [0]
    for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
      starts.append(offset + 1)
    }
    self.lineStarts = starts
  }

  /// Returns the 1-based line and column of a byte offset.
  package func location(of offset: Int) -> (line: Int, column: Int) {
    let clamped = max(0, min(offset, bytes.count))
    let lineIndex = lineIndex(containing: clamped)
    let start = lineStarts[lineIndex]
    return (lineIndex + 1, characterCount(from: start, to: clamped) + 1)
  }

  /// Returns the text of the 1-based `line` without its line break.
  package func lineText(_ line: Int) -> String {
    let start = lineStarts[line - 1]
    var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
    if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
  }

  /// Counts the `Character`s between two byte offsets on one line.
  package func characterCount(from start: Int, to end: Int) -> Int {
    guard end > start else { return 0 }
    return String(decoding: bytes[start..<end], as: UTF8.self).count
  }

  /// Returns the source text between two byte offsets.
  package func slice(_ range: SourceRange) -> String {
    let start = max(0, min(range.start, bytes.count))
    let end = max(start, min(range.end, bytes.count))
    return String(decoding: bytes[start..<end], as: UTF8.self)
  }

  private func lineIndex(containing offset: Int) -> Int {
    var low = 0
    var high = lineStarts.count - 1
    while low < high {
      let middle = (low + high + 1) / 2
      if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
    }
    return low
  }
}

/// A half-open range of UTF-8 byte offsets in one source file.
package struct SourceRange: Equatable, Hashable, Sendable {
  package var start: Int
  package var end: Int

  package init(start: Int, end: Int) {
    self.start = start
    self.end = end
  }

  /// Returns the range from the start of `self` to the end of `other`.
  package func extended(to other: SourceRange) -> SourceRange {
    SourceRange(start: min(start, other.start), end: max(end, other.end))
  }
}
