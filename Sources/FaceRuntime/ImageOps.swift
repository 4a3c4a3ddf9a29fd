/// Geometric operations on `RGBImage`: cropping and resampling.
public enum ImageOps {
  /// Crops the largest centred region with the requested aspect ratio.
  ///
  /// When the leftover width or height is odd, the extra pixel is cut from the right or the
  /// bottom.
  /// - Parameters:
  ///   - image: The source image.
  ///   - aspect: Width divided by height of the result; must be positive and finite.
  /// - Returns: A region at least 1 pixel on each side (unless `image` is empty), with its
  ///   sides rounded to whole pixels.
  public static func centerCrop(_ image: RGBImage, aspect: Double) -> RGBImage {
    precondition(aspect > 0 && aspect.isFinite, "aspect must be positive and finite, got \(aspect)")
    guard image.width > 0, image.height > 0 else { return image }
    var width = image.width
    var height = image.height
    if Double(image.width) / Double(image.height) > aspect {
      width = min(image.width, max(1, Int((Double(image.height) * aspect).rounded())))
    } else {
      height = min(image.height, max(1, Int((Double(image.width) / aspect).rounded())))
    }
    return crop(
      image, x: (image.width - width) / 2, y: (image.height - height) / 2,
      width: width, height: height)
  }

  /// Resizes with an area-averaging (box) filter when shrinking and bilinear interpolation
  /// when enlarging, chosen per axis.
  ///
  /// When shrinking, each output pixel is the mean of the source area it covers, with
  /// source pixels that are only partly covered weighted by the covered fraction. Shrinking
  /// 3 pixels to 2 gives `(p0 + p1 / 2) / 1.5` and `(p1 / 2 + p2) / 1.5`. When enlarging,
  /// pixel centres are aligned and edge pixels are repeated. Results are rounded to nearest.
  /// - Parameters:
  ///   - image: The source image.
  ///   - width: The output width, not negative.
  ///   - height: The output height, not negative.
  /// - Returns: The resized image; black when `image` is empty but the target is not.
  public static func resizeArea(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    precondition(width >= 0 && height >= 0, "target size must not be negative")
    if width == image.width && height == image.height {
      return image
    }
    guard image.width > 0, image.height > 0, width > 0, height > 0 else {
      return RGBImage(width: width, height: height)
    }
    let columns = ResampleWeights(source: image.width, target: width)
    let rows = ResampleWeights(source: image.height, target: height)

    // Horizontal pass: (image.height, width, 3) in Double, so rounding happens only once.
    var horizontal = [Double](repeating: 0, count: image.height * width * 3)
    for y in 0..<image.height {
      let sourceRow = y * image.width * 3
      for x in 0..<width {
        let target = (y * width + x) * 3
        for (index, weight) in columns.taps(x) {
          let source = sourceRow + index * 3
          for c in 0..<3 {
            horizontal[target + c] += weight * Double(image.pixels[source + c])
          }
        }
      }
    }

    // Vertical pass into bytes: (height, width, 3).
    var pixels = [UInt8](repeating: 0, count: height * width * 3)
    for y in 0..<height {
      let taps = rows.taps(y)
      for i in 0..<(width * 3) {
        var sum = 0.0
        for (index, weight) in taps {
          sum += weight * horizontal[index * width * 3 + i]
        }
        pixels[y * width * 3 + i] = UInt8(min(255, max(0, sum.rounded())))
      }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
  }

  /// Copies a rectangle that lies inside the image.
  static func crop(_ image: RGBImage, x: Int, y: Int, width: Int, height: Int) -> RGBImage {
    var pixels = [UInt8]()
    pixels.reserveCapacity(width * height * 3)
    for row in y..<(y + height) {
      let start = (row * image.width + x) * 3
      pixels.append(contentsOf: image.pixels[start..<(start + width * 3)])
    }
    return RGBImage(width: width, height: height, pixels: pixels)
  }

  /// Enlarges by a whole factor, repeating each pixel `factor` times in both directions.
  static func scaleNearest(_ image: RGBImage, factor: Int) -> RGBImage {
    precondition(factor >= 1, "scale factor must be at least 1, got \(factor)")
    if factor == 1 {
      return image
    }
    let width = image.width * factor
    var pixels = [UInt8](repeating: 0, count: width * image.height * factor * 3)
    for y in 0..<(image.height * factor) {
      for x in 0..<width {
        let source = ((y / factor) * image.width + x / factor) * 3
        let target = (y * width + x) * 3
        pixels[target] = image.pixels[source]
        pixels[target + 1] = image.pixels[source + 1]
        pixels[target + 2] = image.pixels[source + 2]
      }
    }
    return RGBImage(width: width, height: image.height * factor, pixels: pixels)
  }
}

/// The source pixels and weights that make up each output pixel along one axis.
private struct ResampleWeights {
  /// For output pixel `i`, `starts[i]..<starts[i + 1]` indexes `indices` and `weights`.
  private var starts: [Int] = [0]
  private var indices: [Int] = []
  private var weights: [Double] = []

  init(source: Int, target: Int) {
    let scale = Double(source) / Double(target)
    for i in 0..<target {
      if target <= source {
        appendBox(from: Double(i) * scale, to: Double(i + 1) * scale, source: source)
      } else {
        appendLinear(at: (Double(i) + 0.5) * scale - 0.5, source: source)
      }
      starts.append(indices.count)
    }
  }

  /// Returns the (source index, weight) pairs for output pixel `i`, whose weights sum to 1.
  func taps(_ i: Int) -> Zip2Sequence<ArraySlice<Int>, ArraySlice<Double>> {
    zip(indices[starts[i]..<starts[i + 1]], weights[starts[i]..<starts[i + 1]])
  }

  /// Covers the source interval [low, high) with each pixel weighted by its overlap.
  private mutating func appendBox(from low: Double, to high: Double, source: Int) {
    let first = Int(low.rounded(.down))
    let last = min(source, Int(high.rounded(.up)))
    for index in first..<last {
      let overlap = min(high, Double(index + 1)) - max(low, Double(index))
      if overlap > 1e-9 {
        indices.append(index)
        weights.append(overlap / (high - low))
      }
    }
  }

  /// Interpolates between the two source pixels around `position`, clamped to the edges.
  private mutating func appendLinear(at position: Double, source: Int) {
    let clamped = min(max(position, 0), Double(source - 1))
    let left = Int(clamped.rounded(.down))
    let right = min(left + 1, source - 1)
    let fraction = clamped - Double(left)
    indices.append(left)
    weights.append(1 - fraction)
    if right != left && fraction > 0 {
      indices.append(right)
      weights.append(fraction)
    }
  }
}
