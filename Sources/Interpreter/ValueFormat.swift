import Foundation
import LatentLang

/// The text forms of values, for `print`, `str`, messages and the REPL.
enum ValueFormat {
  /// How many of a face's largest coordinates its summary lists.
  static let summaryAxisCount = 3

  /// Describes a value. Strings appear as they are unless `quoted`; inside lists they are
  /// always quoted.
  static func describe(_ value: Value, quoted: Bool) -> String {
    switch value {
    case .nil: return "nil"
    case .bool(let b): return b ? "true" : "false"
    case .number(let n): return NumberFormat.format(n)
    case .sigma(let s): return NumberFormat.format(s) + "σ"
    case .string(let s): return quoted ? NumberFormat.quote(s) : s
    case .list(let elements):
      return "[" + elements.map { describe($0, quoted: true) }.joined(separator: ", ") + "]"
    case .face(let face):
      return "face(" + summary(face.coordinates, sigma: face.basis.sigma) + ")"
    case .direction(let direction):
      let coordinates = direction.basis.coordinates(ofDirection: direction.offset)
      return "direction(" + summary(coordinates, sigma: direction.basis.sigma) + ")"
    case .axis(let axis):
      let pc = "pc[\(axis.index + 1)]"
      return axis.name.map { "axis \($0) = \(pc)" } ?? "axis \(pc)"
    case .function(let function):
      switch function.implementation {
      case .builtin(let builtin):
        return "builtin \(builtin.signature)"
      case .user(let user):
        return "fn \(user.name)(\(user.parameters.joined(separator: ", ")))"
      }
    }
  }

  /// Lists the largest coordinates by size, as `pc1 +1.8σ, pc3 −1.2σ, pc2 +0.7σ, …`. Axes
  /// whose σ is 0 and coordinates that round to 0.0σ are left out.
  static func summary(_ coordinates: [Double], sigma: [Double]) -> String {
    let candidates = coordinates.indices.filter {
      sigma[$0] > 0 && !(abs(coordinates[$0]) < 0.05)
    }
    if candidates.isEmpty { return "all coordinates 0.0σ" }
    let ranked = candidates.sorted { a, b in
      let sizeA = abs(coordinates[a])
      let sizeB = abs(coordinates[b])
      // NaN sorts after every number so the ordering stays strict.
      if sizeA.isNaN || sizeB.isNaN { return !sizeA.isNaN && sizeB.isNaN }
      return sizeA != sizeB ? sizeA > sizeB : a < b
    }
    var parts = ranked.prefix(summaryAxisCount).map { index in
      "pc\(index + 1) " + signedSigma(coordinates[index])
    }
    if ranked.count > summaryAxisCount { parts.append("…") }
    return parts.joined(separator: ", ")
  }

  /// Formats a σ amount with one decimal and a sign, using U+2212 for minus: `+1.8σ`, `−0.5σ`,
  /// and `−7.2e30σ` from a million up. `rule` rounds the size.
  static func signedSigma(
    _ value: Double, rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero
  ) -> String {
    guard value.isFinite else { return NumberFormat.format(value) + "σ" }
    if (abs(value) * 10).rounded(rule) == 0 { return "0.0σ" }
    let sign = value < 0 ? "\u{2212}" : "+"
    return sign + brief(abs(value), rounding: rule) + "σ"
  }

  /// Formats a size of 0 or more briefly. Sizes below a million get one decimal (`123.4`).
  /// Larger sizes, and sizes that one decimal shows as 0, get two significant digits and an
  /// exponent (`7.2e30`, `3.5e-39`). `rule` rounds the last digit shown.
  static func brief(
    _ size: Double, rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero
  ) -> String {
    guard size.isFinite, size > 0 else { return NumberFormat.format(size) }
    let tenths = (size * 10).rounded(rule)
    let showsTenths = size >= 0.1 || (rule == .toNearestOrAwayFromZero && tenths >= 1)
    if size < 1e6 && showsTenths && tenths < 1e7 {
      let whole = Int(tenths)
      return "\(whole / 10).\(whole % 10)"
    }
    var exponent = Int(log10(size).rounded(.down))
    var digits = (size / pow(10, Double(exponent)) * 10).rounded(rule)
    // log10 can be off by one near powers of ten, and rounding can carry to 100.
    if digits < 10 {
      exponent -= 1
      digits = (size / pow(10, Double(exponent)) * 10).rounded(rule)
    }
    if digits >= 100 {
      exponent += 1
      digits = max(10, (size / pow(10, Double(exponent)) * 10).rounded(rule))
    }
    let whole = Int(digits)
    return "\(whole / 10).\(whole % 10)e\(exponent)"
  }

  /// Formats a σ amount as sweep labels write it: `−2σ`, `+0.5σ`, `0σ`.
  static func label(_ value: Double) -> String {
    if value == 0 { return "0σ" }
    return (value < 0 ? "\u{2212}" : "+") + NumberFormat.format(abs(value)) + "σ"
  }
}
