import FaceRuntime
import Interpreter
import XCTest

final class EvaluatorTests: XCTestCase {
  func testArithmeticAndPrecedence() {
    XCTAssertEqual(
      printed("print(1 + 2 * 3, -3^2, 2^3^2, 7 % 3, -1 % 3, 10 / 4, (1 + 2) * 3)"),
      ["7 -9 512 1 2 2.5 9"])
  }

  func testVariablesAssignmentAndBlocks() {
    let source = """
      let x = 1
      x = x + 1
      x += 10
      x *= 2
      {
        let x = 100
        print(x)
      }
      print(x)
      """
    XCTAssertEqual(printed(source), ["100", "24"])
  }

  func testStringsAndInterpolation() {
    let source = """
      let i = 7
      print("frame-{i}.png")
      print("sum {i + 1} and {"nested {i * 2}"}")
      print("braces \\{literal\\}")
      print(len("σab"), "a" + "b")
      """
    XCTAssertEqual(
      printed(source), ["frame-7.png", "sum 8 and nested 14", "braces {literal}", "3 ab"])
  }

  func testListsAreValues() {
    let source = """
      let a = [1, 2, 3]
      let b = a
      b[0] = 99
      print(a, b, a[-1], len(b))
      let nested = [[1, 2], [3]]
      nested[0][1] = 5
      print(nested, append(a, "x"))
      """
    XCTAssertEqual(printed(source), ["[1, 2, 3] [99, 2, 3] 3 3", "[[1, 5], [3]] [1, 2, 3, \"x\"]"])
  }

  func testControlFlow() {
    let source = """
      let total = 0
      let i = 0
      while i < 10 {
        i += 1
        if i % 2 == 0 { continue }
        if i > 7 { break }
        total += i
      }
      print(total)
      if total > 100 { print("big") } else if total > 10 { print("medium") } else { print("small") }
      """
    XCTAssertEqual(printed(source), ["16", "medium"])
  }

  func testWhileConditionsOfEveryKind() {
    let source = """
      let s = ""
      while s != "aaa" { s = s + "a" }
      let t = "a"
      while t < "aaaa" { t = t + "a" }
      let n = 0
      let going = true
      while going { n += 1; if n == 3 { going = false } }
      print(s, t, n)
      let k = 0
      while k < 3 {
        k += 1
        let a = 1
        let b = 2
        let c = 3
        if k == 2 { continue }
        let d = 4
        print(k, a + b + c + d)
      }
      """
    XCTAssertEqual(printed(source), ["aaa aaaa 3", "1 10", "3 10"])
    XCTAssertEqual(
      failure("while 1σ < 2 { }")?.message,
      "cannot compare a σ value with a number using '<'; write the number with σ, as in 1σ")
  }

  func testForOverListsAndRanges() {
    let source = """
      let names = []
      for name in ["a", "b"] { names = append(names, name + "!") }
      print(names)
      let count = 0
      let last = nil
      for t in 0 to 1 step 0.1 {
        count += 1
        last = t
      }
      print(count, last == 1, last)
      print(0 to 4, 5 to 1 step -2, 1 to 0)
      print(0 to 1 step 0.3)
      print(-2σ to 2σ step 1σ)
      """
    XCTAssertEqual(
      printed(source),
      [
        "[\"a!\", \"b!\"]", "11 true 1", "[0, 1, 2, 3, 4] [5, 3, 1] []",
        "[0, 0.3, 0.6, 0.8999999999999999]", "[-2σ, -1σ, 0σ, 1σ, 2σ]",
      ])
  }

  func testRangeValuesComputedFromIndex() {
    let lines = printed("for t in 0 to 1 step 0.1 { print(t) }")
    XCTAssertEqual(lines.count, 11)
    XCTAssertEqual(lines[3], "\(0 + 3 * 0.1)")
    XCTAssertEqual(lines[10], "1")
  }

  func testFunctionsAndRecursion() {
    let source = """
      fn fib(n) {
        if n < 2 { return n }
        return fib(n - 1) + fib(n - 2)
      }
      print(fib(15))
      print(later(2))
      fn later(x) { return x * 10 }
      fn nothing() { }
      print(nothing())
      let f = fib
      print(f(10), f)
      """
    XCTAssertEqual(printed(source), ["610", "20", "nil", "55 fn fib(n)"])
  }

  func testNestedFunctionCallsItself() {
    let source = """
      fn outer(n) {
        fn count(k) {
          if k == 0 { return 0 }
          return 1 + count(k - 1)
        }
        return count(n)
      }
      print(outer(5))
      """
    XCTAssertEqual(printed(source), ["5"])
  }

  func testRecursionLimit() {
    let error = failure("fn down(n) { return down(n + 1) }\ndown(0)")
    XCTAssertEqual(error?.kind, .runtime)
    XCTAssertEqual(error?.message, "recursion too deep (limit is 200)")
  }

  func testLogicAndComparisons() {
    XCTAssertEqual(
      printed("print(1 < 2 and 2 < 3, not true or false, 1 == 1σ, \"a\" < \"b\", 2σ >= 1σ)"),
      ["true false false true true"])
  }

  func testShortCircuitSkipsRightSide() {
    let source = "fn boom() { return 1 / 0 }\nprint(false and boom(), true or boom())"
    XCTAssertEqual(printed(source), ["false true"])
  }

  func testSigmaArithmetic() {
    XCTAssertEqual(
      printed("print(2σ + 0.5sigma, 3 * 1σ, 1σ * 3, 3σ / 2, 3σ / 1σ, -2σ, abs(-2σ), number(2σ))"),
      ["2.5σ 3σ 3σ 1.5σ 3 -2σ 2σ 2"])
  }

  func testBuiltinHelpers() {
    XCTAssertEqual(
      printed(
        "print(sqrt(16), floor(2.7), round(2.5), min(3, 1, 2), max([1, 5, 2]), type(1σ), "
          + "str(1.5) + \"!\", number(\"2.5\"))"
      ),
      ["4 2 3 1 5 σ value 1.5! 2.5"])
  }

  func testLastExpressionIsReturned() throws {
    let (interpreter, _) = makeInterpreter()
    XCTAssertEqual(try interpreter.evaluate("let a = 2\na * 21"), .number(42))
    XCTAssertEqual(try interpreter.evaluate("let b = 1"), .nil)
    XCTAssertEqual(try interpreter.evaluate("a + b"), .number(3))
  }

  func testGlobalsPersistAcrossChunks() throws {
    let (interpreter, recorder) = makeInterpreter()
    try interpreter.evaluate("let n = 5\nfn twice(x) { return 2 * x }")
    try interpreter.evaluate("print(twice(n))")
    XCTAssertEqual(recorder.lines, ["10"])
  }

  func testHundredThousandTermSum() throws {
    let (interpreter, _) = makeInterpreter()
    let source = "1" + String(repeating: "+1", count: 99_999)
    XCTAssertEqual(try interpreter.evaluate(source), .number(100_000))
  }

  func testTenThousandNestedParenthesesFailCleanly() {
    let source = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
    let error = failure(source)
    XCTAssertEqual(error?.kind, .syntax)
    XCTAssertEqual(error?.message, "expressions and blocks are nested too deeply (limit is 256)")
  }

  func testDeepestAllowedNestingEvaluates() throws {
    let (interpreter, _) = makeInterpreter()
    let depth = 250
    let source = String(repeating: "(", count: depth) + "2" + String(repeating: ")", count: depth)
    XCTAssertEqual(try interpreter.evaluate(source), .number(2))
  }

  func testDeeplyNestedListsHitTheLimit() {
    let error = failure("let a = []\nfor i in 1 to 1000 { a = [a] }")
    XCTAssertEqual(error?.message, "lists are nested more than 256 levels deep")
  }

  func testStringAndListLimits() {
    let options = Interpreter.Options(maximumListLength: 100, maximumStringLength: 1000)
    XCTAssertEqual(
      failure("let s = \"ab\"\nwhile true { s = s + s }", options: options)?.message,
      "a string would be 1024 bytes long, more than the limit of 1000")
    XCTAssertEqual(
      failure("let xs = [1]\nwhile true { xs = xs + xs }", options: options)?.message,
      "a list would have 128 elements, more than the limit of 100")
    XCTAssertEqual(
      failure("let xs = 0 to 1000", options: options)?.message,
      "a list would have 1001 elements, more than the limit of 100")
  }

  func testRemainderOfWholeAndFractionalNumbers() {
    XCTAssertEqual(
      printed("print(7.5 % 2, -7 % -3, 7 % -3, -7 % 3, 2σ % 0.75σ, 9007199254740993 % 2)"),
      ["1.5 -1 -2 2 0.5σ 0"])
  }

  func testStepLimit() {
    let options = Interpreter.Options(stepLimit: 100)
    let error = failure("while true { }", options: options)
    XCTAssertEqual(error?.kind, .runtime)
    XCTAssertEqual(error?.message, "the step limit of 100 loop iterations and calls was exceeded")
  }
}
