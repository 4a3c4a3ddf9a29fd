/// An 8-bit RGB image, rows top to bottom, three interleaved bytes a pixel.
public struct RGBImage: Equatable, Sendable {
  public var width: Int
  public var height: Int
  /// Samples in row-major order: `pixels[(y * width + x) * 3 + channel]`.
  public var pixels: [UInt8]

  /// Creates an image filled with one colour.
  public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
    precondition(width >= 0 && height >= 0, "image size must not be negative")
    self.width = width
    self.height = height
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    if fill != (0, 0, 0) {
      for i in stride(from: 0, to: pixels.count, by: 3) {
        pixels[i] = fill.0
        pixels[i + 1] = fill.1
        pixels[i + 2] = fill.2
      }
    }
    self.pixels = pixels
  }

  /// Creates an image from existing samples; `pixels.count` must be `width * height * 3`.
  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height * 3, "pixel count does not match the size")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// Converts a planar decoder output, shape (3, height, width), to 8-bit samples.
  ///
  /// Each value is clamped to [0, 1], scaled to 255 and rounded; NaN becomes 0.
  public init(planar values: UnsafeBufferPointer<Float>, width: Int, height: Int) {
    precondition(values.count == 3 * width * height, "planar buffer does not match the size")
    self.width = width
    self.height = height
    let plane = width * height
    var pixels = [UInt8](repeating: 0, count: plane * 3)
    for c in 0..<3 {
      for i in 0..<plane {
        pixels[i * 3 + c] = RGBImage.quantize(values[c * plane + i])
      }
    }
    self.pixels = pixels
  }

  /// Maps one decoder output value to a byte: clamp to [0, 1], round, NaN to 0.
  @inline(__always)
  public static func quantize(_ value: Float) -> UInt8 {
    guard value == value else { return 0 }
    let clamped = min(max(value, 0), 1)
    return UInt8((clamped * 255).rounded())
  }

  /// Returns the samples as planar floats in [0, 1], shape (3, height, width).
  public func planarFloats() -> [Float] {
    let plane = width * height
    var out = [Float](repeating: 0, count: plane * 3)
    for i in 0..<plane {
      for c in 0..<3 {
        out[c * plane + i] = Float(pixels[i * 3 + c]) / 255
      }
    }
    return out
  }
}
