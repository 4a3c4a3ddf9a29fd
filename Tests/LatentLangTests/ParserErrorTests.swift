import XCTest

@testable import LatentLang

/// Parses `source` as `test.face` and returns all diagnostics rendered.
func renderedErrors(_ source: String) -> String {
  Parser.parse(SourceFile(name: "test.face", text: source)).diagnostics
    .map { $0.rendered() }.joined()
}

final class ParserErrorTests: XCTestCase {
  func testLongLineShowsWindowAroundCaret() {
    // 300 terms, then an error: the source line is cut to 160 characters around the caret.
    let source = "let x = " + String(repeating: "1+", count: 300) + "1 )"
    let lines = renderedErrors(source).split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertEqual(lines[0], "test.face:1:611: error: expected a line break or ';' after the statement, found ')'")
    XCTAssertTrue(lines[1].hasPrefix("…"), String(lines[1]))
    XCTAssertFalse(lines[1].hasSuffix("…"), "the window reaches the end of the line")
    XCTAssertEqual(lines[1].count, 161)
    let caret = lines[2].firstIndex(of: "^").map { lines[2].distance(from: lines[2].startIndex, to: $0) }
    let closing = lines[1].lastIndex(of: ")").map { lines[1].distance(from: lines[1].startIndex, to: $0) }
    XCTAssertEqual(caret, closing, "the caret must stay under the ')'")
  }

  func testRenderedMessages() {
    let cases: [(String, String)] = [
      (
        "let x = (1 + 2",
        """
        test.face:1:15: error: expected ')', found end of input
        let x = (1 + 2
                      ^
        test.face:1:9: note: to match this '('
        let x = (1 + 2
                ^

        """
      ),
      (
        "let = 3",
        """
        test.face:1:5: error: expected a name after 'let', found '='
        let = 3
            ^

        """
      ),
      (
        "let if = 3",
        """
        test.face:1:5: error: expected a name after 'let', found 'if'; 'if' is a keyword
        let if = 3
            ^~

        """
      ),
      (
        "x = 1 2",
        """
        test.face:1:7: error: expected a line break or ';' after the statement, found '2'
        x = 1 2
              ^

        """
      ),
      (
        "print(1 +)",
        """
        test.face:1:10: error: expected an expression, found ')'
        print(1 +)
                 ^

        """
      ),
      (
        "1 + 2 = 3",
        """
        test.face:1:1: error: cannot assign to this expression; assign to a variable, \
        a list element or a face coordinate such as f.pc[1]
        1 + 2 = 3
        ^~~~~

        """
      ),
      (
        "a < b < c",
        """
        test.face:1:7: error: comparisons cannot be chained; join them with 'and', \
        as in 'a < b and b < c'
        a < b < c
              ^

        """
      ),
      (
        "else { }",
        """
        test.face:1:1: error: 'else' without a matching 'if'
        else { }
        ^~~~

        """
      ),
      (
        "}",
        """
        test.face:1:1: error: unexpected '}' with no open block
        }
        ^

        """
      ),
      (
        "axis a = 3",
        """
        test.face:1:10: error: expected 'pc[N]' after 'axis a =', found '3'
        axis a = 3
                 ^

        """
      ),
      (
        "fn f(a, a) { }",
        """
        test.face:1:9: error: duplicate parameter 'a'
        fn f(a, a) { }
                ^

        """
      ),
      (
        "f.7",
        """
        test.face:1:3: error: expected 'pc[N]' or an axis name after '.', found '7'
        f.7
          ^

        """
      ),
    ]
    for (source, expected) in cases {
      XCTAssertEqual(renderedErrors(source), expected, source)
    }
  }

  func testLexerMessages() {
    let cases: [(String, String)] = [
      (
        "x = 3 @ 4",
        """
        test.face:1:7: error: unexpected character '@'
        x = 3 @ 4
              ^

        """
      ),
      (
        "let s = \"abc\nlet t = 1",
        """
        test.face:1:9: error: unterminated string
        let s = "abc
                ^

        """
      ),
      (
        "print(\"a{\")",
        """
        test.face:1:9: error: string has an unclosed '{' interpolation; close it with '}', or \
        write '\\{' for a literal brace
        print("a{")
                ^

        """
      ),
      (
        "x = σ",
        """
        test.face:1:5: error: 'σ' must follow a number directly, as in 2σ
        x = σ
            ^

        """
      ),
      (
        "x = 2sd",
        """
        test.face:1:5: error: invalid number '2sd'; write σ units as 2σ or 2sigma
        x = 2sd
            ^~~

        """
      ),
      (
        "if a && b { }",
        """
        test.face:1:6: error: unexpected '&&'; write 'and'
        if a && b { }
             ^~

        """
      ),
      (
        "x = 2 ** 3",
        """
        test.face:1:7: error: unexpected '**'; write powers with '^', as in 2^3
        x = 2 ** 3
              ^~

        """
      ),
      (
        "s = \"a\\qb\"",
        """
        test.face:1:7: error: invalid escape '\\q' in string; write '\\\\' for a backslash
        s = "a\\qb"
              ^~

        """
      ),
      (
        "x = 1e999",
        """
        test.face:1:5: error: number '1e999' is too large
        x = 1e999
            ^~~~~

        """
      ),
    ]
    for (source, expected) in cases {
      XCTAssertEqual(renderedErrors(source), expected, source)
    }
  }

  func testColumnsCountCharactersAndKeepTabs() {
    let expected = """
      test.face:2:12: error: expected an expression, found ')'
      \tf.pc[1] = )
      \t          ^

      """
    XCTAssertEqual(renderedErrors("let σx = 1\n\tf.pc[1] = )").split(separator: "\n").count, 6)
    XCTAssertEqual(renderedErrors("# σσσ\n\tf.pc[1] = )"), expected)
    let sigmaLine = renderedErrors("x = 2σ + )")
    XCTAssertTrue(sigmaLine.hasPrefix("test.face:1:10: error: expected an expression"), sigmaLine)
  }

  func testCRLFLineEndingsRenderWithoutCarriageReturn() {
    let text = renderedErrors("let a = 1\r\nlet = 2\r\n")
    XCTAssertEqual(
      text,
      "test.face:2:5: error: expected a name after 'let', found '='\nlet = 2\n    ^\n")
  }

  func testThreeMistakesGiveThreeDiagnostics() {
    let source = """
      let a = (1 + 2
      let b = 3 +
      print(b
      let ok = 1
      fn f( { }
      """
    let diagnostics = Parser.parse(SourceFile(name: "t", text: source)).diagnostics
    XCTAssertEqual(diagnostics.map(\.line), [2, 4, 5])
    XCTAssertEqual(
      diagnostics.map(\.message),
      [
        "expected ')', found 'let'",
        "expected ')' after the arguments, found 'let'",
        "expected a name after '(', found '{'",
      ])
  }

  func testSeparateMistakesOnSeparateLines() {
    let source = "let = 1\nx = )\ny = 3 3\nprint(\"fine\")\n"
    let diagnostics = Parser.parse(SourceFile(name: "t", text: source)).diagnostics
    XCTAssertEqual(diagnostics.map(\.line), [1, 2, 3])
  }

  func testUnclosedBlockNotePointsAtBrace() {
    let diagnostics = Parser.parse(SourceFile(name: "t", text: "while x {\n  x -= 1\n")).diagnostics
    XCTAssertEqual(diagnostics.count, 1)
    XCTAssertEqual(
      diagnostics.first?.message, "expected '}' at the end of the block, found end of input")
    XCTAssertEqual(diagnostics.first?.notes.first?.message, "to match this '{'")
    XCTAssertEqual(diagnostics.first?.notes.first?.line, 1)
    XCTAssertEqual(diagnostics.first?.notes.first?.column, 9)
  }

  func testEndedEarly() {
    let incomplete = ["if x {", "let x =", "f(1,", "fn f(a) {\n  return a", "[1, 2", "x = 1 +"]
    for source in incomplete {
      XCTAssertTrue(Parser.parse(SourceFile(name: "t", text: source)).endedEarly, source)
    }
    let complete = ["x = )", "let x = 1", "\"abc", "x = ) + (", "", "}"]
    for source in complete {
      XCTAssertFalse(Parser.parse(SourceFile(name: "t", text: source)).endedEarly, source)
    }
  }
}
