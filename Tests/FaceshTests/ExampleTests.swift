import FaceRuntime
import Foundation
import XCTest

/// Runs every script in examples/ with a small random model and checks the images it writes.
final class ExampleTests: XCTestCase {
  let size = TestModels.imageSize

  /// Runs an example into a new output folder, failing unless it exits with 0.
  func runExample(_ name: String, arguments: [String] = []) throws -> TemporaryFolder {
    let output = try TemporaryFolder()
    let script = repositoryRoot + "/examples/" + name
    let run = try Facesh.run(
      ["--model", TestModels.standard, "-o", output.path] + arguments + [script],
      directory: repositoryRoot)
    XCTAssertEqual(run.status, 0, "\(name) failed:\n\(run.error)")
    // The test model's 32 training faces cover a narrower region than the default model's
    // 22,707, so a save may warn that a face leaves it. Nothing else may be printed.
    let otherLines = run.error.split(separator: "\n").filter {
      !$0.contains("leaves the region the training faces cover")
    }
    XCTAssertEqual(otherLines, [], name)
    return output
  }

  /// Reads a PNG the example wrote and checks its size.
  func assertImage(
    _ path: String, width: Int, height: Int, file: StaticString = #filePath, line: UInt = #line
  ) {
    do {
      let image = try ImageIO.read(path: path)
      XCTAssertEqual(image.width, width, "width of \(path)", file: file, line: line)
      XCTAssertEqual(image.height, height, "height of \(path)", file: file, line: line)
    } catch {
      XCTFail("cannot read \(path): \(error)", file: file, line: line)
    }
  }

  /// Computes the size of a contact sheet of `count` faces with ContactSheet itself.
  /// Returns the size of a sheet of `count` faces, labelled with `labels` (short ones when
  /// `labelled` is set and no labels are given); long labels widen the cells.
  func sheetSize(count: Int, columns: Int, labelled: Bool, labels given: [String]? = nil)
    -> (Int, Int)
  {
    let blank = [RGBImage](repeating: RGBImage(width: size, height: size), count: count)
    let labels = given ?? (labelled ? [String](repeating: "x", count: count) : nil)
    let sheet = ContactSheet.render(blank, columns: columns, labels: labels)
    return (sheet.width, sheet.height)
  }

  func testEveryExampleIsTested() throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/examples")
      .filter { $0.hasSuffix(".face") }.sorted()
    XCTAssertEqual(
      names, [
        "edit-photo.face", "grid.face", "morph.face", "police-sketch.face", "sweep.face",
        "tour.face",
      ])
  }

  func testEditPhoto() throws {
    let output = try runExample("edit-photo.face")
    let (width, height) = sheetSize(
      count: 4, columns: 4, labelled: true, labels: ["fitted", "warmer", "older", "all three"])
    assertImage(output.path + "/edit-photo.png", width: width, height: height)
    let edited = try PNGText.readImage(path: output.path + "/edited.png")
    XCTAssertEqual(edited.image.width, size)
    XCTAssertTrue(edited.text.contains { $0.key == "facesh:latent" }, "the edit can be restored")
  }

  func testTour() throws {
    let output = try runExample("tour.face")
    assertImage(output.path + "/tour-alice.png", width: size, height: size)
    let (width, height) = sheetSize(count: 6, columns: 6, labelled: true)
    assertImage(output.path + "/tour-faces.png", width: width, height: height)
  }

  func testSweep() throws {
    let output = try runExample("sweep.face")
    let (width, height) = sheetSize(count: 63, columns: 7, labelled: true)
    assertImage(output.path + "/sweep.png", width: width, height: height)
    let strip = sheetSize(count: 7, columns: 7, labelled: true)
    assertImage(output.path + "/sweep-pc1.png", width: strip.0, height: strip.1)
  }

  func testMorph() throws {
    let output = try runExample("morph.face")
    let folder = output.path + "/morph"
    // Five keyframes with 8 steps between neighbours: 4 × 8 + 1 frames.
    let frames = try FileManager.default.contentsOfDirectory(atPath: folder)
      .filter { $0.hasSuffix(".png") }.sorted()
    XCTAssertEqual(frames.count, 33)
    XCTAssertEqual(frames.first, "morph-00.png")
    XCTAssertEqual(frames.last, "morph-32.png")
    for frame in frames {
      assertImage(folder + "/" + frame, width: size, height: size)
    }
    let gif = FileManager.default.contents(atPath: folder + "/morph.gif") ?? Data()
    XCTAssertEqual(String(decoding: gif.prefix(6), as: UTF8.self), "GIF89a")
  }

  func testPoliceSketch() throws {
    let output = try runExample("police-sketch.face")
    let (width, height) = sheetSize(
      count: 5, columns: 5, labelled: true,
      labels: ["average", "older man", "grey beard", "smiling", "fair skin"])
    assertImage(output.path + "/police-sketch.png", width: width, height: height)
    assertImage(output.path + "/suspect.png", width: size, height: size)
  }

  func testGrid() throws {
    let output = try runExample("grid.face")
    let (width, height) = sheetSize(count: 64, columns: 8, labelled: true)
    assertImage(output.path + "/grid.png", width: width, height: height)
  }

  func testGridSeedChangesFaces() throws {
    let first = try runExample("grid.face")
    let second = try runExample("grid.face", arguments: ["--seed", "2"])
    let same = try runExample("grid.face")
    let a = try ImageIO.read(path: first.path + "/grid.png")
    let b = try ImageIO.read(path: second.path + "/grid.png")
    let c = try ImageIO.read(path: same.path + "/grid.png")
    XCTAssertNotEqual(a.pixels, b.pixels)
    XCTAssertEqual(a.pixels, c.pixels)
  }
}
