import FaceRuntime
import Foundation

/// The warning for a face outside the region the training faces cover, which the REPL prints
/// after an entry and `save` prints once per interpreter.
public enum AtypicalFace {
  /// How many out-of-range axes the warning names before it counts the rest.
  public static let namedAxes = 3

  /// Returns the warning text without "warning: ", or nil for a face inside the region.
  public static func message(for typicality: Typicality) -> String? {
    guard typicality.isOutside else { return nil }
    guard typicality.distance.isFinite else {
      return "this face has NaN or infinite coordinates, so it decodes to a blank picture; "
        + "rebuild it from finite values"
    }
    var reasons: [String] = []
    for excess in typicality.excesses.prefix(namedAxes) {
      // Enough decimals that the value and the bound it passed print differently.
      let bound = excess.value > excess.high ? excess.high : excess.low
      var decimals = 2
      while decimals < 6 && sigma(excess.value, decimals) == sigma(bound, decimals) {
        decimals += 1
      }
      reasons.append(
        "pc[\(excess.axis + 1)] is \(sigma(excess.value, decimals)), outside the training faces' "
          + "\(sigma(excess.low, decimals)) to \(sigma(excess.high, decimals))")
    }
    if typicality.excesses.count > namedAxes {
      reasons.append("\(typicality.excesses.count - namedAxes) more axes are out of range")
    }
    if typicality.distance > typicality.trainingMaximum + 1e-3 {
      reasons.append(
        String(
          format: "it is %.2fσ from the mean face, further than any training face (%.2fσ)",
          typicality.distance, typicality.trainingMaximum))
    }
    return "this face leaves the region the training faces cover: "
      + reasons.joined(separator: "; ") + ". Expect a less face-like picture."
  }

  private static func sigma(_ value: Double, _ decimals: Int) -> String {
    String(format: "%+.\(decimals)fσ", value).replacingOccurrences(of: "-", with: "−")
  }
}
