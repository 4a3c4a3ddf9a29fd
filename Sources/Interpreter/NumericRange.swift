import LatentLang

/// The values of `start to end step step`, computed without accumulating rounding errors.
///
/// Value i is `start + i * step`. The count comes from rounding `(end - start) / step`. When
/// that quotient is a whole number up to a relative error of 1e-9, the range has quotient + 1
/// values and the last one is exactly `end`. So `0 to 1 step 0.1` has 11 values ending at 1.
/// Otherwise the range stops at the last value before `end`.
struct NumericRange {
  let start: Double
  let step: Double
  let end: Double
  let count: Int
  /// Whether the last value is `end` itself.
  let endsOnEnd: Bool
  /// Whether the bounds were σ values, so the values are σ values too.
  let isSigma: Bool

  /// The maximum number of values in a range, so that counts stay exact in a Double.
  static let maximumCount = 1 << 52

  init(start: Value, end: Value, step: Value?) throws {
    switch (start, end, step) {
    case (.number(let a), .number(let b), nil):
      try self.init(a, b, 1, isSigma: false)
    case (.number(let a), .number(let b), .number(let s)?):
      try self.init(a, b, s, isSigma: false)
    case (.sigma(let a), .sigma(let b), nil):
      try self.init(a, b, 1, isSigma: true)
    case (.sigma(let a), .sigma(let b), .sigma(let s)?):
      try self.init(a, b, s, isSigma: true)
    default:
      let parts = [start, end] + (step.map { [$0] } ?? [])
      let names = parts.map { Operators.article($0) }.joined(separator: ", ")
      throw ScriptError(
        "a range needs numbers, or σ values throughout, as in -2σ to 2σ step 0.5σ; got \(names)")
    }
  }

  private init(_ start: Double, _ end: Double, _ step: Double, isSigma: Bool) throws {
    guard start.isFinite, end.isFinite, step.isFinite else {
      throw ScriptError("range bounds and step must be finite numbers")
    }
    guard step != 0 else { throw ScriptError("range step must not be 0") }
    self.start = start
    self.end = end
    self.step = step
    self.isSigma = isSigma
    let quotient = (end - start) / step
    let nearest = quotient.rounded()
    guard quotient.isFinite, quotient < Double(NumericRange.maximumCount) else {
      throw ScriptError(
        "range from \(NumberFormat.format(start)) to \(NumberFormat.format(end)) step "
          + "\(NumberFormat.format(step)) has too many values")
    }
    if abs(quotient - nearest) <= 1e-9 * max(1, abs(quotient)) {
      count = nearest < 0 ? 0 : Int(nearest) + 1
      endsOnEnd = true
    } else {
      count = quotient < 0 ? 0 : Int(quotient.rounded(.down)) + 1
      endsOnEnd = false
    }
  }

  @inline(__always)
  func number(at index: Int) -> Double {
    if endsOnEnd && index == count - 1 { return end }
    return start + Double(index) * step
  }

  @inline(__always)
  func value(at index: Int) -> Value {
    isSigma ? .sigma(number(at: index)) : .number(number(at: index))
  }
}
