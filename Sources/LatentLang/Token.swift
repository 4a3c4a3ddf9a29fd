/// The kinds of token the lexer produces.
package enum TokenKind: Equatable, Sendable {
  case number
  /// A number with a `σ` or `sigma` suffix, such as `-2σ` or `0.5sigma`.
  case sigmaNumber
  case identifier
  /// A string without interpolation; `Token.text` is the decoded text.
  case string
  /// The text of a string up to its first `{`.
  case interpolationStart
  /// The text between a `}` that closes an interpolation and the next `{`.
  case interpolationMiddle
  /// The text after the last interpolation up to the closing quote.
  case interpolationEnd
  case newline
  case endOfInput
  /// A character or literal the lexer could not read; the lexer has already reported it.
  case invalid

  // Keywords.
  case keywordLet, keywordFn, keywordReturn, keywordIf, keywordElse, keywordWhile, keywordFor
  case keywordIn, keywordTo, keywordStep, keywordTrue, keywordFalse, keywordNil
  case keywordAnd, keywordOr, keywordNot, keywordAxis, keywordWith, keywordBreak
  case keywordContinue, keywordPc

  // Punctuation and operators.
  case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
  case comma, dot, semicolon
  case plus, minus, star, slash, percent, caret
  case equal, plusEqual, minusEqual, starEqual, slashEqual
  case equalEqual, bangEqual, less, lessEqual, greater, greaterEqual

  /// Keywords by their spelling.
  package static let keywords: [String: TokenKind] = [
    "let": .keywordLet, "fn": .keywordFn, "return": .keywordReturn, "if": .keywordIf,
    "else": .keywordElse, "while": .keywordWhile, "for": .keywordFor, "in": .keywordIn,
    "to": .keywordTo, "step": .keywordStep, "true": .keywordTrue, "false": .keywordFalse,
    "nil": .keywordNil, "and": .keywordAnd, "or": .keywordOr, "not": .keywordNot,
    "axis": .keywordAxis, "with": .keywordWith, "break": .keywordBreak,
    "continue": .keywordContinue, "pc": .keywordPc,
  ]

  /// Whether a token of this kind can only start a statement, so that error recovery may
  /// resume there.
  var startsStatement: Bool {
    switch self {
    case .keywordLet, .keywordFn, .keywordReturn, .keywordIf, .keywordWhile, .keywordFor,
      .keywordAxis, .keywordBreak, .keywordContinue:
      return true
    default:
      return false
    }
  }
}

/// One token: its kind, where it is, and its value for literals and names.
package struct Token: Sendable {
  package var kind: TokenKind
  package var range: SourceRange
  /// The name of an identifier, or the decoded text of a string part.
  package var text: String = ""
  /// The value of a number literal, without the σ.
  package var number: Double = 0
}
