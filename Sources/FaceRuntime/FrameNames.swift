/// File names for numbered animation frames that sort in frame order.
public enum FrameNames {
  /// Builds the name of frame `index` of `count`, such as `morph-007.png`.
  ///
  /// The index is zero-padded to as many digits as `count - 1` has, at least 1: a count of
  /// 10 gives `0` to `9`, 11 gives `00` to `10`, 1000 gives `000` to `999`.
  /// - Parameters:
  ///   - prefix: The start of the name. A hyphen separates it from the number unless it is
  ///     empty or already ends with `-`, `_` or `/`.
  ///   - index: The frame number, from 0.
  ///   - count: The number of frames in the sequence.
  ///   - ext: The file extension, with or without its leading dot; empty for none.
  /// - Returns: The file name, for example `name(prefix: "morph", index: 7, count: 1000,
  ///   extension: "png")` is `morph-007.png`.
  public static func name(prefix: String, index: Int, count: Int, extension ext: String) -> String {
    precondition(index >= 0, "frame index must not be negative, got \(index)")
    let width = String(max(count - 1, 0)).count
    let digits = String(index)
    let number = String(repeating: "0", count: max(0, width - digits.count)) + digits
    let needsHyphen = !prefix.isEmpty && !["-", "_", "/"].contains(prefix.last!)
    let suffix = ext.isEmpty ? "" : (ext.hasPrefix(".") ? ext : "." + ext)
    return prefix + (needsHyphen ? "-" : "") + number + suffix
  }
}
