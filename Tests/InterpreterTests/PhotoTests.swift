import FaceRuntime
import Foundation
import Interpreter
import XCTest

/// fit, psnr, nearest, distance and typical, and the text chunks that let a saved PNG be
/// restored exactly.
final class PhotoTests: XCTestCase {
  var folder = ""

  override func setUp() { folder = makeTemporaryFolder() }
  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func run(_ source: String, model: FaceModel = testModel) throws -> ([String], Recorder) {
    let (interpreter, recorder) = makeInterpreter(
      model: model, options: Interpreter.Options(outputFolder: folder, inputFolder: folder))
    try interpreter.evaluate(source, chunkName: "photo.face")
    return (recorder.lines, recorder)
  }

  func testSavedFaceIsRestoredBitForBit() throws {
    let source = """
      let f = random(3) with { pc[1] = 1.7σ, pc[2] = -0.3σ }
      save(f, "f.png")
      let g = fit("f.png")
      print(g == f)
      print(latent(g) == latent(f))
      """
    let (lines, recorder) = try run(source)
    XCTAssertEqual(lines, ["true", "true"])
    XCTAssertTrue(recorder.progress.isEmpty, "a restored face is not fitted")
    XCTAssertTrue(recorder.warnings.isEmpty)

    let text = try PNGText.readImage(path: folder + "/f.png").text
    let chunks = Dictionary(text, uniquingKeysWith: { a, _ in a })
    XCTAssertEqual(chunks["facesh:model-hash"], testModel.contentHash)
    XCTAssertEqual(chunks["facesh:statement"], "photo.face:2: save(f, \"f.png\")")
    XCTAssertEqual(chunks["facesh:latent"]?.split(separator: ",").count, 8)
  }

  func testStatementOfAMultiLineCallIsOneLine() throws {
    _ = try run(
      """
      for k in 1 to 1 {
        save(mean() with {
          pc[1] = 2σ
        }, "m.png")
      }
      """)
    let text = try PNGText.readImage(path: folder + "/m.png").text
    let chunks = Dictionary(text, uniquingKeysWith: { a, _ in a })
    XCTAssertEqual(
      chunks["facesh:statement"], "photo.face:2: save(mean() with { pc[1] = 2σ }, \"m.png\")")
  }

  func testPNGOfAnotherModelIsFittedWithAWarning() throws {
    _ = try run("save(random(5), \"other.png\")")
    let other = FaceModel.makeRandom(latentSize: 8, trainingFaces: 20, seed: 99)
    let (lines, recorder) = try run(
      """
      let g = fit("other.png", 10)
      print(type(g))
      """, model: other)
    XCTAssertEqual(lines, ["face"])
    XCTAssertEqual(recorder.warnings.count, 1)
    XCTAssertTrue(recorder.warnings[0].contains("'\(folder)/other.png' was saved with another model"), recorder.warnings[0])
    XCTAssertTrue(recorder.warnings[0].contains(testModel.contentHash))
    XCTAssertEqual(recorder.progress.last?.finished, true)
  }

  func testPhotoIsFittedWithProgress() throws {
    // A face the model decoded, written without facesh's chunks, is a plain photo.
    let target = testModel.decode(testModel.pca.randomLatent(seed: 12))
    try ImageIO.writePNG(target, to: folder + "/plain.png")
    let (lines, recorder) = try run(
      """
      let g = fit("plain.png", 150)
      print(psnr(g, "plain.png") > psnr(mean(), "plain.png") + 5)
      print(psnr(g, "plain.png") > 30)
      """)
    XCTAssertEqual(lines, ["true", "true"])
    let reports = recorder.progress
    XCTAssertEqual(reports.filter { !$0.finished }.map(\.done), Array(1...150))
    XCTAssertEqual(reports.last?.finished, true)
    XCTAssertTrue(reports.last!.detail.contains("dB PSNR"), reports.last!.detail)
    XCTAssertEqual(reports.last?.task, "fit '\(folder)/plain.png'")
  }

  func testFittingTheSamePhotoTwiceGivesTheSameFace() throws {
    let target = testModel.decode(testModel.pca.randomLatent(seed: 4))
    try ImageIO.writePNG(target, to: folder + "/same.png")
    let (lines, _) = try run(
      """
      print(fit("same.png", 30) == fit("same.png", 30))
      """)
    XCTAssertEqual(lines, ["true"])
  }

  func testBadPhotosAreClearErrors() throws {
    try Data("hello".utf8).write(to: URL(fileURLWithPath: folder + "/notes.jpg"))
    try Data().write(to: URL(fileURLWithPath: folder + "/empty.png"))
    var png = try ImageIO.encodePNG(RGBImage(width: 4, height: 4))
    png.removeLast(30)
    try Data(png).write(to: URL(fileURLWithPath: folder + "/cut.png"))
    let options = Interpreter.Options(outputFolder: folder, inputFolder: folder)
    let cases: [(String, [String])] = [
      ("fit(\"notes.jpg\")", ["notes.jpg", "PNG or JPEG"]),
      ("fit(\"empty.png\")", ["empty.png", "empty"]),
      ("fit(\"cut.png\")", ["cut.png", "truncated"]),
      ("fit(\"missing.png\")", ["missing.png", "no such file"]),
      ("fit(\"\")", ["empty; give a photo"]),
      ("fit(3)", ["'path'", "string"]),
      ("fit(\"cut.png\", -1)", ["'steps'"]),
      ("fit(\"../outside.png\")", ["leaves the input folder"]),
      ("fit(\"/etc/hostname\")", ["absolute path", "inside the input folder"]),
      ("psnr(mean(), \"missing.png\")", ["missing.png"]),
      ("nearest(mean(), 0)", ["'count'"]),
      ("nearest(3)", ["'face'"]),
      ("distance(mean(), 2)", ["'b'"]),
    ]
    for (source, fragments) in cases {
      let error = failure(source, options: options)
      let text = error.map { "\($0)" } ?? ""
      XCTAssertEqual(error?.kind, .runtime, source)
      for fragment in fragments {
        XCTAssertTrue(text.contains(fragment), "\(source): \(text)")
      }
    }
  }

  func testCancelStopsAFit() throws {
    let target = testModel.decode(testModel.pca.randomLatent(seed: 5))
    try ImageIO.writePNG(target, to: folder + "/long.png")
    let (interpreter, recorder) = makeInterpreter(
      options: Interpreter.Options(inputFolder: folder))
    recorder.onProgress = { report in
      if report.done == 3 && !report.finished { interpreter.cancel() }
    }
    XCTAssertThrowsError(try interpreter.evaluate("fit(\"long.png\", 100000)")) { error in
      XCTAssertEqual((error as? InterpreterError)?.kind, .cancelled)
    }
    XCTAssertEqual(recorder.progress.last?.finished, true)
    XCTAssertLessThan(recorder.progress.count, 10)
  }

  func testNearestReturnsFacesIndicesAndDistances() {
    XCTAssertEqual(
      printed(
        """
        let found = nearest(training(4), 3)
        print(len(found), found[0][1], found[0][2] < 1e-4, found[0][0] == training(4))
        print(found[1][2] <= found[2][2], abs(found[1][2] - distance(training(4), training(found[1][1]))) < 1e-4)
        print(len(nearest(mean())))
        """),
      ["3 4 true true", "true true", "5"])
  }

  func testDistanceAndTypical() {
    XCTAssertEqual(
      printed(
        """
        print(distance(mean()) < 1e-6, distance(random(2), random(2)))
        let far = mean() with { pc[1] = 3σ, pc[2] = 4σ }
        print(round(distance(far) * 1000) / 1000)
        print(typical(mean()), typical(mean() with { pc[1] = 60σ }))
        """),
      ["true 0", "5", "true false"])
  }
}
