import Interpreter
import XCTest

final class ErrorMessageTests: XCTestCase {
  /// Source, expected kind, and the exact rendered diagnostics.
  let cases: [(String, InterpreterError.Kind, String)] = [
    (
      "let colour = 1\nprint(color)", .syntax,
      """
      test.face:2:7: error: unknown name 'color'; did you mean 'colour'?
      print(color)
            ^~~~~

      """
    ),
    (
      "prnt(\"hi\")", .syntax,
      """
      test.face:1:1: error: unknown name 'prnt'; did you mean 'print'?
      prnt("hi")
      ^~~~

      """
    ),
    (
      "lerp(1, 2)", .syntax,
      """
      test.face:1:1: error: lerp expects 3 arguments, as in lerp(a, b, t), but got 2
      lerp(1, 2)
      ^~~~~~~~~~

      """
    ),
    (
      "fn f(a, b) { return a }\nf(1)", .runtime,
      """
      test.face:2:1: error: f expects 2 arguments, as in f(a, b), but got 1
      f(1)
      ^~~~

      """
    ),
    (
      "lerp(random(1), 2, 0.5)", .runtime,
      """
      test.face:1:1: error: lerp(a, b, t) blends two faces, numbers, σ values or \
      directions, not a face and a number
      lerp(random(1), 2, 0.5)
      ^~~~~~~~~~~~~~~~~~~~~~~

      """
    ),
    (
      "random(\"x\")", .runtime,
      """
      test.face:1:1: error: 'seed' in random(seed, truncation) must be a number, got a string
      random("x")
      ^~~~~~~~~~~

      """
    ),
    (
      "let f = random(1)\nf.pc[1] = 2", .runtime,
      """
      test.face:2:1: error: pc[1] is in σ units; write 2σ, not 2
      f.pc[1] = 2
      ^~~~~~~~~~~

      """
    ),
    (
      "let f = random(1)\nf.pc[1] += 1", .runtime,
      """
      test.face:2:1: error: cannot apply '+' to a σ value and a number; give both sides σ \
      units, as in 2σ, or divide by 1σ to get a number
      f.pc[1] += 1
      ^~~~~~~~~~~~

      """
    ),
    (
      "let f = random(1)\nprint(f.shrt)\naxis shirt = pc[1]", .syntax,
      """
      test.face:2:9: error: unknown axis 'shrt'; did you mean 'shirt'?
      print(f.shrt)
              ^~~~

      """
    ),
    (
      "let f = random(1)\nprint(f.smile)", .syntax,
      """
      test.face:2:9: error: unknown axis 'smile'; declare it with 'axis smile = pc[N]'
      print(f.smile)
              ^~~~~

      """
    ),
    (
      "let n = 3\nlet f = random(1)\nf.n = 1σ", .runtime,
      """
      test.face:3:3: error: 'n' is a number, not an axis; declare axes with 'axis n = pc[N]'
      f.n = 1σ
        ^

      """
    ),
    (
      "x = 3", .syntax,
      """
      test.face:1:1: error: unknown name 'x'
      x = 3
      ^

      """
    ),
    (
      "print(y)\nlet y = 2", .syntax,
      """
      test.face:1:7: error: 'y' is used before its declaration
      print(y)
            ^

      """
    ),
    (
      "fn f() { return k }\nif true {\n  let k = 1\n  fn g() { return k }\n}", .syntax,
      """
      test.face:1:17: error: unknown name 'k'
      fn f() { return k }
                      ^
      test.face:4:19: error: 'k' belongs to an enclosing block or function; a function can \
      use only its parameters, its own variables and top-level variables, so pass 'k' as an \
      argument
        fn g() { return k }
                        ^

      """
    ),
    (
      "break\nreturn 1", .syntax,
      """
      test.face:1:1: error: 'break' outside a loop
      break
      ^~~~~
      test.face:2:1: error: 'return' outside a function
      return 1
      ^~~~~~~~

      """
    ),
    (
      "let xs = [1, 2]\nprint(xs[2])", .runtime,
      """
      test.face:2:7: error: index 2 is out of range for 2 elements; valid indexes are 0 to 1, \
      or -2 to -1 from the end
      print(xs[2])
            ^~~~~

      """
    ),
    (
      "print(1 / 0)", .runtime,
      """
      test.face:1:9: error: division by zero
      print(1 / 0)
              ^

      """
    ),
    (
      "if 1 { }", .runtime,
      """
      test.face:1:4: error: a condition must be true or false, got a number
      if 1 { }
         ^

      """
    ),
    (
      "print(\"n=\" + 3)", .runtime,
      """
      test.face:1:12: error: cannot apply '+' to a string and a number; convert with str(x), \
      or write "{x}" inside a string
      print("n=" + 3)
                 ^

      """
    ),
    (
      "let f = random(1)\nlet g = f * 2", .runtime,
      """
      test.face:2:11: error: cannot multiply a face by a number; faces are points, so scale \
      a direction instead, as in a + t * (b - a), or blend with lerp(a, b, t)
      let g = f * 2
                ^

      """
    ),
    (
      "for x in 5 { }", .runtime,
      """
      test.face:1:10: error: 'for' loops over a list or a range such as 0 to 10, not a number
      for x in 5 { }
               ^

      """
    ),
    (
      "for t in 0 to 1 step 0 { }", .runtime,
      """
      test.face:1:10: error: range step must not be 0
      for t in 0 to 1 step 0 { }
               ^~~~~~~~~~~~~

      """
    ),
    (
      "let x = 3\nx()", .runtime,
      """
      test.face:2:1: error: cannot call a number; only functions can be called
      x()
      ^~~

      """
    ),
    (
      "print = 3", .syntax,
      """
      test.face:1:1: error: cannot assign to the function 'print'; declare a variable with \
      'let print = ...'
      print = 3
      ^~~~~

      """
    ),
    (
      "fn f(n) {\n  return g(n)\n}\nfn g(n) {\n  return [n][5]\n}\nf(1)", .runtime,
      """
      test.face:5:10: error: index 5 is out of range for 1 element; valid indexes are 0 to 0, \
      or -1 to -1 from the end
        return [n][5]
               ^~~~~~

      """
    ),
  ]

  func testRenderedMessages() {
    for (source, kind, expected) in cases {
      let error = failure(source)
      XCTAssertEqual(error?.kind, kind, source)
      XCTAssertEqual(error?.rendered, expected, source)
    }
  }

  func testSyntaxErrorsKeepTheirKind() {
    let error = failure("let = 1\nx = )\ny = 3 3")
    XCTAssertEqual(error?.kind, .syntax)
    XCTAssertEqual(error?.diagnostics.map(\.line), [1, 2, 3])
  }

  func testChunkNameAppearsInMessages() {
    let (interpreter, _) = makeInterpreter()
    do {
      try interpreter.evaluate("print(1 / 0)", chunkName: "scripts/demo.face")
      XCTFail("expected an error")
    } catch let error as InterpreterError {
      XCTAssertTrue(error.rendered.hasPrefix("scripts/demo.face:1:9: error: division by zero\n"))
    } catch {
      XCTFail("unexpected error type")
    }
  }
}
