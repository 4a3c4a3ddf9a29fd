import XCTest

@testable import LatentLang

final class ParserLimitTests: XCTestCase {
  func testTenThousandNestedParenthesesGiveCleanError() {
    let source = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
    let result = Parser.parse(SourceFile(name: "deep.face", text: source))
    XCTAssertEqual(result.diagnostics.count, 1)
    XCTAssertEqual(
      result.diagnostics.first?.message,
      "expressions and blocks are nested too deeply (limit is 256)")
  }

  func testNestingJustUnderLimitParses() {
    let source = String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200)
    XCTAssertEqual(dump(source), "1\n")
  }

  func testDeepBlocksGiveOneError() {
    let source = String(repeating: "{\n", count: 5_000) + String(repeating: "}\n", count: 5_000)
    let result = Parser.parse(SourceFile(name: "deep.face", text: source))
    XCTAssertEqual(result.diagnostics.count, 1)
  }

  func testLongUnaryAndPowerChainsHitTheLimit() {
    for source in [
      String(repeating: "-", count: 50_000) + "1", "2" + String(repeating: "^2", count: 50_000),
      "x" + String(repeating: "[0]", count: 50_000), String(repeating: "not ", count: 50_000) + "a",
    ] {
      let result = Parser.parse(SourceFile(name: "deep.face", text: source))
      XCTAssertEqual(result.diagnostics.count, 1, String(source.prefix(10)))
    }
  }

  func testHundredThousandTermSumIsOneFlatNode() {
    let source = "let x = 1" + String(repeating: "+1", count: 99_999)
    let result = Parser.parse(SourceFile(name: "sum.face", text: source))
    XCTAssertTrue(result.diagnostics.isEmpty)
    guard case .letBinding(_, let value)? = result.tree.topLevel.first.map({ result.tree[$0] }),
      case .binary(_, let rest) = result.tree[value]
    else {
      return XCTFail("expected a let with a binary chain")
    }
    XCTAssertEqual(rest.count, 99_999)
  }

  func testDeepestAllowedTreeIsFreedCleanly() {
    for _ in 0..<20 {
      let depth = Parser.nestingLimit - 2
      let source =
        "let x = " + String(repeating: "-(", count: depth / 2) + "1"
        + String(repeating: ")", count: depth / 2)
      let result = Parser.parse(SourceFile(name: "deep.face", text: source))
      XCTAssertTrue(result.diagnostics.isEmpty)
      XCTAssertGreaterThan(result.tree.expressions.count, depth / 2)
    }
  }

  func testRandomTokenSoupAlwaysTerminates() {
    let pieces = [
      "let", "fn", "if", "else", "while", "for", "in", "to", "step", "(", ")", "[", "]", "{", "}",
      ",", ".", ";", "\n", "x", "1", "2σ", "\"s{", "}\"", "pc", "with", "=", "+=", "+", "-", "^",
      "not", "and", "return", "axis", "#c\n", "\r\n", "\t", "\"", "σ", "break",
    ]
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for _ in 0..<500 {
      var source = ""
      for _ in 0..<40 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        source += pieces[Int((state >> 33) % UInt64(pieces.count))] + " "
      }
      let result = Parser.parse(SourceFile(name: "soup", text: source))
      XCTAssertLessThanOrEqual(result.diagnostics.count, Parser.errorLimit + 50)
    }
  }
}
