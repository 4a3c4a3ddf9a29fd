import XCTest

@testable import LatentLang

/// Returns the kinds of the tokens of `source`, without the final end-of-input token.
private func kinds(_ source: String) -> [TokenKind] {
  Array(Lexer.tokenize(SourceFile(name: "t", text: source)).tokens.map(\.kind).dropLast())
}

private func tokens(_ source: String) -> [Token] {
  Lexer.tokenize(SourceFile(name: "t", text: source)).tokens
}

final class LexerTests: XCTestCase {
  func testNumbersAndSigmaSuffixes() {
    let lexed = tokens("3 0.5 1e3 2.5E-2 2σ -0.5sigma 1e2σ")
    XCTAssertEqual(
      lexed.map(\.kind),
      [
        .number, .number, .number, .number, .sigmaNumber, .minus, .sigmaNumber, .sigmaNumber,
        .endOfInput,
      ])
    XCTAssertEqual(lexed.map(\.number), [3, 0.5, 1000, 0.025, 2, 0, 0.5, 100, 0])
  }

  func testSigmaWordNeedsToEndTheNumber() {
    XCTAssertEqual(kinds("2sigmas"), [.invalid])
    XCTAssertEqual(kinds("x.sigma"), [.identifier, .dot, .identifier])
  }

  func testKeywordsIdentifiersAndOperators() {
    XCTAssertEqual(
      kinds("let pc_x = pc[1] += -= *= /= == != <= >= < > ^ %"),
      [
        .keywordLet, .identifier, .equal, .keywordPc, .leftBracket, .number, .rightBracket,
        .plusEqual, .minusEqual, .starEqual, .slashEqual, .equalEqual, .bangEqual, .lessEqual,
        .greaterEqual, .less, .greater, .caret, .percent,
      ])
  }

  func testNewlinesCommentsAndCRLF() {
    XCTAssertEqual(
      kinds("a # comment\r\nb\n\n# last line without newline"),
      [
        .identifier, .newline, .identifier, .newline, .newline,
      ])
    XCTAssertEqual(kinds(""), [])
    XCTAssertEqual(kinds("#"), [])
  }

  func testInterpolationTokens() {
    let lexed = tokens("\"frame-{i}-{j + 1}.png\"")
    XCTAssertEqual(
      lexed.map(\.kind),
      [
        .interpolationStart, .identifier, .interpolationMiddle, .identifier, .plus, .number,
        .interpolationEnd, .endOfInput,
      ])
    XCTAssertEqual(lexed[0].text, "frame-")
    XCTAssertEqual(lexed[2].text, "-")
    XCTAssertEqual(lexed[6].text, ".png")
  }

  func testBlockBracesInsideInterpolationDoNotEndIt() {
    XCTAssertEqual(
      kinds("\"a{f with {pc[1] = 1σ}}b\""),
      [
        .interpolationStart, .identifier, .keywordWith, .leftBrace, .keywordPc, .leftBracket,
        .number, .rightBracket, .equal, .sigmaNumber, .rightBrace, .interpolationEnd,
      ])
  }

  func testEscapes() {
    XCTAssertEqual(tokens(#""a\n\t\"\\\{\}""#).first?.text, "a\n\t\"\\{}")
  }

  func testUnicodeMinusSignReadsAsMinus() {
    XCTAssertEqual(kinds("−2σ"), [.minus, .sigmaNumber])
  }

  func testTokenRangesAreByteOffsets() {
    let lexed = tokens("σσ = 2σ")
    // Each σ is two bytes in UTF-8.
    XCTAssertEqual(lexed[0].range, SourceRange(start: 0, end: 2))
    XCTAssertEqual(lexed.last?.kind, .endOfInput)
  }

  func testUnterminatedInterpolationAtEndOfLine() {
    let result = Lexer.tokenize(SourceFile(name: "t", text: "\"a{b\nc"))
    XCTAssertEqual(
      result.diagnostics.map(\.message),
      ["string has an unclosed '{' interpolation; close it with '}', or write '\\{' for a "
        + "literal brace"])
    XCTAssertEqual(
      result.tokens.map(\.kind),
      [
        .interpolationStart, .identifier, .invalid, .newline, .identifier, .endOfInput,
      ])
  }

  func testUnclosedInterpolationIsOneError() {
    let message =
      "string has an unclosed '{' interpolation; close it with '}', or write '\\{' for a "
      + "literal brace"
    // The quote meant to end the string starts a new string inside the interpolation.
    for text in ["print(\"a{\")", "print(\"a{\")\nprint(1)", "\"a{b", "\"x{ \"y{z}w"] {
      let result = Lexer.tokenize(SourceFile(name: "t", text: text))
      XCTAssertEqual(result.diagnostics.map(\.message), [message], text)
      XCTAssertEqual(result.diagnostics.first?.column, text.hasPrefix("p") ? 9 : 3, text)
    }
    let escaped = Lexer.tokenize(SourceFile(name: "t", text: "\"a\\{\""))
    XCTAssertEqual(escaped.diagnostics.count, 0)
    XCTAssertEqual(escaped.tokens.first?.text, "a{")
  }

  func testControlCharacterMessage() {
    let result = Lexer.tokenize(SourceFile(name: "t", text: "a \u{1} b"))
    XCTAssertEqual(result.diagnostics.map(\.message), ["unexpected control character U+0001"])
  }

  func testLocationCountsCharacters() {
    let file = SourceFile(name: "t", text: "σ\tx\r\nyz")
    XCTAssertEqual(file.location(of: 3).line, 1)
    XCTAssertEqual(file.location(of: 3).column, 3)
    XCTAssertEqual(file.location(of: 6).line, 2)
    XCTAssertEqual(file.location(of: 7).column, 2)
    XCTAssertEqual(file.lineText(1), "σ\tx")
  }
}
