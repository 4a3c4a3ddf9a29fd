import Foundation
import XCTest

@testable import FaceRuntime

/// Paths and bytes of the files under Fixtures/images, made by Fixtures/make_images.py.
enum ImageFixtures {
  static func path(_ name: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures/images/" + name).path
  }

  static func bytes(_ name: String) throws -> [UInt8] {
    try bytesAt(path: path(name))
  }

  static func bytesAt(path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  /// Creates an empty folder under the system temporary folder.
  static func temporaryFolder() throws -> String {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("facesh-image-tests-" + UUID().uuidString)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.path
  }
}

/// Computes the CRC-32 of PNG chunks and zlib (polynomial 0xEDB88320, reflected).
func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 {
      crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
    }
  }
  return ~crc
}

/// One chunk of a PNG file, parsed independently of libpng.
struct PNGChunk {
  var type: String
  var data: [UInt8]
  var crcMatches: Bool
}

func readBigEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
  bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
}

/// Splits a PNG file after its signature into chunks, or returns nil when it is malformed.
func parseChunks(_ png: [UInt8]) -> [PNGChunk]? {
  guard png.count >= 8 else { return nil }
  var chunks: [PNGChunk] = []
  var offset = 8
  while offset + 12 <= png.count {
    let length = Int(readBigEndian32(png, at: offset))
    guard offset + 12 + length <= png.count else { return nil }
    let typeAndData = Array(png[(offset + 4)..<(offset + 8 + length)])
    let storedCRC = readBigEndian32(png, at: offset + 8 + length)
    chunks.append(
      PNGChunk(
        type: String(decoding: typeAndData[0..<4], as: UTF8.self),
        data: Array(typeAndData[4...]),
        crcMatches: crc32(typeAndData) == storedCRC))
    offset += 12 + length
  }
  return offset == png.count ? chunks : nil
}

/// Sets width and height in the IHDR chunk of a PNG and fixes its CRC.
func patchPNGSize(_ png: [UInt8], width: UInt32, height: UInt32) -> [UInt8] {
  var bytes = png
  for (index, value) in [width, height].enumerated() {
    for k in 0..<4 {
      bytes[16 + index * 4 + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * k))
    }
  }
  let crc = crc32(bytes[12..<29])
  for k in 0..<4 {
    bytes[29 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * k))
  }
  return bytes
}

/// Returns the error `body` throws as an ImageFileError, failing the test otherwise.
func imageFileError(
  _ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line
) -> ImageFileError? {
  do {
    _ = try body()
    XCTFail("expected an ImageFileError, but decoding succeeded", file: file, line: line)
  } catch let error as ImageFileError {
    return error
  } catch {
    XCTFail("expected an ImageFileError, got \(error)", file: file, line: line)
  }
  return nil
}

final class ImageIOTests: XCTestCase {
  func testPNGFixturesMatchExpectedPixels() throws {
    let manifest = String(decoding: try ImageFixtures.bytes("png/expected.txt"), as: UTF8.self)
    let lines = manifest.split(separator: "\n")
    XCTAssertEqual(lines.count, 26, "one line per PNG fixture")
    for line in lines {
      let fields = line.split(separator: " ").map(String.init)
      let name = fields[0]
      let image = try ImageIO.read(path: ImageFixtures.path("png/\(name).png"))
      XCTAssertEqual(image.width, Int(fields[1]), name)
      XCTAssertEqual(image.height, Int(fields[2]), name)
      let expected = hexBytes(fields[3])
      let common = min(image.pixels.count, expected.count)
      if let index = (0..<common).first(where: { image.pixels[$0] != expected[$0] }) {
        XCTFail(
          "\(name): sample \(index) (pixel \(index / 3), channel \(index % 3)) is "
            + "\(image.pixels[index]), expected \(expected[index])")
      }
      XCTAssertEqual(image.pixels.count, expected.count, name)
    }
  }

  func testPNG16BitSamplesBigEndianRounded() throws {
    let gray = try ImageIO.read(path: ImageFixtures.path("png/gray16-known.png"))
    // 0x1234 -> 0x12; 0x12F0 -> 0x13 (18.86 rounds up, truncation would give 0x12).
    XCTAssertEqual(gray.pixels, [0x12, 0x12, 0x12, 0x13, 0x13, 0x13, 255, 255, 255, 0, 0, 0])
    let rgb = try ImageIO.read(path: ImageFixtures.path("png/rgb16-known.png"))
    // (0x1234, 0xABCD, 0x00FF) and (0xFF00, 0x8080, 0x0180).
    XCTAssertEqual(rgb.pixels, [0x12, 0xAB, 0x01, 0xFE, 0x80, 0x01])
  }

  func testPNGAlphaCompositedOverWhite() throws {
    XCTAssertTrue(ImageIO.background == (255, 255, 255))
    let image = try ImageIO.read(path: ImageFixtures.path("png/rgba8-known.png"))
    // (10, 20, 30) at alpha 0, (200, 100, 0) at alpha 128, (1, 2, 3) at alpha 255.
    XCTAssertEqual(image.pixels, [255, 255, 255, 227, 177, 127, 1, 2, 3])
  }

  func testPNGShortTRNSLeavesLaterEntriesOpaque() throws {
    let image = try ImageIO.read(path: ImageFixtures.path("png/palette4-trns-short.png"))
    XCTAssertEqual(image.width, 6)
    // Row 0 contains palette indices 0...5; tRNS gives alpha 0, 100, 200 to the first three.
    XCTAssertEqual(Array(image.pixels[0..<3]), [255, 255, 255])
    XCTAssertEqual(Array(image.pixels[3..<6]), [155, 205, 155])
    XCTAssertEqual(Array(image.pixels[9..<12]), [250, 200, 10])
    XCTAssertEqual(Array(image.pixels[12..<15]), [40, 40, 40])
    XCTAssertEqual(Array(image.pixels[15..<18]), [90, 10, 160])
  }

  func testPNGInterlacedTinySizes() throws {
    let onePixel = try ImageIO.read(path: ImageFixtures.path("png/interlaced-1x1.png"))
    XCTAssertEqual(onePixel, RGBImage(width: 1, height: 1, pixels: [12, 34, 56]))
    let small = try ImageIO.read(path: ImageFixtures.path("png/interlaced-3x5.png"))
    XCTAssertEqual(small.width, 3)
    XCTAssertEqual(small.height, 5)
  }

  func testPNGRoundTripsPixelsAndText() throws {
    let image = testPattern(width: 7, height: 5)
    let text: [(key: String, value: String)] = [
      ("Software", "facesh"), ("facesh:model-hash", "sha256:0f1e2d"),
      ("facesh:latent", "0.25,-1.5,3"), ("Comment", "pc1 −2σ"),
    ]
    let png = try ImageIO.encodePNG(image, text: text)
    XCTAssertEqual(try ImageIO.decode(png, name: "memory"), image)

    let chunks = try XCTUnwrap(parseChunks(png), "the chunk stream is malformed")
    XCTAssertEqual(
      chunks.map(\.type), ["IHDR", "tEXt", "tEXt", "tEXt", "iTXt", "IDAT", "IEND"])
    XCTAssertTrue(chunks.allSatisfy(\.crcMatches), "a chunk CRC is wrong")
    // IHDR: width 7, height 5, depth 8, colour type 2 (RGB), no interlace.
    XCTAssertEqual(chunks[0].data, [0, 0, 0, 7, 0, 0, 0, 5, 8, 2, 0, 0, 0])
    XCTAssertEqual(chunks[1].data, Array("Software\0facesh".utf8))
    XCTAssertEqual(chunks[2].data, Array("facesh:model-hash\0sha256:0f1e2d".utf8))
    XCTAssertEqual(chunks[3].data, Array("facesh:latent\u{0}0.25,-1.5,3".utf8))
    // iTXt: keyword, NUL, compression flag 0, method 0, empty language and translated
    // keyword each ended by NUL, then UTF-8 text.
    XCTAssertEqual(chunks[4].data, Array("Comment\0\0\0\0\0pc1 −2σ".utf8))
  }

  func testPNGWriteAndReadFile() throws {
    let folder = try ImageFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/face.png"
    let image = testPattern(width: 16, height: 9)
    try ImageIO.writePNG(image, to: path, text: [("Software", "facesh")])
    XCTAssertEqual(try ImageIO.read(path: path), image)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
    XCTAssertEqual(leftovers, ["face.png"], "the temporary file must be renamed away")
  }

  func testPNGEncodeRejectsBadInput() {
    let image = RGBImage(width: 2, height: 2)
    let cases: [([(key: String, value: String)], String)] = [
      (
        [("", "x")],
        "cannot encode PNG: invalid text key ''; use 1 to 79 printable ASCII "
          + "characters without leading, trailing or double spaces"
      ),
      ([(" lead", "x")], "invalid text key ' lead'"),
      ([("double  space", "x")], "invalid text key 'double  space'"),
      ([(String(repeating: "k", count: 80), "x")], "invalid text key 'kkkk"),
      ([("σ", "x")], "invalid text key 'σ'"),
      ([("Comment", "a\0b")], "cannot encode PNG: the value of text key 'Comment' contains a NUL"),
    ]
    for (text, expected) in cases {
      XCTAssertThrowsError(try ImageIO.encodePNG(image, text: text)) { error in
        XCTAssertTrue("\(error)".contains(expected), "\(error)")
      }
    }
    XCTAssertThrowsError(try ImageIO.encodePNG(RGBImage(width: 0, height: 3))) { error in
      XCTAssertEqual("\(error)", "cannot encode PNG: the image is 0x3; PNG needs at least 1x1")
    }
    XCTAssertNoThrow(try ImageIO.encodePNG(image, text: [(String(repeating: "k", count: 79), "")]))
  }

  // MARK: - Errors

  func testReadErrorMessages() throws {
    let folder = try ImageFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let empty = ImageFixtures.path("empty.png")
    let missing = folder + "/missing.png"
    let cases: [(String, String)] = [
      (empty, "cannot read image '\(empty)': the file is empty (0 bytes)"),
      (missing, "cannot read image '\(missing)': no such file or directory"),
      (folder, "cannot read image '\(folder)': it is a directory, not an image file"),
    ]
    for (path, expected) in cases {
      let error = imageFileError { try ImageIO.read(path: path) }
      XCTAssertEqual(error?.path, path)
      XCTAssertEqual(error?.description, expected)
    }
  }

  func testPNGNamedJPGLoadsBySignature() throws {
    let image = try ImageIO.read(path: ImageFixtures.path("png-named.jpg"))
    XCTAssertEqual(image, RGBImage(width: 2, height: 1, pixels: [255, 0, 0, 0, 0, 255]))
  }

  func testUnknownFormatsRejected() {
    let cases: [([UInt8], String)] = [
      (
        Array("<html>".utf8),
        "unknown image format (the file starts with 3C 68 74 6D 6C 3E); "
          + "expected PNG or JPEG"
      ),
      (
        Array("GIF89a\u{1}\0\u{1}\0".utf8),
        "GIF images are not supported; convert the file "
          + "to PNG or JPEG"
      ),
      (Array("RIFF\0\0\0\0WEBPVP8 ".utf8), "WebP images are not supported"),
      (Array("BM\0\0".utf8), "BMP images are not supported"),
      ([0x89, 0x50, 0x4E], "the file is truncated (3 bytes of a PNG signature)"),
    ]
    for (bytes, expected) in cases {
      let error = imageFileError { try ImageIO.decode(bytes, name: "upload.bin") }
      XCTAssertEqual(error?.path, "upload.bin")
      XCTAssertTrue(error?.reason.hasPrefix(expected) ?? false, error?.reason ?? "")
    }
  }

  func testTruncatedPNGRejected() throws {
    let png = try ImageFixtures.bytes("png/rgb8.png")
    let error = imageFileError { try ImageIO.decode(Array(png.prefix(60)), name: "cut.png") }
    XCTAssertEqual(
      error?.description,
      "cannot read image 'cut.png': the file is truncated (unexpected end of PNG data)")
  }

  func testPNGBadCRCRejected() throws {
    var png = try ImageFixtures.bytes("png/rgb8.png")
    png[29] ^= 0xFF  // first byte of the IHDR CRC
    let error = imageFileError { try ImageIO.decode(png, name: "crc.png") }
    XCTAssertEqual(error?.reason, "invalid PNG data (libpng: IHDR: CRC error)")

    var idat = try ImageFixtures.bytes("png/rgb8.png")
    idat[idat.count - 12 - 1] ^= 0x01  // last byte of the IDAT CRC, just before IEND
    XCTAssertNotNil(imageFileError { try ImageIO.decode(idat, name: "crc.png") })
  }

  func testPNGHugeDimensionsRejected() throws {
    let png = try ImageFixtures.bytes("png/gray8.png")
    let wide = patchPNGSize(png, width: 20000, height: 3)
    let error = imageFileError { try ImageIO.decode(wide, name: "wide.png") }
    XCTAssertEqual(
      error?.reason, "the image is 20000x3 pixels, larger than the 16384x16384 limit")
    let tall = patchPNGSize(png, width: 5, height: 16385)
    XCTAssertEqual(
      imageFileError { try ImageIO.decode(tall, name: "tall.png") }?.reason,
      "the image is 5x16385 pixels, larger than the 16384x16384 limit")
  }

  /// Decoding on many threads at once, including error paths, gives the same results as on
  /// one thread, because the C layer keeps its state per call.
  func testConcurrentDecodesIndependent() throws {
    let png = try ImageFixtures.bytes("png/interlaced-rgba16.png")
    let jpeg = try ImageFixtures.bytes("jpeg/orientation-6.jpg")
    let expectedPNG = try ImageIO.decode(png, name: "a.png")
    let expectedJPEG = try ImageIO.decode(jpeg, name: "b.jpg")
    let mismatches = Mismatches()
    DispatchQueue.concurrentPerform(iterations: 64) { i in
      let result: Bool
      switch i % 4 {
      case 0: result = (try? ImageIO.decode(png, name: "a.png")) == expectedPNG
      case 1: result = (try? ImageIO.decode(jpeg, name: "b.jpg")) == expectedJPEG
      case 2: result = (try? ImageIO.decode(Array(png.prefix(90)), name: "c.png")) == nil
      default: result = (try? ImageIO.decode(Array(jpeg.prefix(300)), name: "d.jpg")) == nil
      }
      if !result { mismatches.add(i) }
    }
    XCTAssertEqual(mismatches.all, [])
  }

  /// Every prefix and many single-byte corruptions of a PNG either decode or throw.
  func testDamagedPNGsNeverCrash() throws {
    let png = try ImageFixtures.bytes("png/interlaced-rgba16.png")
    for length in 0..<png.count {
      XCTAssertThrowsError(try ImageIO.decode(Array(png.prefix(length)), name: "cut.png"))
    }
    var random = SplitMix(seed: 7)
    for _ in 0..<500 {
      var damaged = png
      let index = 8 + Int(random.next() % UInt64(png.count - 8))
      damaged[index] ^= UInt8(1 + random.next() % 255)
      _ = try? ImageIO.decode(damaged, name: "damaged.png")
    }
  }
}

/// Iteration numbers collected from several threads.
final class Mismatches: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [Int] = []

  func add(_ item: Int) {
    lock.lock()
    items.append(item)
    lock.unlock()
  }

  var all: [Int] {
    lock.lock()
    defer { lock.unlock() }
    return items.sorted()
  }
}

/// A small seeded generator so damage tests hit the same bytes on every run.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// An image whose every sample differs from its neighbours.
func testPattern(width: Int, height: Int) -> RGBImage {
  var pixels = [UInt8]()
  for y in 0..<height {
    for x in 0..<width {
      pixels += [
        UInt8((x * 37 + y * 11) % 256), UInt8((x * 5 + y * 71) % 256), UInt8((x ^ y) * 9 % 256),
      ]
    }
  }
  return RGBImage(width: width, height: height, pixels: pixels)
}

func hexBytes(_ text: String) -> [UInt8] {
  var bytes = [UInt8]()
  var index = text.startIndex
  while index < text.endIndex {
    let next = text.index(index, offsetBy: 2)
    bytes.append(UInt8(text[index..<next], radix: 16)!)
    index = next
  }
  return bytes
}
