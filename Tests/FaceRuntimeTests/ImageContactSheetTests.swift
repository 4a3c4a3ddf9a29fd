import XCTest

@testable import FaceRuntime

final class ImageContactSheetTests: XCTestCase {
  let background = ContactSheet.background
  let ink = ContactSheet.ink

  /// Counts pixels of `color` inside the rectangle.
  func count(
    _ color: (UInt8, UInt8, UInt8), in image: RGBImage, x: Int, y: Int, width: Int, height: Int
  ) -> Int {
    var total = 0
    for py in y..<(y + height) {
      for px in x..<(x + width) where pixel(image, x: px, y: py) == color {
        total += 1
      }
    }
    return total
  }

  func faces(_ count: Int, width: Int = 48, height: Int = 30) -> [RGBImage] {
    (0..<count).map { RGBImage(width: width, height: height, fill: (UInt8(100 + $0), 150, 200)) }
  }

  func testSheetSizeWithLabelsAndTitle() {
    let sheet = ContactSheet.render(
      faces(5), columns: 3, labels: ["a", "b", "c", "d", "e"], title: "pc1")
    // 3 columns of 48 plus 4 gaps of 4; title band 13, then 2 rows of 30 + 13 + 4.
    XCTAssertEqual(sheet.width, 3 * 48 + 4 * 4)
    XCTAssertEqual(sheet.height, 4 + 13 + 2 * (30 + 13 + 4))
  }

  func testSheetSizeWithoutText() {
    let sheet = ContactSheet.render(faces(2), columns: 4)
    // Only 2 columns are used when there are 2 faces.
    XCTAssertEqual(sheet.width, 2 * 48 + 3 * 4)
    XCTAssertEqual(sheet.height, 4 + 30 + 4)
    XCTAssertEqual(count(ink, in: sheet, x: 0, y: 0, width: sheet.width, height: sheet.height), 0)
  }

  func testFacesPlacedInGrid() {
    let sheet = ContactSheet.render(faces(5), columns: 3, labels: Array(repeating: "", count: 5))
    for index in 0..<5 {
      let x = 4 + (index % 3) * 52
      let y = 4 + (index / 3) * (30 + 13 + 4)
      XCTAssertTrue(pixel(sheet, x: x, y: y) == (UInt8(100 + index), 150, 200), "face \(index)")
      XCTAssertTrue(
        pixel(sheet, x: x + 47, y: y + 29) == (UInt8(100 + index), 150, 200), "face \(index)")
      XCTAssertTrue(pixel(sheet, x: x - 1, y: y) == background, "gap left of face \(index)")
    }
    // The sixth cell stays empty.
    XCTAssertEqual(count(background, in: sheet, x: 108, y: 51, width: 48, height: 30), 1440)
  }

  func testLabelsDrawInkInLabelBand() {
    let labels = ["pc1 \u{2212}2\u{03C3}", "", "pc1 +2\u{03C3}"]
    let sheet = ContactSheet.render(faces(3), columns: 3, labels: labels)
    for (index, label) in labels.enumerated() {
      let inked = count(ink, in: sheet, x: 4 + index * 52, y: 34, width: 48, height: 13)
      if label.isEmpty {
        XCTAssertEqual(inked, 0, "label \(index) is empty")
      } else {
        XCTAssertGreaterThan(inked, 20, "label \(index) '\(label)'")
      }
    }
    // The minus sign and the plus sign differ, so the two labels differ.
    let first = ImageOps.crop(sheet, x: 4, y: 34, width: 48, height: 13)
    let third = ImageOps.crop(sheet, x: 108, y: 34, width: 48, height: 13)
    XCTAssertNotEqual(first, third)
    // No ink lands on the faces.
    XCTAssertEqual(count(ink, in: sheet, x: 4, y: 4, width: 152, height: 30), 0)
  }

  func testLabelCentredUnderFace() {
    let sheet = ContactSheet.render(faces(1), columns: 1, labels: ["I"])
    // The "I" cell is 5 wide, centred in 48 at cell columns 21...25 (sheet x 25...29), and
    // its ink covers the middle 3 columns.
    var inkedColumns = Set<Int>()
    for y in 34..<47 {
      for x in 0..<sheet.width where pixel(sheet, x: x, y: y) == ink {
        inkedColumns.insert(x)
      }
    }
    XCTAssertEqual(inkedColumns.min(), 26)
    XCTAssertEqual(inkedColumns.max(), 28)
  }

  func testTitleDrawsAboveGrid() {
    let sheet = ContactSheet.render(faces(2), columns: 2, title: "Walk")
    XCTAssertGreaterThan(count(ink, in: sheet, x: 4, y: 4, width: 100, height: 9), 20)
    XCTAssertTrue(pixel(sheet, x: 4, y: 17) == (100, 150, 200), "the grid starts under the title")
  }

  func testLongLabelWidensCells() {
    // "hair_length +1.5σ", 17 glyphs and 101 pixels, needs 97-pixel cells under 64-pixel
    // faces, each face centred in its cell.
    let label = "hair_length +1.5\u{03C3}"
    let sheet = ContactSheet.render(
      faces(2, width: 64, height: 10), columns: 2, labels: [label, ""])
    XCTAssertEqual(sheet.width, 2 * 97 + 3 * 4)
    XCTAssertEqual(ContactSheet.fit(label, width: 97 + ContactSheet.padding), label)
    XCTAssertTrue(pixel(sheet, x: 4 + 16, y: 4) == (100, 150, 200), "first face starts at 20")
    XCTAssertTrue(pixel(sheet, x: 4 + 15, y: 4) == background, "nothing left of it")
    // The whole label is drawn in its cell and the gap beside it, none in the next cell.
    XCTAssertGreaterThan(count(ink, in: sheet, x: 2, y: 14, width: 101, height: 13), 40)
    XCTAssertEqual(count(ink, in: sheet, x: 103, y: 14, width: 103, height: 13), 0)
    // "smile −1.5σ", 11 glyphs and 65 pixels, leaves 64-pixel cells as they are.
    let short = ContactSheet.render(
      faces(2, width: 64, height: 10), columns: 2, labels: ["smile \u{2212}1.5\u{03C3}", ""])
    XCTAssertEqual(short.width, 2 * 64 + 3 * 4)
  }

  func testLabelBeyondWidestCellIsCut() {
    let label = String(repeating: "abcdefghij", count: 4)
    let sheet = ContactSheet.render(
      faces(2, width: 64, height: 10), columns: 2, labels: [label, ""])
    // Cells stop widening at 143 pixels, and the label may use 147: 24 glyphs, or 23 and
    // "…"; nothing reaches the next cell's label band.
    let cell = ContactSheet.maximumLabelledCellWidth
    XCTAssertEqual(cell, 143)
    XCTAssertEqual(sheet.width, 2 * cell + 3 * 4)
    XCTAssertEqual(
      ContactSheet.fit(label, width: cell + ContactSheet.padding),
      String(label.prefix(23)) + "\u{2026}")
    XCTAssertEqual(count(ink, in: sheet, x: 4 + cell + 2, y: 14, width: cell + 2, height: 13), 0)
  }

  func testNarrowFacesGetCellsWideEnoughForLabels() {
    let sheet = ContactSheet.render(
      faces(2, width: 16, height: 16), columns: 2, labels: ["pc12 \u{2212}2\u{03C3}", "x"])
    // Cells widen from 16 to 48 pixels and each face sits in the middle of its cell.
    XCTAssertEqual(sheet.width, 2 * 48 + 3 * 4)
    XCTAssertTrue(pixel(sheet, x: 4 + 16, y: 4) == (100, 150, 200), "first face starts at 20")
    XCTAssertTrue(pixel(sheet, x: 4 + 15, y: 4) == background, "nothing left of it")
    XCTAssertTrue(pixel(sheet, x: 56 + 16 + 15, y: 19) == (101, 150, 200), "second face ends at 87")
    XCTAssertEqual(ContactSheet.fit("pc12 \u{2212}2\u{03C3}", width: 48), "pc12 \u{2212}2\u{03C3}")
    // Without labels the cells keep the faces' width.
    XCTAssertEqual(ContactSheet.render(faces(2, width: 16, height: 16), columns: 2).width, 44)
  }

  func testScaleRepeatsPixels() {
    let plain = ContactSheet.render(faces(3), columns: 2, labels: ["x", "y", "z"], title: "t")
    let doubled = ContactSheet.render(
      faces(3), columns: 2, labels: ["x", "y", "z"], title: "t", scale: 2)
    XCTAssertEqual(doubled, ImageOps.scaleNearest(plain, factor: 2))
    XCTAssertEqual(doubled.width, plain.width * 2)
  }

  func testMixedSizesFittedToFirst() {
    let wide = RGBImage(width: 96, height: 30, fill: (9, 9, 9))
    let sheet = ContactSheet.render([faces(1)[0], wide], columns: 2)
    XCTAssertEqual(sheet.width, 2 * 48 + 3 * 4)
    XCTAssertTrue(pixel(sheet, x: 56, y: 4) == (9, 9, 9))
    XCTAssertTrue(pixel(sheet, x: 103, y: 33) == (9, 9, 9))
  }

  func testEmptySheet() {
    let sheet = ContactSheet.render([], columns: 3)
    XCTAssertEqual(sheet.width, 8)
    XCTAssertEqual(sheet.height, 4)
  }
}

final class ImageBitmapFontTests: XCTestCase {
  let specials: [Character] = [
    "\u{2212}", "\u{03C3}", "\u{00B1}", "\u{00D7}", "\u{2026}", "\u{00B0}",
  ]

  func testEveryGlyphDistinct() {
    let characters = (32...126).map { Character(UnicodeScalar($0)!) } + specials
    var seen: [[UInt8]: Character] = [:]
    for character in characters {
      let glyph = BitmapFont.glyph(for: character)
      XCTAssertEqual(glyph.count, 9, "'\(character)'")
      if let other = seen[glyph] {
        XCTFail("'\(character)' draws the same as '\(other)'")
      }
      seen[glyph] = character
    }
    XCTAssertEqual(seen.count, 101)
  }

  func testOnlySpaceIsBlank() {
    XCTAssertEqual(BitmapFont.glyph(for: " "), Array(repeating: 0, count: 9))
    for character in specials + ["A", "g", "0"] {
      XCTAssertNotEqual(BitmapFont.glyph(for: character), Array(repeating: 0, count: 9))
    }
  }

  func testUnknownCharacterDrawsBox() {
    let box = BitmapFont.glyph(for: "\u{4E2D}")
    XCTAssertEqual(box, BitmapFont.glyph(for: "\u{1F600}"))
    XCTAssertEqual(box[0], 0b11111)
    XCTAssertEqual(box[3], 0b10001)
  }

  func testDescendersBelowBaseline() {
    XCTAssertNotEqual(BitmapFont.glyph(for: "g")[8], 0)
    XCTAssertEqual(BitmapFont.glyph(for: "a")[7], 0)
  }

  func testWidthAndDrawExtent() {
    XCTAssertEqual(BitmapFont.width(of: ""), 0)
    XCTAssertEqual(BitmapFont.width(of: "H"), 5)
    XCTAssertEqual(BitmapFont.width(of: "pc1 \u{2212}2\u{03C3}"), 7 * 6 - 1)
    XCTAssertEqual(BitmapFont.width(of: "ab", scale: 3), 33)
    var image = RGBImage(width: 20, height: 12, fill: (255, 255, 255))
    BitmapFont.draw("HH", into: &image, x: 1, y: 1, color: (0, 0, 0))
    // "H": columns 0 and 4 are full height, row 3 is the bar.
    XCTAssertTrue(pixel(image, x: 1, y: 1) == (0, 0, 0))
    XCTAssertTrue(pixel(image, x: 5, y: 7) == (0, 0, 0))
    XCTAssertTrue(pixel(image, x: 3, y: 4) == (0, 0, 0))
    XCTAssertTrue(pixel(image, x: 3, y: 3) == (255, 255, 255))
    XCTAssertTrue(pixel(image, x: 7, y: 1) == (0, 0, 0), "the second H starts 6 pixels on")
    XCTAssertTrue(pixel(image, x: 6, y: 1) == (255, 255, 255), "1 blank column between")
  }

  func testDrawClipsAtEdges() {
    var image = RGBImage(width: 4, height: 4, fill: (255, 255, 255))
    BitmapFont.draw("W\u{00D7}", into: &image, x: -2, y: -3, color: (0, 0, 0), scale: 2)
    BitmapFont.draw("W", into: &image, x: 3, y: 3, color: (0, 0, 0), scale: 5)
    XCTAssertEqual(image.pixels.count, 48)
  }
}
