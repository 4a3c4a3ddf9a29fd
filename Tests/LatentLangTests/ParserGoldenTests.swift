import XCTest

@testable import LatentLang

/// Parses `source` and returns the dump, failing the test on any diagnostic.
func dump(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> String {
  let result = Parser.parse(SourceFile(name: "test.face", text: source))
  for diagnostic in result.diagnostics {
    XCTFail("unexpected diagnostic: \(diagnostic.rendered())", file: file, line: line)
  }
  return SyntaxDump.dump(result.tree)
}

final class ParserGoldenTests: XCTestCase {
  func testExpressionPrecedence() {
    let cases: [(String, String)] = [
      ("1 + 2 * 3", "(1 + (2 * 3))\n"),
      ("1 - 2 - 3", "(1 - 2 - 3)\n"),
      ("-3^2", "(-(3 ^ 2))\n"),
      ("2^3^2", "(2 ^ (3 ^ 2))\n"),
      ("2^-1", "(2 ^ (-1))\n"),
      ("(1 + 2) * 3", "((1 + 2) * 3)\n"),
      ("a or b and not c", "(a or (b and (not c)))\n"),
      ("not a == b", "(not (a == b))\n"),
      ("1 + 2 < 3 * 4", "((1 + 2) < (3 * 4))\n"),
      ("0 to n - 1 step 2", "(0 to (n - 1) step 2)\n"),
      ("-2σ to 2sigma step 0.5σ", "((-2σ) to 2σ step 0.5σ)\n"),
      ("7 % 3 / 2", "(7 % 3 / 2)\n"),
      ("+x", "(+x)\n"),
      ("- -x", "(-(-x))\n"),
    ]
    for (source, expected) in cases {
      XCTAssertEqual(dump(source), expected, source)
    }
  }

  func testPostfixAndCoordinates() {
    let cases: [(String, String)] = [
      ("f.pc[1]", "f.pc[1]\n"),
      ("pc[2 + 1]", "pc[(2 + 1)]\n"),
      ("f.shirt", "f.shirt\n"),
      ("xs[0][1]", "xs[0][1]\n"),
      ("g(1)(2)", "g(1)(2)\n"),
      ("faces[0].pc[1]", "faces[0].pc[1]\n"),
      ("f with { pc[1] = -2σ, shirt += 1σ }", "f with {pc[1] = (-2σ), shirt += 1σ}\n"),
      ("lerp(a, b, 0.5).pc[3]", "lerp(a, b, 0.5).pc[3]\n"),
      ("-f.pc[1]^2", "(-(f.pc[1] ^ 2))\n"),
      ("[1, [2, 3], ]", "[1, [2, 3]]\n"),
      ("[]", "[]\n"),
      ("f()", "f()\n"),
    ]
    for (source, expected) in cases {
      XCTAssertEqual(dump(source), expected, source)
    }
  }

  func testLiterals() {
    let cases: [(String, String)] = [
      ("1.5e3", "1500\n"),
      ("0.25", "0.25\n"),
      ("2.5σ", "2.5σ\n"),
      ("true and false or nil == nil", "((true and false) or (nil == nil))\n"),
      (#""tab\there \"q\" \{x\}""#, #""tab\there \"q\" \{x\}""# + "\n"),
      (#""frame-{i}.png""#, #""frame-{i}.png""# + "\n"),
      (#""{a}{b + 1}""#, #""{a}{(b + 1)}""# + "\n"),
      (#""outer {"inner {x}"} end""#, #""outer {"inner {x}"} end""# + "\n"),
      ("−2σ", "(-2σ)\n"),
    ]
    for (source, expected) in cases {
      XCTAssertEqual(dump(source), expected, source)
    }
  }

  func testStatements() {
    let source = """
      let x = 1
      x += 2; x = x * 3
      axis shirt = pc[1]
      f.pc[1] = -2σ
      f.pc[2] += 0.5σ
      pc[1] = 1σ
      f.shirt = 2σ
      xs[0] = 5
      fn area(w, h) {
        return w * h
      }
      if x > 3 { print("big") } else if x > 1 {
        print("medium")
      }
      else {
        print("small")
      }
      while x > 0 { x -= 1 }
      for i in 0 to 1 step 0.25 { continue }
      for f in faces {
        break
      }
      {
        let inner = 1
      }
      """
    let expected = """
      let x = 1
      x += 2
      x = (x * 3)
      axis shirt = pc[1]
      f.pc[1] = (-2σ)
      f.pc[2] += 0.5σ
      pc[1] = 1σ
      f.shirt = 2σ
      xs[0] = 5
      fn area(w, h) {
        return (w * h)
      }
      if (x > 3) {
        print("big")
      } else if (x > 1) {
        print("medium")
      } else {
        print("small")
      }
      while (x > 0) {
        x -= 1
      }
      for i in (0 to 1 step 0.25) {
        continue
      }
      for f in faces {
        break
      }
      {
        let inner = 1
      }

      """
    XCTAssertEqual(dump(source), expected)
  }

  func testLineBreaksInsideGroupsAndAfterOperators() {
    let source =
      "let xs = [\n  1,\n  2,\n]\nlet y = f(\n  a,\n  b)\nlet z = 1 +\n  2\nreturn_value(\n)\n"
    let expected = "let xs = [1, 2]\nlet y = f(a, b)\nlet z = (1 + 2)\nreturn_value()\n"
    XCTAssertEqual(dump(source), expected)
  }

  func testEmptyAndCommentOnlyFiles() {
    XCTAssertEqual(dump(""), "")
    XCTAssertEqual(dump("\n\n"), "")
    XCTAssertEqual(dump("# only a comment"), "")
    XCTAssertEqual(dump("let a = 1 # trailing comment with no newline"), "let a = 1\n")
  }

  func testCRLFAndTabs() {
    XCTAssertEqual(dump("let a = 1\r\n\tlet b = a\r\n"), "let a = 1\nlet b = a\n")
    XCTAssertEqual(
      dump("if a {\r\n\tb()\r\n}\r\nelse {\r\n\tc()\r\n}"), "if a {\n  b()\n} else {\n  c()\n}\n")
  }

  func testReturnWithoutValue() {
    XCTAssertEqual(dump("fn f() { return }"), "fn f() {\n  return\n}\n")
    XCTAssertEqual(dump("fn f() {\n  return\n}"), "fn f() {\n  return\n}\n")
  }
}
