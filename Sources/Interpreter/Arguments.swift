import LatentLang

/// The arguments of a builtin call, with checks whose messages name the parameter and show
/// the signature, such as "'t' in lerp(a, b, t) must be a number, got a face".
struct Arguments {
  let signature: String
  let values: [Value]

  var count: Int { values.count }

  subscript(index: Int) -> Value { values[index] }

  func typeError(_ index: Int, _ parameter: String, expected: String) -> ScriptError {
    ScriptError(
      "'\(parameter)' in \(signature) must be \(expected), got \(Operators.article(values[index]))")
  }

  func number(_ index: Int, _ parameter: String) throws -> Double {
    guard case .number(let number) = values[index] else {
      throw typeError(index, parameter, expected: "a number")
    }
    return number
  }

  /// Reads a whole number within `range`.
  func wholeNumber(_ index: Int, _ parameter: String, in range: ClosedRange<Int>) throws -> Int {
    let number = try self.number(index, parameter)
    guard number == number.rounded(), number >= Double(range.lowerBound),
      number <= Double(range.upperBound)
    else {
      throw ScriptError(
        "'\(parameter)' in \(signature) must be a whole number from \(range.lowerBound) to "
          + "\(range.upperBound), got \(NumberFormat.format(number))")
    }
    return Int(number)
  }

  func string(_ index: Int, _ parameter: String) throws -> String {
    guard case .string(let text) = values[index] else {
      throw typeError(index, parameter, expected: "a string")
    }
    return text
  }

  func face(_ index: Int, _ parameter: String) throws -> Face {
    guard case .face(let face) = values[index] else {
      throw typeError(index, parameter, expected: "a face")
    }
    return face
  }

  func list(_ index: Int, _ parameter: String) throws -> [Value] {
    guard case .list(let elements) = values[index] else {
      throw typeError(index, parameter, expected: "a list")
    }
    return elements
  }

  /// Reads a list whose elements are all faces.
  func faces(_ index: Int, _ parameter: String) throws -> [Face] {
    let elements = try list(index, parameter)
    return try elements.enumerated().map { position, element in
      guard case .face(let face) = element else {
        throw ScriptError(
          "'\(parameter)' in \(signature) must be a list of faces, but element \(position) is "
            + Operators.article(element))
      }
      return face
    }
  }

  /// Reads an axis given as an axis value or a pc number.
  func axis(_ index: Int, _ parameter: String, machine: Machine) throws -> Axis {
    switch values[index] {
    case .axis(let axis): return axis
    case .number: return try machine.pcAxis(values[index])
    default: throw typeError(index, parameter, expected: "an axis or a pc number")
    }
  }
}
