import XCTest

@testable import FaceRuntime

final class ImageJPEGTests: XCTestCase {
  /// Colours of the 3x2 grid of 16x16 blocks in the 48x32 fixtures, as in make_images.py.
  let grid: [(UInt8, UInt8, UInt8)] = [
    (220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 230, 40), (30, 220, 220), (210, 40, 210),
  ]

  /// Checks the centre of each grid block against its colour, within JPEG error.
  func assertGrid(
    _ image: RGBImage, _ name: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(image.width, 48, name, file: file, line: line)
    XCTAssertEqual(image.height, 32, name, file: file, line: line)
    guard image.width == 48, image.height == 32 else { return }
    for (index, color) in grid.enumerated() {
      let seen = pixel(image, x: index % 3 * 16 + 8, y: index / 3 * 16 + 8)
      XCTAssertTrue(
        close(seen, color, tolerance: 10),
        "\(name): block \(index) is \(seen), expected about \(color)", file: file, line: line)
    }
  }

  func testBaselineJPEG() throws {
    assertGrid(try ImageIO.read(path: ImageFixtures.path("jpeg/baseline.jpg")), "baseline")
  }

  func testProgressiveJPEG() throws {
    let image = try ImageIO.read(path: ImageFixtures.path("jpeg/progressive.jpg"))
    assertGrid(image, "progressive")
  }

  func testGrayscaleJPEG() throws {
    let image = try ImageIO.read(path: ImageFixtures.path("jpeg/gray.jpg"))
    XCTAssertEqual(image.width, 48)
    XCTAssertEqual(image.height, 32)
    for (index, color) in grid.enumerated() {
      let seen = pixel(image, x: index % 3 * 16 + 8, y: index / 3 * 16 + 8)
      // Pillow's RGB to L conversion: ITU-R 601-2 luma.
      let luma = (299 * Int(color.0) + 587 * Int(color.1) + 114 * Int(color.2)) / 1000
      XCTAssertEqual(seen.0, seen.1, "gray block \(index) must have R == G")
      XCTAssertEqual(seen.1, seen.2, "gray block \(index) must have G == B")
      XCTAssertEqual(Int(seen.0), luma, accuracy: 6, "gray block \(index)")
    }
  }

  func testAdobeCMYKJPEG() throws {
    let image = try ImageIO.read(path: ImageFixtures.path("jpeg/cmyk.jpg"))
    XCTAssertEqual(image.width, 32)
    XCTAssertEqual(image.height, 16)
    let cyan = pixel(image, x: 8, y: 8)
    XCTAssertTrue(close(cyan, (0, 255, 255), tolerance: 6), "cyan ink is \(cyan)")
    let halfBlack = pixel(image, x: 24, y: 8)
    XCTAssertTrue(close(halfBlack, (127, 127, 127), tolerance: 6), "half black is \(halfBlack)")
  }

  func testEXIFOrientationsApplied() throws {
    for orientation in 1...8 {
      let name = "orientation-\(orientation)"
      assertGrid(try ImageIO.read(path: ImageFixtures.path("jpeg/\(name).jpg")), name)
    }
    let bigEndian = "orientation-6-big-endian"
    assertGrid(try ImageIO.read(path: ImageFixtures.path("jpeg/\(bigEndian).jpg")), bigEndian)
  }

  func testOrientedMapsEveryCorner() {
    // A 3x2 image whose samples number the pixels: 0 1 2 / 3 4 5.
    let stored = RGBImage(width: 3, height: 2, pixels: (0..<6).flatMap { [UInt8($0), 0, 0] })
    let cases: [(Int, Int, [UInt8])] = [
      (1, 3, [0, 1, 2, 3, 4, 5]),
      (2, 3, [2, 1, 0, 5, 4, 3]),
      (3, 3, [5, 4, 3, 2, 1, 0]),
      (4, 3, [3, 4, 5, 0, 1, 2]),
      (5, 2, [0, 3, 1, 4, 2, 5]),
      (6, 2, [3, 0, 4, 1, 5, 2]),
      (7, 2, [5, 2, 4, 1, 3, 0]),
      (8, 2, [2, 5, 1, 4, 0, 3]),
      (9, 3, [0, 1, 2, 3, 4, 5]),
    ]
    for (orientation, width, order) in cases {
      let upright = ImageOps.oriented(stored, exifOrientation: orientation)
      XCTAssertEqual(upright.width, width, "orientation \(orientation)")
      let seen = stride(from: 0, to: upright.pixels.count, by: 3).map { upright.pixels[$0] }
      XCTAssertEqual(seen, order, "orientation \(orientation)")
    }
  }

  func testTruncatedJPEGRejected() throws {
    let jpeg = try ImageFixtures.bytes("jpeg/baseline.jpg")
    let error = imageFileError {
      try ImageIO.decode(Array(jpeg.prefix(jpeg.count * 2 / 3)), name: "cut.jpg")
    }
    XCTAssertEqual(
      error?.description,
      "cannot read image 'cut.jpg': the file is truncated (premature end of JPEG data)")
    let headerOnly = imageFileError { try ImageIO.decode(Array(jpeg.prefix(40)), name: "h.jpg") }
    XCTAssertEqual(headerOnly?.reason, "the file is truncated (premature end of JPEG data)")
  }

  func testCorruptJPEGRejected() throws {
    var jpeg = try ImageFixtures.bytes("jpeg/baseline.jpg")
    // Replace the marker after SOI with the reserved marker FF 02.
    jpeg[3] = 0x02
    let error = imageFileError { try ImageIO.decode(jpeg, name: "bad.jpg") }
    XCTAssertEqual(error?.reason, "invalid JPEG data (libjpeg: Unsupported marker type 0x02)")
  }

  func testJPEGHugeDimensionsRejected() throws {
    var jpeg = try ImageFixtures.bytes("jpeg/baseline.jpg")
    // SOF0: FF C0, length (2), precision (1), height (2), width (2).
    let sof = try XCTUnwrap(
      (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
    jpeg[sof + 5] = 0x4E  // height 20000 = 0x4E20
    jpeg[sof + 6] = 0x20
    let error = imageFileError { try ImageIO.decode(jpeg, name: "huge.jpg") }
    XCTAssertEqual(error?.reason, "the image is 48x20000 pixels, larger than the 16384x16384 limit")
  }

  /// Every prefix and many single-byte corruptions of a JPEG either decode or throw.
  func testDamagedJPEGsNeverCrash() throws {
    for name in ["baseline", "progressive", "orientation-6"] {
      let jpeg = try ImageFixtures.bytes("jpeg/\(name).jpg")
      for length in stride(from: 0, to: jpeg.count - 2, by: 3) {
        XCTAssertThrowsError(try ImageIO.decode(Array(jpeg.prefix(length)), name: "cut.jpg"))
      }
      var random = SplitMix(seed: 11)
      for _ in 0..<300 {
        var damaged = jpeg
        let index = 3 + Int(random.next() % UInt64(jpeg.count - 3))
        damaged[index] ^= UInt8(1 + random.next() % 255)
        _ = try? ImageIO.decode(damaged, name: "damaged.jpg")
      }
    }
  }
}

func pixel(_ image: RGBImage, x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
  let i = (y * image.width + x) * 3
  return (image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
}

func close(
  _ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8), tolerance: Int
) -> Bool {
  abs(Int(a.0) - Int(b.0)) <= tolerance && abs(Int(a.1) - Int(b.1)) <= tolerance
    && abs(Int(a.2) - Int(b.2)) <= tolerance
}
