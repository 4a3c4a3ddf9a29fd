import Foundation
import LatentLang

/// The arithmetic, comparison and logic of the language, on values of any type.
///
/// Compiled code handles two numbers inline and calls these only for the other cases.
enum Operators {
  /// Applies a binary operator; `options` limits the length of joined strings and lists.
  static func binary(
    _ op: BinaryOperator, _ left: Value, _ right: Value, options: Interpreter.Options
  ) throws -> Value {
    switch op {
    case .add: return try add(left, right, options: options)
    case .subtract: return try subtract(left, right)
    case .multiply: return try multiply(left, right)
    case .divide: return try divide(left, right)
    case .remainder: return try remainder(left, right)
    case .power: return try power(left, right)
    case .equal: return .bool(left == right)
    case .notEqual: return .bool(left != right)
    case .less, .lessEqual, .greater, .greaterEqual: return .bool(try compare(op, left, right))
    case .and, .or:
      // Compiled code short-circuits these; this path serves the remaining cases.
      guard case .bool(let a) = left, case .bool(let b) = right else {
        throw logicError(op, left.typeName == "bool" ? right : left)
      }
      return .bool(op == .and ? a && b : a || b)
    }
  }

  static func logicError(_ op: BinaryOperator, _ operand: Value) -> ScriptError {
    ScriptError("'\(op.rawValue)' needs true or false on both sides, got a \(operand.typeName)")
  }

  static func add(_ left: Value, _ right: Value, options: Interpreter.Options) throws -> Value {
    switch (left, right) {
    case (.number(let a), .number(let b)): return .number(a + b)
    case (.sigma(let a), .sigma(let b)): return .sigma(a + b)
    case (.string(let a), .string(let b)):
      let length = a.utf8.count + b.utf8.count
      guard length <= options.maximumStringLength else {
        throw ScriptError(
          "a string would be \(length) bytes long, more than the limit of "
            + "\(options.maximumStringLength)")
      }
      return .string(a + b)
    case (.list(let a), .list(let b)):
      guard a.count + b.count <= options.maximumListLength else {
        throw ScriptError(
          "a list would have \(a.count + b.count) elements, more than the limit of "
            + "\(options.maximumListLength)")
      }
      return .list(a + b)
    case (.face(var face), .direction(let offset)), (.direction(let offset), .face(var face)):
      return .face(try moved(&face, by: offset, scale: 1, "adding a direction to a face"))
    case (.direction(let a), .direction(let b)):
      return .direction(try combined(a.offset, b, 1, "adding two directions"))
    case (.face, .face):
      throw ScriptError(
        "cannot add two faces; to blend faces use lerp(a, b, t) or slerp(a, b, t), "
          + "and to move a face add a direction such as t * (b - a)")
    default:
      throw mismatch("+", left, right)
    }
  }

  static func subtract(_ left: Value, _ right: Value) throws -> Value {
    switch (left, right) {
    case (.number(let a), .number(let b)): return .number(a - b)
    case (.sigma(let a), .sigma(let b)): return .sigma(a - b)
    case (.face(var a), .face(var b)):
      a.cacheLatent()
      b.cacheLatent()
      let offset = try combine(a.latent, b.latent, -1)
      guard let difference = Direction(offset: offset, basis: a.basis) else {
        throw a.basis.nonFiniteError("subtracting two faces", making: "a direction", from: offset)
      }
      return .direction(difference)
    case (.face(var face), .direction(let offset)):
      return .face(try moved(&face, by: offset, scale: -1, "subtracting a direction from a face"))
    case (.direction(let a), .direction(let b)):
      return .direction(try combined(a.offset, b, -1, "subtracting two directions"))
    default:
      throw mismatch("-", left, right)
    }
  }

  static func multiply(_ left: Value, _ right: Value) throws -> Value {
    switch (left, right) {
    case (.number(let a), .number(let b)): return .number(a * b)
    case (.sigma(let a), .number(let b)), (.number(let b), .sigma(let a)): return .sigma(a * b)
    case (.direction(let d), .number(let k)), (.number(let k), .direction(let d)):
      guard k.isFinite else {
        throw ScriptError(
          "cannot multiply a direction by \(NumberFormat.format(k)); the factor must be a "
            + "finite number")
      }
      guard let scaled = d.scaled(by: k) else {
        throw d.basis.nonFiniteError(
          "multiplying a direction by \(NumberFormat.format(k))", making: "a direction",
          from: d.offset.map { Float(Double($0) * k) },
          hint: "for this direction the factor must be at most "
            + ValueFormat.brief(Operators.largestFloat / d.largestValue, rounding: .towardZero)
            + " in size")
      }
      return .direction(scaled)
    case (.face, .number), (.number, .face):
      throw ScriptError(
        "cannot multiply a face by a number; faces are points, so scale a direction "
          + "instead, as in a + t * (b - a), or blend with lerp(a, b, t)")
    case (.sigma, .sigma):
      throw ScriptError("cannot multiply two σ values; multiply a σ value by a number")
    default:
      throw mismatch("*", left, right)
    }
  }

  static func divide(_ left: Value, _ right: Value) throws -> Value {
    switch (left, right) {
    case (.number(let a), .number(let b)):
      guard b != 0 else { throw ScriptError("division by zero") }
      return .number(a / b)
    case (.sigma(let a), .number(let b)):
      guard b != 0 else { throw ScriptError("division by zero") }
      return .sigma(a / b)
    case (.sigma(let a), .sigma(let b)):
      guard b != 0 else { throw ScriptError("division by zero") }
      return .number(a / b)
    case (.direction(let d), .number(let k)):
      guard k != 0 else { throw ScriptError("division by zero") }
      guard k.isFinite else {
        throw ScriptError(
          "cannot divide a direction by \(NumberFormat.format(k)); the divisor must be a "
            + "finite number")
      }
      guard let scaled = d.scaled(by: 1 / k) else {
        throw d.basis.nonFiniteError(
          "dividing a direction by \(NumberFormat.format(k))", making: "a direction",
          from: d.offset.map { Float(Double($0) / k) },
          hint: "for this direction the divisor must be at least "
            + ValueFormat.brief(d.largestValue / Operators.largestFloat, rounding: .up)
            + " in size")
      }
      return .direction(scaled)
    default:
      throw mismatch("/", left, right)
    }
  }

  /// Computes the remainder with the sign of the divisor, so `-1 % 3` is 2.
  static func remainder(_ left: Value, _ right: Value) throws -> Value {
    func floored(_ a: Double, _ b: Double) throws -> Double {
      guard b != 0 else { throw ScriptError("division by zero in '%'") }
      let r = a.truncatingRemainder(dividingBy: b)
      return r != 0 && (r < 0) != (b < 0) ? r + b : r
    }
    switch (left, right) {
    case (.number(let a), .number(let b)): return .number(try floored(a, b))
    case (.sigma(let a), .sigma(let b)): return .sigma(try floored(a, b))
    default: throw mismatch("%", left, right)
    }
  }

  static func power(_ left: Value, _ right: Value) throws -> Value {
    guard case .number(let a) = left, case .number(let b) = right else {
      throw mismatch("^", left, right)
    }
    return .number(pow(a, b))
  }

  /// Evaluates any of the six comparison operators.
  static func test(_ op: BinaryOperator, _ left: Value, _ right: Value) throws -> Bool {
    switch op {
    case .equal: return left == right
    case .notEqual: return left != right
    default: return try compare(op, left, right)
    }
  }

  static func compare(_ op: BinaryOperator, _ left: Value, _ right: Value) throws -> Bool {
    switch (left, right) {
    case (.number(let a), .number(let b)), (.sigma(let a), .sigma(let b)):
      return ordered(op, a, b)
    case (.string(let a), .string(let b)):
      return ordered(op, a, b)
    case (.sigma, .number), (.number, .sigma):
      throw ScriptError(
        "cannot compare a σ value with a number using '\(op.rawValue)'; write the number "
          + "with σ, as in 1σ")
    default:
      throw ScriptError(
        "cannot compare \(article(left)) with \(article(right)) using '\(op.rawValue)'")
    }
  }

  @inline(__always)
  static func ordered<T: Comparable>(_ op: BinaryOperator, _ a: T, _ b: T) -> Bool {
    switch op {
    case .less: return a < b
    case .lessEqual: return a <= b
    case .greater: return a > b
    default: return a >= b
    }
  }

  static func negate(_ value: Value) throws -> Value {
    switch value {
    case .number(let a): return .number(-a)
    case .sigma(let a): return .sigma(-a)
    case .direction(let d):
      // Negating a finite vector keeps it finite.
      return .direction(d.scaled(by: -1)!)
    default: throw ScriptError("cannot negate \(article(value))")
    }
  }

  static func plus(_ value: Value) throws -> Value {
    switch value {
    case .number, .sigma, .direction: return value
    default:
      throw ScriptError("unary '+' needs a number, σ value or direction, not \(article(value))")
    }
  }

  static func not(_ value: Value) throws -> Value {
    guard case .bool(let b) = value else {
      throw ScriptError("'not' needs true or false, got \(article(value))")
    }
    return .bool(!b)
  }

  /// The largest single-precision value, where latent values overflow.
  static let largestFloat = Double(Float.greatestFiniteMagnitude)

  /// Returns `face + scale * offset`. The error for a result that is not finite names
  /// `operation`.
  private static func moved(
    _ face: inout Face, by offset: Direction, scale: Float, _ operation: String
  ) throws -> Face {
    face.cacheLatent()
    let latent = try combine(face.latent, offset.offset, scale)
    guard let moved = Face(latent: latent, basis: face.basis) else {
      throw face.basis.nonFiniteError(
        operation, making: "a face", from: latent,
        hint: "the direction is too long to move this face by")
    }
    return moved
  }

  /// Returns the direction `a + scale * b`. The error for a result that is not finite names
  /// `operation`.
  private static func combined(
    _ a: [Float], _ b: Direction, _ scale: Float, _ operation: String
  ) throws -> Direction {
    let offset = try combine(a, b.offset, scale)
    guard let direction = Direction(offset: offset, basis: b.basis) else {
      throw b.basis.nonFiniteError(operation, making: "a direction", from: offset)
    }
    return direction
  }

  /// Returns `a + scale * b` for two vectors of the same length.
  private static func combine(_ a: [Float], _ b: [Float], _ scale: Float) throws -> [Float] {
    guard a.count == b.count else {
      throw ScriptError("cannot combine vectors of \(a.count) and \(b.count) values")
    }
    var result = a
    for i in 0..<result.count { result[i] += scale * b[i] }
    return result
  }

  /// Makes the type error for a binary operator, with a hint for the usual mistakes.
  static func mismatch(_ op: String, _ left: Value, _ right: Value) -> ScriptError {
    var message = "cannot apply '\(op)' to \(article(left)) and \(article(right))"
    switch (left, right) {
    case (.sigma, .number), (.number, .sigma):
      message += "; give both sides σ units, as in 2σ, or divide by 1σ to get a number"
    case (.string, _), (_, .string):
      message += "; convert with str(x), or write \"{x}\" inside a string"
    case (.face, _), (_, .face):
      message +=
        "; faces are points: subtract two faces to get a direction, and add a "
        + "direction to a face to move it"
    default:
      break
    }
    return ScriptError(message)
  }

  /// Returns the type name with an indefinite article: "a number", "an axis".
  static func article(_ value: Value) -> String {
    switch value {
    case .nil: return "nil"
    case .axis: return "an axis"
    default: return "a \(value.typeName)"
    }
  }
}
