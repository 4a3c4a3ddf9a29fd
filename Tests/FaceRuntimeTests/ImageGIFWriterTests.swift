import Foundation
import XCTest

@testable import FaceRuntime

/// A GIF file parsed by the minimal decoder below, independent of giflib.
struct ParsedGIF {
  struct Frame {
    var delay: Int
    var disposal: Int
    var hasTransparency: Bool
    var left: Int
    var top: Int
    var width: Int
    var height: Int
    var interlaced: Bool
    /// RGB triples of the colour table the frame uses (its own or the global one).
    var palette: [UInt8]
    var indices: [UInt8]

    /// The frame's pixels as RGB, looked up in its palette.
    var rgb: [UInt8] {
      indices.flatMap { index in palette[(Int(index) * 3)..<(Int(index) * 3 + 3)] }
    }
  }

  var version: String
  var width: Int
  var height: Int
  var globalPalette: [UInt8]?
  /// The NETSCAPE2.0 loop count (0 means forever), or nil without that extension.
  var loopCount: Int?
  var frames: [Frame] = []
}

struct GIFParseError: Error, CustomStringConvertible {
  var description: String
}

/// Reads GIF blocks in file order: header, logical screen, extensions, images, trailer.
struct GIFParser {
  var bytes: [UInt8]
  var position = 0

  mutating func byte() throws -> Int {
    guard position < bytes.count else { throw GIFParseError(description: "unexpected end") }
    position += 1
    return Int(bytes[position - 1])
  }

  mutating func uint16() throws -> Int {
    try byte() | (try byte() << 8)
  }

  mutating func take(_ count: Int) throws -> [UInt8] {
    guard position + count <= bytes.count else {
      throw GIFParseError(description: "unexpected end")
    }
    position += count
    return Array(bytes[(position - count)..<position])
  }

  /// Reads data sub-blocks (a length byte, then that many bytes) up to the empty one.
  mutating func subBlocks() throws -> [[UInt8]] {
    var blocks: [[UInt8]] = []
    while true {
      let length = try byte()
      if length == 0 { return blocks }
      blocks.append(try take(length))
    }
  }

  mutating func parse() throws -> ParsedGIF {
    let version = String(decoding: try take(6), as: UTF8.self)
    var gif = ParsedGIF(version: version, width: try uint16(), height: try uint16())
    let packed = try byte()
    _ = try take(2)  // background colour index and pixel aspect ratio
    if packed & 0x80 != 0 {
      gif.globalPalette = try take(3 << ((packed & 7) + 1))
    }
    var delay = 0
    var disposal = 0
    var hasTransparency = false
    while true {
      switch try byte() {
      case 0x21:
        let label = try byte()
        let blocks = try subBlocks()
        if label == 0xF9, let control = blocks.first, control.count == 4 {
          disposal = Int(control[0] >> 2) & 7
          hasTransparency = control[0] & 1 != 0
          delay = Int(control[1]) | Int(control[2]) << 8
        } else if label == 0xFF, blocks.first == Array("NETSCAPE2.0".utf8), blocks.count > 1,
          blocks[1].count == 3, blocks[1][0] == 1
        {
          gif.loopCount = Int(blocks[1][1]) | Int(blocks[1][2]) << 8
        }
      case 0x2C:
        let left = try uint16()
        let top = try uint16()
        let width = try uint16()
        let height = try uint16()
        let flags = try byte()
        let local = flags & 0x80 != 0 ? try take(3 << ((flags & 7) + 1)) : nil
        guard let palette = local ?? gif.globalPalette else {
          throw GIFParseError(description: "frame \(gif.frames.count) has no colour table")
        }
        let minimumCodeSize = try byte()
        let data = try subBlocks().flatMap { $0 }
        let indices = try lzwDecode(
          data, minimumCodeSize: minimumCodeSize, pixelCount: width * height)
        gif.frames.append(
          ParsedGIF.Frame(
            delay: delay, disposal: disposal, hasTransparency: hasTransparency, left: left,
            top: top, width: width, height: height, interlaced: flags & 0x40 != 0,
            palette: palette, indices: indices))
      case 0x3B:
        guard position == bytes.count else {
          throw GIFParseError(description: "\(bytes.count - position) bytes after the trailer")
        }
        return gif
      case let other:
        throw GIFParseError(description: "unknown block 0x\(String(other, radix: 16))")
      }
    }
  }
}

/// Decodes GIF's variable-width LZW: codes packed from the least significant bit, a clear
/// code of `1 << minimumCodeSize` and an end code one above it. The code width grows when
/// the table reaches the next power of two and stops at 12 bits.
func lzwDecode(_ data: [UInt8], minimumCodeSize: Int, pixelCount: Int) throws -> [UInt8] {
  let clear = 1 << minimumCodeSize
  let end = clear + 1
  var codeSize = minimumCodeSize + 1
  var table: [[UInt8]] = (0..<clear).map { [UInt8($0)] } + [[], []]
  var previous: [UInt8]? = nil
  var output: [UInt8] = []
  var bits = 0
  var bitCount = 0
  var position = 0

  while true {
    // Read the next code, least significant bits first.
    while bitCount < codeSize {
      guard position < data.count else {
        throw GIFParseError(description: "LZW data ended without an end code")
      }
      bits |= Int(data[position]) << bitCount
      position += 1
      bitCount += 8
    }
    let code = bits & ((1 << codeSize) - 1)
    bits >>= codeSize
    bitCount -= codeSize

    // Control codes: clear resets the table and width, end stops.
    if code == clear {
      table.removeSubrange((clear + 2)...)
      codeSize = minimumCodeSize + 1
      previous = nil
      continue
    }
    if code == end {
      break
    }

    // A code one past the table is the previous string plus its own first byte.
    let entry: [UInt8]
    if code < table.count {
      entry = table[code]
    } else if code == table.count, let previous {
      entry = previous + [previous[0]]
    } else {
      throw GIFParseError(description: "invalid LZW code \(code)")
    }
    output += entry

    // Each code after the first adds the previous string plus this entry's first byte.
    if let previous, table.count < 4096 {
      table.append(previous + [entry[0]])
      if table.count == 1 << codeSize && codeSize < 12 {
        codeSize += 1
      }
    }
    previous = entry
  }

  guard output.count == pixelCount else {
    throw GIFParseError(description: "decoded \(output.count) pixels, expected \(pixelCount)")
  }
  return output
}

/// Returns the largest difference between the per-channel means of matching 4x4 blocks.
func largestBlockMeanError(_ a: [UInt8], _ b: [UInt8], width: Int, height: Int) -> Double {
  var largest = 0.0
  for blockY in stride(from: 0, to: height - 3, by: 4) {
    for blockX in stride(from: 0, to: width - 3, by: 4) {
      for c in 0..<3 {
        var difference = 0
        for y in blockY..<(blockY + 4) {
          for x in blockX..<(blockX + 4) {
            let i = (y * width + x) * 3 + c
            difference += Int(a[i]) - Int(b[i])
          }
        }
        largest = max(largest, abs(Double(difference) / 16))
      }
    }
  }
  return largest
}

final class ImageGIFWriterTests: XCTestCase {
  /// Three 40x24 frames: a flat colour, a linear gradient and a smooth blob, like the
  /// soft shading of rendered faces.
  func makeFrames() -> [RGBImage] {
    var gradient = [UInt8]()
    var blob = [UInt8]()
    for y in 0..<24 {
      for x in 0..<40 {
        gradient += [UInt8(x * 6), UInt8(y * 10), UInt8(255 - x * 6)]
        let distance = (Double((x - 20) * (x - 20) + (y - 12) * (y - 12))).squareRoot()
        let shade = max(0, 1 - distance / 24)
        blob += [UInt8(60 + 180 * shade), UInt8(50 + 120 * shade), UInt8(40 + 90 * shade)]
      }
    }
    return [
      RGBImage(width: 40, height: 24, fill: (200, 40, 90)),
      RGBImage(width: 40, height: 24, pixels: gradient),
      RGBImage(width: 40, height: 24, pixels: blob),
    ]
  }

  func testGIFStructureDelayAndLoop() throws {
    let bytes = try GIFWriter.encode(makeFrames(), delayCentiseconds: 7)
    var parser = GIFParser(bytes: bytes)
    let gif = try parser.parse()
    XCTAssertEqual(gif.version, "GIF89a")
    XCTAssertEqual(gif.width, 40)
    XCTAssertEqual(gif.height, 24)
    XCTAssertEqual(gif.loopCount, 0, "a NETSCAPE2.0 loop count of 0 repeats forever")
    XCTAssertEqual(gif.frames.count, 3)
    for (index, frame) in gif.frames.enumerated() {
      XCTAssertEqual(frame.delay, 7, "frame \(index)")
      XCTAssertEqual(frame.disposal, 1, "frame \(index) keeps the previous frame in place")
      XCTAssertFalse(frame.hasTransparency, "frame \(index)")
      XCTAssertEqual(frame.left, 0, "frame \(index)")
      XCTAssertEqual(frame.top, 0, "frame \(index)")
      XCTAssertEqual(frame.width, 40, "frame \(index)")
      XCTAssertEqual(frame.height, 24, "frame \(index)")
      XCTAssertFalse(frame.interlaced, "frame \(index)")
      XCTAssertLessThanOrEqual(frame.palette.count, 256 * 3, "frame \(index)")
    }
  }

  func testGIFColoursCloseToInput() throws {
    let frames = makeFrames()
    var parser = GIFParser(bytes: try GIFWriter.encode(frames, delayCentiseconds: 10))
    let gif = try parser.parse()
    XCTAssertEqual(gif.frames.count, frames.count)
    for (index, (frame, input)) in zip(gif.frames, frames).enumerated() {
      let output = frame.rgb
      XCTAssertEqual(output.count, input.pixels.count, "frame \(index)")
      let errors = zip(output, input.pixels).map { abs(Int($0) - Int($1)) }
      let meanError = Double(errors.reduce(0, +)) / Double(errors.count)
      XCTAssertLessThan(meanError, 6, "frame \(index): mean error per sample")
      XCTAssertLessThan(errors.max() ?? 0, 32, "frame \(index): largest error per sample")
      // Dithering trades per-pixel error for accurate local averages, so 4x4 block means
      // must match closely.
      let blockError = largestBlockMeanError(output, input.pixels, width: 40, height: 24)
      XCTAssertLessThan(blockError, 4, "frame \(index): largest 4x4 block mean error")
    }
    // A flat colour with its own palette entry comes back exactly.
    let flat = gif.frames[0].rgb
    XCTAssertEqual(Array(flat[0..<3]), [200, 40, 90])
    XCTAssertTrue(stride(from: 0, to: flat.count, by: 3).allSatisfy { flat[$0] == 200 })
  }

  func testGIFWithoutLoopHasNoNetscapeBlock() throws {
    var parser = GIFParser(
      bytes: try GIFWriter.encode(makeFrames(), delayCentiseconds: 3, loop: false))
    let gif = try parser.parse()
    XCTAssertNil(gif.loopCount)
    XCTAssertEqual(gif.frames.map(\.delay), [3, 3, 3])
  }

  func testGIFSingleTinyFrame() throws {
    let frame = RGBImage(width: 1, height: 1, pixels: [12, 200, 34])
    var parser = GIFParser(bytes: try GIFWriter.encode([frame], delayCentiseconds: 0))
    let gif = try parser.parse()
    XCTAssertEqual(gif.frames.count, 1)
    XCTAssertEqual(gif.frames[0].rgb, [12, 200, 34])
  }

  func testGIFWriteFile() throws {
    let folder = try ImageFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/walk.gif"
    try GIFWriter.write(makeFrames(), to: path, delayCentiseconds: 5)
    var parser = GIFParser(bytes: try ImageFixtures.bytesAt(path: path))
    XCTAssertEqual(try parser.parse().frames.count, 3)
    XCTAssertThrowsError(
      try GIFWriter.write(makeFrames(), to: folder + "/no/walk.gif", delayCentiseconds: 5)
    ) {
      XCTAssertTrue($0 is FileWriteError, "\($0)")
    }
  }

  func testGIFRejectsBadRequests() {
    let small = RGBImage(width: 2, height: 2)
    let cases: [([RGBImage], Int, String)] = [
      ([], 5, "cannot encode GIF: there are no frames to encode"),
      (
        [small, RGBImage(width: 3, height: 2)], 5,
        "cannot encode GIF: frame 1 is 3x2 but frame 0 is 2x2; resize the frames to one size"
      ),
      (
        [RGBImage(width: 0, height: 2)], 5,
        "cannot encode GIF: frame 0 is 0x2; GIF sides must be 1 to 65535"
      ),
      ([small], -1, "cannot encode GIF: the delay -1 is outside 0...65535 hundredths of a second"),
      (
        [small], 65536,
        "cannot encode GIF: the delay 65536 is outside 0...65535 hundredths of a second"
      ),
    ]
    for (frames, delay, expected) in cases {
      XCTAssertThrowsError(try GIFWriter.encode(frames, delayCentiseconds: delay)) {
        XCTAssertEqual("\($0)", expected)
      }
    }
  }
}
