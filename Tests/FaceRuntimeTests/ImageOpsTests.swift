import XCTest

@testable import FaceRuntime

final class ImageOpsTests: XCTestCase {
  /// Makes a one-row image with the given gray levels.
  func grayRow(_ levels: [UInt8]) -> RGBImage {
    RGBImage(width: levels.count, height: 1, pixels: levels.flatMap { [$0, $0, $0] })
  }

  func grayLevels(_ image: RGBImage) -> [UInt8] {
    stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] }
  }

  func testCenterCropWideToSquare() {
    // Each pixel's red sample is its x, green its y.
    var pixels = [UInt8]()
    for y in 0..<50 {
      for x in 0..<100 { pixels += [UInt8(x), UInt8(y), 0] }
    }
    let crop = ImageOps.centerCrop(RGBImage(width: 100, height: 50, pixels: pixels), aspect: 1)
    XCTAssertEqual(crop.width, 50)
    XCTAssertEqual(crop.height, 50)
    XCTAssertTrue(pixel(crop, x: 0, y: 0) == (25, 0, 0))
    XCTAssertTrue(pixel(crop, x: 49, y: 49) == (74, 49, 0))
  }

  func testCenterCropTallToWide() {
    var pixels = [UInt8]()
    for y in 0..<40 {
      for x in 0..<30 { pixels += [UInt8(x), UInt8(y), 0] }
    }
    let crop = ImageOps.centerCrop(RGBImage(width: 30, height: 40, pixels: pixels), aspect: 1.5)
    XCTAssertEqual(crop.width, 30)
    XCTAssertEqual(crop.height, 20)
    XCTAssertTrue(pixel(crop, x: 0, y: 0) == (0, 10, 0))
    XCTAssertTrue(pixel(crop, x: 29, y: 19) == (29, 29, 0))
  }

  func testCenterCropKeepsMatchingAspect() {
    let image = testPattern(width: 8, height: 4)
    XCTAssertEqual(ImageOps.centerCrop(image, aspect: 2), image)
    XCTAssertEqual(ImageOps.centerCrop(image, aspect: 1000).height, 1)
  }

  func testResizeAreaWholeFactor() {
    // 4x2 to 2x1: each output is the mean of a 2x2 block, (0+10+100+50)/4 and (20+30+200+210)/4.
    let image = RGBImage(
      width: 4, height: 2, pixels: [0, 10, 20, 30, 100, 50, 200, 210].flatMap { [$0, $0, $0] })
    XCTAssertEqual(grayLevels(ImageOps.resizeArea(image, width: 2, height: 1)), [40, 115])
  }

  func testResizeAreaFractionalCoverage() {
    // 3 to 2: output 0 covers pixel 0 and half of pixel 1, output 1 the rest.
    let resized = ImageOps.resizeArea(grayRow([0, 90, 180]), width: 2, height: 1)
    XCTAssertEqual(grayLevels(resized), [30, 150])
    // 5 to 2: weights 1, 1, 0.5 over a span of 2.5.
    let five = ImageOps.resizeArea(grayRow([10, 20, 30, 40, 50]), width: 2, height: 1)
    XCTAssertEqual(grayLevels(five), [18, 42])
    // Vertical axis too: a 1x3 column to 1x2.
    let column = RGBImage(width: 1, height: 3, pixels: [0, 0, 0, 90, 90, 90, 180, 180, 180])
    XCTAssertEqual(grayLevels(ImageOps.resizeArea(column, width: 1, height: 2)), [30, 150])
  }

  func testResizeAreaKeepsMeanAndChannels() {
    let image = testPattern(width: 30, height: 20)
    let small = ImageOps.resizeArea(image, width: 7, height: 3)
    XCTAssertEqual(small.width, 7)
    XCTAssertEqual(small.height, 3)
    for c in 0..<3 {
      let before = stride(from: c, to: image.pixels.count, by: 3).map { Double(image.pixels[$0]) }
      let after = stride(from: c, to: small.pixels.count, by: 3).map { Double(small.pixels[$0]) }
      let meanBefore = before.reduce(0, +) / Double(before.count)
      let meanAfter = after.reduce(0, +) / Double(after.count)
      XCTAssertEqual(meanAfter, meanBefore, accuracy: 0.5, "channel \(c)")
    }
  }

  func testResizeUpscaleIsBilinear() {
    let resized = ImageOps.resizeArea(grayRow([0, 100]), width: 4, height: 1)
    XCTAssertEqual(grayLevels(resized), [0, 25, 75, 100])
    let solid = RGBImage(width: 2, height: 2, fill: (9, 80, 200))
    XCTAssertEqual(
      ImageOps.resizeArea(solid, width: 5, height: 3),
      RGBImage(width: 5, height: 3, fill: (9, 80, 200)))
  }

  func testResizeSameSizeAndEmpty() {
    let image = testPattern(width: 6, height: 4)
    XCTAssertEqual(ImageOps.resizeArea(image, width: 6, height: 4), image)
    XCTAssertEqual(ImageOps.resizeArea(image, width: 0, height: 4).pixels, [])
    XCTAssertEqual(
      ImageOps.resizeArea(RGBImage(width: 0, height: 0), width: 2, height: 1),
      RGBImage(width: 2, height: 1))
  }

  func testScaleNearestRepeatsPixels() {
    let image = grayRow([10, 20])
    let big = ImageOps.scaleNearest(image, factor: 3)
    XCTAssertEqual(big.width, 6)
    XCTAssertEqual(big.height, 3)
    XCTAssertEqual(
      grayLevels(big), Array(repeating: [10, 10, 10, 20, 20, 20], count: 3).flatMap { $0 })
  }
}

final class ImageFrameNamesTests: XCTestCase {
  func testPaddingFollowsCount() {
    let cases: [(Int, Int, String)] = [
      (0, 1, "morph-0.png"), (9, 10, "morph-9.png"), (0, 11, "morph-00.png"),
      (10, 11, "morph-10.png"), (7, 1000, "morph-007.png"), (999, 1000, "morph-999.png"),
      (7, 1001, "morph-0007.png"), (12, 5, "morph-12.png"), (3, 0, "morph-3.png"),
    ]
    for (index, count, expected) in cases {
      XCTAssertEqual(
        FrameNames.name(prefix: "morph", index: index, count: count, extension: "png"), expected)
    }
  }

  func testPrefixAndExtensionJoining() {
    XCTAssertEqual(
      FrameNames.name(prefix: "pc1_", index: 3, count: 20, extension: ".gif"), "pc1_03.gif")
    XCTAssertEqual(
      FrameNames.name(prefix: "out/", index: 3, count: 20, extension: "png"), "out/03.png")
    XCTAssertEqual(FrameNames.name(prefix: "walk-", index: 3, count: 20, extension: ""), "walk-03")
    XCTAssertEqual(FrameNames.name(prefix: "", index: 3, count: 20, extension: "png"), "03.png")
  }
}
