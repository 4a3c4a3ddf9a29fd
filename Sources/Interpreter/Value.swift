import FaceRuntime

/// A value of the face language.
///
/// Values have value semantics: lists and faces are copied on write, so changing a copy never
/// changes the original.
public enum Value: Sendable {
  /// No value: what a function without `return` gives.
  case `nil`
  /// `true` or `false`.
  case bool(Bool)
  /// A 64-bit floating-point number.
  case number(Double)
  /// A number in units of an axis's standard deviation, written `2σ` or `2sigma`.
  case sigma(Double)
  /// A string of text.
  case string(String)
  /// A list of values, indexed from 0.
  case list([Value])
  /// A point in the model's latent space.
  case face(Face)
  /// The difference of two faces: an offset in latent space.
  case direction(Direction)
  /// A PCA axis, from `axis name = pc[N]`.
  case axis(Axis)
  /// A builtin, host function or function declared with `fn`.
  case function(Function)

  /// The type name that messages use: `number`, `σ value`, `face` and so on.
  public var typeName: String {
    switch self {
    case .nil: return "nil"
    case .bool: return "bool"
    case .number: return "number"
    case .sigma: return "σ value"
    case .string: return "string"
    case .list: return "list"
    case .face: return "face"
    case .direction: return "direction"
    case .axis: return "axis"
    case .function: return "function"
    }
  }
}

extension Value: Equatable {
  /// Compares values structurally; faces by their latent vectors, functions and axes by
  /// identity. Values of different types are never equal, so `1 == 1σ` is false.
  public static func == (left: Value, right: Value) -> Bool {
    switch (left, right) {
    case (.nil, .nil): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.number(let a), .number(let b)): return a == b
    case (.sigma(let a), .sigma(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.list(let a), .list(let b)): return a == b
    case (.face(let a), .face(let b)): return a.latent == b.latent
    case (.direction(let a), .direction(let b)): return a.offset == b.offset
    case (.axis(let a), .axis(let b)): return a.index == b.index
    case (.function(let a), .function(let b)): return a === b
    default: return false
    }
  }
}

extension Value: CustomStringConvertible {
  /// The text `print` writes for the value; see `Interpreter.describe(_:)`.
  public var description: String { ValueFormat.describe(self, quoted: false) }
}

/// The difference of two faces: an offset in latent space.
public struct Direction: Sendable {
  /// The offset, one entry per latent dimension.
  public let offset: [Float]
  let basis: FaceBasis

  /// Makes a direction, or returns nil when a value of `offset` is NaN or infinite.
  init?(offset: [Float], basis: FaceBasis) {
    for value in offset where !value.isFinite { return nil }
    self.offset = offset
    self.basis = basis
  }

  /// Returns the direction scaled by `factor`, computed in double precision, or nil when a
  /// value would be NaN or infinite in single precision.
  func scaled(by factor: Double) -> Direction? {
    Direction(offset: offset.map { Float(Double($0) * factor) }, basis: basis)
  }

  /// The largest size of a value of the offset.
  var largestValue: Double {
    offset.reduce(0) { max($0, abs(Double($1))) }
  }
}

/// A named PCA axis.
public final class Axis: Sendable {
  /// The 0-based axis index: 0 is `pc[1]`, the axis of largest variance.
  public let index: Int
  /// The name from `axis name = pc[N]`, or nil for an axis given by number.
  public let name: String?

  init(index: Int, name: String?) {
    self.index = index
    self.name = name
  }

  /// The label used in sweep strips and messages: the axis name, or `pc1` for `pc[1]`.
  var label: String { name ?? "pc\(index + 1)" }
}

/// A function value: a builtin, a host function or a function declared with `fn`.
public final class Function: @unchecked Sendable {
  /// The name the function was declared or registered under.
  public let name: String
  let implementation: Implementation

  enum Implementation {
    case builtin(Builtin)
    case user(UserFunction)
  }

  init(name: String, implementation: Implementation) {
    self.name = name
    self.implementation = implementation
  }
}
