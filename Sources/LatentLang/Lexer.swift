/// Splits source text into tokens.
///
/// The lexer never stops at an error: it reports the problem, emits an `.invalid` token in its
/// place and goes on, so the parser can report later mistakes too. Strings with `{...}`
/// interpolation come out as an `.interpolationStart` token, the tokens of the expression, then
/// `.interpolationMiddle` tokens between further expressions and a final `.interpolationEnd`.
package struct Lexer {
  private let file: SourceFile
  private let bytes: [UInt8]
  private var position = 0
  private var tokens: [Token] = []
  private var diagnostics: [Diagnostic] = []
  /// One entry per open `{`: a block brace, or the offsets of the opening quote of a string
  /// and of the `{` that started an interpolation in it.
  private var braces: [Brace] = []

  private enum Brace {
    case block
    case interpolation(quote: Int, brace: Int)
  }

  /// Splits `file` into tokens ending with `.endOfInput`.
  package static func tokenize(_ file: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    var lexer = Lexer(file: file)
    lexer.run()
    return (lexer.tokens, lexer.diagnostics)
  }

  private init(file: SourceFile) {
    self.file = file
    self.bytes = file.bytes
  }

  private mutating func run() {
    while true {
      skipSpacesAndComments()
      guard position < bytes.count else { break }
      lexToken()
    }
    reportOpenInterpolation()
    let end = SourceRange(start: bytes.count, end: bytes.count)
    tokens.append(Token(kind: .endOfInput, range: end))
  }

  // MARK: - Helpers

  private func peekByte(_ offset: Int = 0) -> UInt8? {
    let index = position + offset
    return index < bytes.count ? bytes[index] : nil
  }

  private mutating func emit(_ kind: TokenKind, from start: Int, text: String = "") {
    tokens.append(Token(kind: kind, range: SourceRange(start: start, end: position), text: text))
  }

  private mutating func report(_ message: String, at range: SourceRange) {
    diagnostics.append(Diagnostic(.error, message, in: file, at: range))
  }

  private mutating func reportInvalid(_ message: String, from start: Int) {
    report(message, at: SourceRange(start: start, end: position))
    emit(.invalid, from: start)
  }

  /// Reports the outermost open interpolation, if any, at its `{`, and drops the braces from
  /// there on. A string ends at its line, so a line break or the end of the input closes
  /// every interpolation still open. Returns whether there was one.
  @discardableResult
  private mutating func reportOpenInterpolation() -> Bool {
    guard
      let outermost = braces.firstIndex(where: {
        if case .interpolation = $0 { return true }
        return false
      }),
      case .interpolation(_, let brace) = braces[outermost]
    else { return false }
    braces.removeSubrange(outermost...)
    report(
      "string has an unclosed '{' interpolation; close it with '}', or write '\\{' for a "
        + "literal brace",
      at: SourceRange(start: brace, end: brace + 1))
    return true
  }

  private static func isIdentifierStart(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
      || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
  }

  private static func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  private static func isIdentifierPart(_ byte: UInt8) -> Bool {
    isIdentifierStart(byte) || isDigit(byte)
  }

  /// Checks whether the bytes at the current position spell `σ` (U+03C3, bytes CF 83).
  private func atSigmaLetter(_ offset: Int = 0) -> Bool {
    peekByte(offset) == 0xCF && peekByte(offset + 1) == 0x83
  }

  /// Checks whether the bytes at the current position spell `−` (U+2212 MINUS SIGN, bytes
  /// E2 88 92), which the lexer reads as `-` so that text copied from sweep labels works.
  private func atMinusSign() -> Bool {
    peekByte() == 0xE2 && peekByte(1) == 0x88 && peekByte(2) == 0x92
  }

  // MARK: - Tokens

  private mutating func skipSpacesAndComments() {
    while let byte = peekByte() {
      switch byte {
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0C:
        position += 1
      case UInt8(ascii: "#"):
        while let next = peekByte(), next != UInt8(ascii: "\n") { position += 1 }
      default:
        return
      }
    }
  }

  private mutating func lexToken() {
    let start = position
    let byte = bytes[position]
    if byte == UInt8(ascii: "\n") {
      position += 1
      // A line break inside `{...}` of a string means the string was never closed.
      if reportOpenInterpolation() { emit(.invalid, from: start) }
      emit(.newline, from: start)
    } else if Lexer.isDigit(byte) {
      lexNumber()
    } else if Lexer.isIdentifierStart(byte) {
      lexIdentifier()
    } else if byte == UInt8(ascii: "\"") {
      position += 1
      lexStringBody(quote: start, continuing: false)
    } else if byte < 0x80 {
      lexPunctuation()
    } else if atMinusSign() {
      position += 3
      emit(.minus, from: start)
    } else if atSigmaLetter() {
      position += 2
      reportInvalid("'σ' must follow a number directly, as in 2σ", from: start)
    } else {
      skipCharacter()
      let spelling = file.slice(SourceRange(start: start, end: position))
      reportInvalid("unexpected character '\(spelling)'", from: start)
    }
  }

  /// Skips one UTF-8 encoded scalar.
  private mutating func skipCharacter() {
    let lead = bytes[position]
    var length = 1
    if lead >= 0xF0 {
      length = 4
    } else if lead >= 0xE0 {
      length = 3
    } else if lead >= 0xC0 {
      length = 2
    }
    position = min(bytes.count, position + length)
  }

  /// number -> digits ("." digits)? (("e" | "E") ("+" | "-")? digits)? ("σ" | "sigma")?
  private mutating func lexNumber() {
    let start = position
    skipDigits()
    if peekByte() == UInt8(ascii: "."), let next = peekByte(1), Lexer.isDigit(next) {
      position += 1
      skipDigits()
    }
    if let marker = peekByte(), marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
      var offset = 1
      if let sign = peekByte(1), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
        offset = 2
      }
      if let digit = peekByte(offset), Lexer.isDigit(digit) {
        position += offset
        skipDigits()
      }
    }
    let digitsEnd = position
    var kind = TokenKind.number
    if atSigmaLetter() {
      position += 2
      kind = .sigmaNumber
    } else if matchesWord("sigma") {
      position += 5
      kind = .sigmaNumber
    }
    if let next = peekByte(), Lexer.isIdentifierPart(next) || atSigmaLetter() {
      while let next = peekByte(), Lexer.isIdentifierPart(next) { position += 1 }
      if atSigmaLetter() { position += 2 }
      let spelling = file.slice(SourceRange(start: start, end: position))
      reportInvalid("invalid number '\(spelling)'; write σ units as 2σ or 2sigma", from: start)
      return
    }
    let digits = file.slice(SourceRange(start: start, end: digitsEnd))
    guard let value = Double(digits), value.isFinite else {
      reportInvalid("number '\(digits)' is too large", from: start)
      return
    }
    var token = Token(kind: kind, range: SourceRange(start: start, end: position))
    token.number = value
    tokens.append(token)
  }

  private mutating func skipDigits() {
    while let byte = peekByte(), Lexer.isDigit(byte) { position += 1 }
  }

  /// Checks whether `word` follows and is not the start of a longer identifier.
  private func matchesWord(_ word: String) -> Bool {
    for (offset, expected) in word.utf8.enumerated() where peekByte(offset) != expected {
      return false
    }
    if let after = peekByte(word.utf8.count), Lexer.isIdentifierPart(after) { return false }
    return true
  }

  private mutating func lexIdentifier() {
    let start = position
    while let byte = peekByte(), Lexer.isIdentifierPart(byte) { position += 1 }
    let name = file.slice(SourceRange(start: start, end: position))
    emit(TokenKind.keywords[name] ?? .identifier, from: start, text: name)
  }

  /// Reads string text from the current position up to a closing quote or an interpolation's
  /// `{`. `quote` is the offset of the string's opening quote. `continuing` is true when this
  /// part follows an interpolation's closing `}`.
  private mutating func lexStringBody(quote: Int, continuing: Bool) {
    let start = continuing ? position - 1 : quote
    var text: [UInt8] = []
    while let byte = peekByte() {
      switch byte {
      case UInt8(ascii: "\""):
        position += 1
        emit(continuing ? .interpolationEnd : .string, from: start, text: decode(text))
        return
      case UInt8(ascii: "{"):
        braces.append(.interpolation(quote: quote, brace: position))
        position += 1
        emit(
          continuing ? .interpolationMiddle : .interpolationStart, from: start, text: decode(text))
        return
      case UInt8(ascii: "\n"):
        reportUnterminated(quote: quote)
        emit(.invalid, from: start)
        return
      case UInt8(ascii: "\\"):
        lexEscape(into: &text)
      default:
        text.append(byte)
        position += 1
      }
    }
    reportUnterminated(quote: quote)
    emit(.invalid, from: start)
  }

  /// Reports a string that runs to the end of its line. Inside an open interpolation, its
  /// quote is most likely the one meant to end the outer string, as in `print("a{")`, so
  /// only the unclosed `{` is reported.
  private mutating func reportUnterminated(quote: Int) {
    if reportOpenInterpolation() { return }
    report("unterminated string", at: SourceRange(start: quote, end: quote + 1))
  }

  private func decode(_ text: [UInt8]) -> String {
    String(decoding: text, as: UTF8.self)
  }

  /// escape -> "\" ("n" | "t" | "r" | "\" | '"' | "{" | "}")
  private mutating func lexEscape(into text: inout [UInt8]) {
    let start = position
    position += 1
    guard let byte = peekByte(), byte != UInt8(ascii: "\n") else {
      report("expected a character after '\\'", at: SourceRange(start: start, end: position))
      return
    }
    if let replacement = Lexer.escapes[byte] {
      text.append(replacement)
      position += 1
      return
    }
    skipCharacter()
    let spelling = file.slice(SourceRange(start: start, end: position))
    report(
      "invalid escape '\(spelling)' in string; write '\\\\' for a backslash",
      at: SourceRange(start: start, end: position))
  }

  private static let escapes: [UInt8: UInt8] = [
    UInt8(ascii: "n"): UInt8(ascii: "\n"), UInt8(ascii: "t"): UInt8(ascii: "\t"),
    UInt8(ascii: "r"): UInt8(ascii: "\r"), UInt8(ascii: "\\"): UInt8(ascii: "\\"),
    UInt8(ascii: "\""): UInt8(ascii: "\""), UInt8(ascii: "{"): UInt8(ascii: "{"),
    UInt8(ascii: "}"): UInt8(ascii: "}"),
  ]

  private mutating func lexPunctuation() {
    let start = position
    let byte = bytes[position]
    position += 1
    let followedByEqual = peekByte() == UInt8(ascii: "=")
    func withEqual(_ plain: TokenKind, _ combined: TokenKind) -> TokenKind {
      guard followedByEqual else { return plain }
      position += 1
      return combined
    }
    let kind: TokenKind
    switch byte {
    case UInt8(ascii: "("): kind = .leftParen
    case UInt8(ascii: ")"): kind = .rightParen
    case UInt8(ascii: "["): kind = .leftBracket
    case UInt8(ascii: "]"): kind = .rightBracket
    case UInt8(ascii: "{"):
      braces.append(.block)
      kind = .leftBrace
    case UInt8(ascii: "}"):
      if case .interpolation(let quote, _)? = braces.last {
        braces.removeLast()
        lexStringBody(quote: quote, continuing: true)
        return
      }
      if !braces.isEmpty { braces.removeLast() }
      kind = .rightBrace
    case UInt8(ascii: ","): kind = .comma
    case UInt8(ascii: "."): kind = .dot
    case UInt8(ascii: ";"): kind = .semicolon
    case UInt8(ascii: "+"): kind = withEqual(.plus, .plusEqual)
    case UInt8(ascii: "-"): kind = withEqual(.minus, .minusEqual)
    case UInt8(ascii: "*"):
      if peekByte() == UInt8(ascii: "*") {
        position += 1
        reportInvalid("unexpected '**'; write powers with '^', as in 2^3", from: start)
        return
      }
      kind = withEqual(.star, .starEqual)
    case UInt8(ascii: "/"): kind = withEqual(.slash, .slashEqual)
    case UInt8(ascii: "%"): kind = .percent
    case UInt8(ascii: "^"): kind = .caret
    case UInt8(ascii: "="): kind = withEqual(.equal, .equalEqual)
    case UInt8(ascii: "<"): kind = withEqual(.less, .lessEqual)
    case UInt8(ascii: ">"): kind = withEqual(.greater, .greaterEqual)
    case UInt8(ascii: "!"):
      guard followedByEqual else {
        reportInvalid("unexpected character '!'; write 'not' for negation", from: start)
        return
      }
      position += 1
      kind = .bangEqual
    case UInt8(ascii: "&"), UInt8(ascii: "|"):
      let word = byte == UInt8(ascii: "&") ? "and" : "or"
      if peekByte() == byte { position += 1 }
      let spelling = file.slice(SourceRange(start: start, end: position))
      reportInvalid("unexpected '\(spelling)'; write '\(word)'", from: start)
      return
    default:
      if byte < 0x20 || byte == 0x7F {
        let code = String(byte, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: 4 - code.count) + code
        reportInvalid("unexpected control character U+\(padded)", from: start)
      } else {
        let spelling = file.slice(SourceRange(start: start, end: position))
        reportInvalid("unexpected character '\(spelling)'", from: start)
      }
      return
    }
    emit(kind, from: start)
  }
}
