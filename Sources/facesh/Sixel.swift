import FaceRuntime

/// A DEC sixel encoder with median-cut colour quantization.
///
/// Sixel data describes an image in bands six pixels high. Each band lists, for each palette
/// colour it uses, one character per column whose six low bits mark which of the column's six
/// pixels have that colour; `$` returns to the start of the band for the next colour and `-`
/// moves to the next band.
enum Sixel {
  /// The maximum number of palette entries. Faces are smooth images, and 64 colours keep
  /// the palette and the data short.
  static let paletteLimit = 64

  /// Returns the sixel sequence (DCS … ST) for an image, without a trailing line break.
  static func encode(_ image: RGBImage) -> String {
    let (palette, indices) = quantize(image, colours: paletteLimit)
    var text = "\u{1B}Pq\"1;1;\(image.width);\(image.height)"
    for (index, colour) in palette.enumerated() {
      let (r, g, b) = (percent(colour.0), percent(colour.1), percent(colour.2))
      text += "#\(index);2;\(r);\(g);\(b)"
    }
    for top in stride(from: 0, to: image.height, by: 6) {
      let rows = min(6, image.height - top)
      var used = Set<Int>()
      for y in top..<(top + rows) {
        for x in 0..<image.width { used.insert(Int(indices[y * image.width + x])) }
      }
      for (position, colour) in used.sorted().enumerated() {
        if position > 0 { text += "$" }
        text += "#\(colour)"
        var bits = [UInt8](repeating: 0, count: image.width)
        for row in 0..<rows {
          let y = top + row
          for x in 0..<image.width where Int(indices[y * image.width + x]) == colour {
            bits[x] |= 1 << row
          }
        }
        text += runLengthEncoded(bits)
      }
      text += "-"
    }
    return text + "\u{1B}\\"
  }

  /// Writes each column's bits as a sixel character, `!N` before a run of four or more.
  static func runLengthEncoded(_ bits: [UInt8]) -> String {
    var text = ""
    var index = 0
    while index < bits.count {
      var end = index + 1
      while end < bits.count && bits[end] == bits[index] { end += 1 }
      let character = String(UnicodeScalar(63 + bits[index]))
      let count = end - index
      text += count >= 4 ? "!\(count)" + character : String(repeating: character, count: count)
      index = end
    }
    return text
  }

  /// Reduces an image to at most `colours` colours by median cut over a 15-bit histogram, and
  /// maps each pixel to the nearest palette entry.
  ///
  /// - Returns: the palette and one palette index per pixel, row by row.
  static func quantize(_ image: RGBImage, colours: Int) -> (
    palette: [(UInt8, UInt8, UInt8)], indices: [UInt8]
  ) {
    var counts = [Int](repeating: 0, count: 1 << 15)
    let pixelCount = image.width * image.height
    for i in 0..<pixelCount {
      counts[key(image.pixels, i * 3)] += 1
    }
    let present = counts.indices.filter { counts[$0] > 0 }
    var boxes: [ColourBox] = [ColourBox(bins: present)]
    while boxes.count < colours {
      // Split the box whose widest channel spans the most.
      guard let chosen = boxes.indices.max(by: { boxes[$0].widestSpan < boxes[$1].widestSpan }),
        boxes[chosen].widestSpan > 0
      else { break }
      let channel = boxes[chosen].widestChannel
      let sorted = boxes[chosen].bins.sorted { component($0, channel) < component($1, channel) }
      let total = sorted.reduce(0) { $0 + counts[$1] }
      var running = 0
      var cut = 1
      for (position, bin) in sorted.enumerated() {
        running += counts[bin]
        if running * 2 >= total {
          cut = min(position + 1, sorted.count - 1)
          break
        }
      }
      boxes[chosen] = ColourBox(bins: Array(sorted[..<cut]))
      boxes.append(ColourBox(bins: Array(sorted[cut...])))
    }
    let palette: [(UInt8, UInt8, UInt8)] = boxes.map { box in
      var sums = (0, 0, 0)
      var weight = 0
      for bin in box.bins {
        let count = counts[bin]
        sums.0 += component(bin, 0) * count
        sums.1 += component(bin, 1) * count
        sums.2 += component(bin, 2) * count
        weight += count
      }
      func scaled(_ sum: Int) -> UInt8 { UInt8(min(255, (sum * 255) / max(1, weight * 31))) }
      return (scaled(sums.0), scaled(sums.1), scaled(sums.2))
    }
    var nearest = [Int](repeating: -1, count: 1 << 15)
    var indices = [UInt8](repeating: 0, count: pixelCount)
    for i in 0..<pixelCount {
      let bin = key(image.pixels, i * 3)
      if nearest[bin] < 0 { nearest[bin] = closest(bin, in: palette) }
      indices[i] = UInt8(nearest[bin])
    }
    return (palette, indices)
  }

  /// A set of histogram bins and the channel along which they spread the most.
  private struct ColourBox {
    let bins: [Int]
    let widestChannel: Int
    let widestSpan: Int

    init(bins: [Int]) {
      self.bins = bins
      var spans = [0, 0, 0]
      for channel in 0..<3 {
        var low = 31
        var high = 0
        for bin in bins {
          let value = Sixel.component(bin, channel)
          low = min(low, value)
          high = max(high, value)
        }
        spans[channel] = max(0, high - low)
      }
      widestChannel = spans.indices.max { spans[$0] < spans[$1] }!
      widestSpan = spans[widestChannel]
    }
  }

  private static func closest(_ bin: Int, in palette: [(UInt8, UInt8, UInt8)]) -> Int {
    let (r, g, b) = (
      component(bin, 0) * 255 / 31, component(bin, 1) * 255 / 31, component(bin, 2) * 255 / 31
    )
    var best = 0
    var bestDistance = Int.max
    for (index, colour) in palette.enumerated() {
      let dr = Int(colour.0) - r
      let dg = Int(colour.1) - g
      let db = Int(colour.2) - b
      let distance = dr * dr + dg * dg + db * db
      if distance < bestDistance {
        bestDistance = distance
        best = index
      }
    }
    return best
  }

  /// Returns the 15-bit histogram bin of a pixel: five bits each of red, green and blue.
  private static func key(_ pixels: [UInt8], _ offset: Int) -> Int {
    Int(pixels[offset] >> 3) << 10 | Int(pixels[offset + 1] >> 3) << 5
      | Int(pixels[offset + 2] >> 3)
  }

  /// Returns one channel (0 red, 1 green, 2 blue) of a histogram bin, from 0 to 31.
  fileprivate static func component(_ bin: Int, _ channel: Int) -> Int {
    (bin >> (10 - 5 * channel)) & 31
  }

  private static func percent(_ value: UInt8) -> Int { (Int(value) * 100 + 127) / 255 }
}
