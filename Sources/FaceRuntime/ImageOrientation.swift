extension ImageOps {
  /// Turns an image stored with EXIF orientation `exifOrientation` (tag 0x0112) upright.
  ///
  /// Each value names the transform that makes the stored image upright. 1 is upright,
  /// 2 mirrors left to right, 3 turns 180°, 4 mirrors top to bottom and 5 transposes.
  /// 6 turns 90° clockwise, 7 transverses and 8 turns 90° counterclockwise.
  /// Values 5 to 8 swap width and height, and other values leave the image as is.
  package static func oriented(_ image: RGBImage, exifOrientation: Int) -> RGBImage {
    guard (2...8).contains(exifOrientation) else { return image }
    let width = image.width
    let height = image.height
    let swapsSides = exifOrientation >= 5
    let outputWidth = swapsSides ? height : width
    let outputHeight = swapsSides ? width : height
    var pixels = [UInt8](repeating: 0, count: image.pixels.count)
    for y in 0..<outputHeight {
      for x in 0..<outputWidth {
        // The stored pixel that shows at (x, y) once the image is upright.
        let (sourceX, sourceY): (Int, Int)
        switch exifOrientation {
        case 2: (sourceX, sourceY) = (width - 1 - x, y)
        case 3: (sourceX, sourceY) = (width - 1 - x, height - 1 - y)
        case 4: (sourceX, sourceY) = (x, height - 1 - y)
        case 5: (sourceX, sourceY) = (y, x)
        case 6: (sourceX, sourceY) = (y, height - 1 - x)
        case 7: (sourceX, sourceY) = (width - 1 - y, height - 1 - x)
        default: (sourceX, sourceY) = (width - 1 - y, x)
        }
        let source = (sourceY * width + sourceX) * 3
        let target = (y * outputWidth + x) * 3
        pixels[target] = image.pixels[source]
        pixels[target + 1] = image.pixels[source + 1]
        pixels[target + 2] = image.pixels[source + 2]
      }
    }
    return RGBImage(width: outputWidth, height: outputHeight, pixels: pixels)
  }
}
