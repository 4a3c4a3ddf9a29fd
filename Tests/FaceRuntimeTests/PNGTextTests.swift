import Foundation
import XCTest

@testable import FaceRuntime

final class PNGTextTests: XCTestCase {
  let image = RGBImage(width: 3, height: 2, fill: (10, 20, 30))

  func testWrittenChunksReadBack() throws {
    let pairs = [
      ("Software", "facesh"), ("facesh:latent", "0.1,-2.5e-07,3"),
      ("facesh:statement", "demo.face:4: save(mean() with { pc[1] = 2σ }, \"a.png\")"),
    ]
    let bytes = try ImageIO.encodePNG(image, text: pairs)
    let read = PNGText.chunks(in: bytes)
    XCTAssertEqual(read.map(\.key), pairs.map(\.0))
    XCTAssertEqual(read.map(\.value), pairs.map(\.1), "the σ value comes back from an iTXt chunk")

    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/face.png"
    try ImageIO.writePNG(image, to: path, text: pairs)
    let loaded = try PNGText.readImage(path: path)
    XCTAssertEqual(loaded.image, image)
    XCTAssertEqual(loaded.text.map(\.value), pairs.map(\.1))
  }

  func testDamagedChunksAreSkipped() throws {
    var bytes = try ImageIO.encodePNG(image, text: [("first", "one"), ("second", "two")])
    // Break the first text chunk's checksum: its data follows the IHDR chunk (8 + 25 bytes).
    let firstText = 8 + 25
    XCTAssertEqual(String(decoding: bytes[(firstText + 4)..<(firstText + 8)], as: UTF8.self), "tEXt")
    bytes[firstText + 8] ^= 0xFF
    XCTAssertEqual(PNGText.chunks(in: bytes).map(\.key), ["second"])

    // A file cut inside a chunk gives the chunks before the cut and no crash.
    let whole = try ImageIO.encodePNG(image, text: [("first", "one"), ("second", "two")])
    for length in [0, 7, 8, 20, firstText + 10, firstText + 20, whole.count - 13] {
      _ = PNGText.chunks(in: Array(whole.prefix(length)))
    }
    XCTAssertEqual(PNGText.chunks(in: Array(whole.prefix(firstText + 30))).count, 1)
  }

  /// A text chunk of tens of megabytes is skipped unread, not decoded for seconds; the small
  /// chunks around it still come back.
  func testHugeTextChunkIsSkipped() throws {
    let huge = String(repeating: "1,", count: PNGText.largestTextChunk / 2 + 1)
    let bytes = try ImageIO.encodePNG(
      image, text: [("before", "one"), ("facesh:latent", huge), ("after", "two")])
    XCTAssertGreaterThan(bytes.count, PNGText.largestTextChunk)
    XCTAssertEqual(PNGText.chunks(in: bytes).map(\.key), ["before", "after"])

    let limit = String(repeating: "x", count: PNGText.largestTextChunk - 6)
    let fitting = try ImageIO.encodePNG(image, text: [("limit", limit)])
    XCTAssertEqual(PNGText.chunks(in: fitting).map(\.value), [limit])
  }

  func testPipesAndDevicesAreRejectedWithoutWaiting() throws {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let fifo = folder + "/pipe.png"
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    // Opening a FIFO for reading blocks until a writer comes, unless it is opened
    // without blocking; this test would hang on a reader that blocks.
    XCTAssertThrowsError(try ImageIO.read(path: fifo)) { error in
      XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
      XCTAssertTrue("\(error)".contains(fifo), "\(error)")
    }
    XCTAssertThrowsError(try PNGText.readImage(path: "/dev/zero")) { error in
      XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
    }
  }

  func testOtherFilesHaveNoText() throws {
    XCTAssertTrue(PNGText.chunks(in: []).isEmpty)
    XCTAssertTrue(PNGText.chunks(in: Array("not a png at all".utf8)).isEmpty)
    XCTAssertTrue(PNGText.chunks(in: try ImageIO.encodePNG(image)).isEmpty)
  }

  func testReadingABadFileNamesIt() throws {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/notes.png"
    try Data("just text".utf8).write(to: URL(fileURLWithPath: path))
    XCTAssertThrowsError(try PNGText.readImage(path: path)) { error in
      XCTAssertTrue("\(error)".contains(path), "\(error)")
    }
    XCTAssertThrowsError(try PNGText.readImage(path: folder + "/missing.jpg")) { error in
      XCTAssertTrue("\(error)".contains("missing.jpg"), "\(error)")
    }
  }
}
