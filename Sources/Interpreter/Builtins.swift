import Foundation
import LatentLang

/// The functions every interpreter starts with.
enum Builtins {
  static func all() -> [String: Builtin] {
    let list = core() + faces() + outputs() + photos()
    return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
  }

  static let unlimited = Int.max

  /// Printing, conversion, lists and arithmetic helpers.
  static func core() -> [Builtin] {
    [
      Builtin("print(values...)", arity: 0...unlimited) { machine, arguments in
        let line = arguments.values.map { ValueFormat.describe($0, quoted: false) }
        machine.sink.print(line.joined(separator: " "))
        return .nil
      },
      Builtin("show(face)", arity: 0...1) { machine, arguments in
        // Calls by name are compiled specially; this serves calls through a variable.
        let face =
          arguments.count == 0 ? try machine.currentFaceValue() : try arguments.face(0, "face")
        if arguments.count == 1 { machine.currentFace = .detached(face) }
        machine.sink.show(face)
        return .nil
      },
      Builtin("str(value)", arity: 1...1) { machine, arguments in
        let text = ValueFormat.describe(arguments[0], quoted: false)
        try machine.checkStringLength(text.utf8.count)
        return .string(text)
      },
      Builtin("number(value)", arity: 1...1) { _, arguments in
        switch arguments[0] {
        case .number: return arguments[0]
        case .sigma(let amount): return .number(amount)
        case .string(let text):
          let trimmed = text.trimmingCharacters(in: .whitespaces)
          guard let number = Double(trimmed) else {
            throw ScriptError("number(value) cannot read \(NumberFormat.quote(text)) as a number")
          }
          return .number(number)
        default:
          throw arguments.typeError(0, "value", expected: "a number, σ value or string")
        }
      },
      Builtin("type(value)", arity: 1...1) { _, arguments in
        .string(arguments[0].typeName)
      },
      Builtin("len(value)", arity: 1...1) { _, arguments in
        switch arguments[0] {
        case .list(let elements): return .number(Double(elements.count))
        case .string(let text): return .number(Double(text.count))
        default: throw arguments.typeError(0, "value", expected: "a list or a string")
        }
      },
      Builtin("append(list, value)", arity: 2...2) { machine, arguments in
        var elements = try arguments.list(0, "list")
        elements.append(arguments[1])
        try machine.checkNesting(of: [arguments[1]])
        try machine.checkListLength(elements.count)
        return .list(elements)
      },
      Builtin("abs(x)", arity: 1...1) { _, arguments in
        switch arguments[0] {
        case .number(let x): return .number(abs(x))
        case .sigma(let x): return .sigma(abs(x))
        default: throw arguments.typeError(0, "x", expected: "a number or a σ value")
        }
      },
      Builtin("sqrt(x)", arity: 1...1) { _, arguments in
        let x = try arguments.number(0, "x")
        guard x >= 0 else {
          throw ScriptError("sqrt(x) needs x ≥ 0, got \(NumberFormat.format(x))")
        }
        return .number(x.squareRoot())
      },
      Builtin("floor(x)", arity: 1...1) { _, arguments in
        .number(try arguments.number(0, "x").rounded(.down))
      },
      Builtin("round(x)", arity: 1...1) { _, arguments in
        .number(try arguments.number(0, "x").rounded())
      },
      Builtin("min(values...)", arity: 1...unlimited) { _, arguments in
        try extreme(arguments, pickLeft: { $0 <= $1 })
      },
      Builtin("max(values...)", arity: 1...unlimited) { _, arguments in
        try extreme(arguments, pickLeft: { $0 >= $1 })
      },
    ]
  }

  /// Picks the smallest or largest of numbers or σ values, given as arguments or as one list.
  static func extreme(_ arguments: Arguments, pickLeft: (Double, Double) -> Bool) throws -> Value {
    var candidates = arguments.values
    if candidates.count == 1, case .list(let elements) = candidates[0] { candidates = elements }
    guard var best = candidates.first else {
      throw ScriptError("\(arguments.signature) needs at least one value, got an empty list")
    }
    for candidate in candidates {
      switch (best, candidate) {
      case (.number(let a), .number(let b)):
        if !pickLeft(a, b) { best = candidate }
      case (.sigma(let a), .sigma(let b)):
        if !pickLeft(a, b) { best = candidate }
      default:
        throw ScriptError(
          "\(arguments.signature) compares numbers, or σ values, but got "
            + "\(Operators.article(best)) and \(Operators.article(candidate))")
      }
    }
    return best
  }
}
