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
    XCTAssertEqual(recorder.progress.map(\.done), [0], "a restored face is not fitted")
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

  func testFitIsDeterministic() throws {
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

  func testRestoreIsNotedAsExact() throws {
    let (_, recorder) = try run("save(random(8), \"r.png\")\nfit(\"r.png\")")
    XCTAssertEqual(recorder.progress.count, 1)
    XCTAssertEqual(recorder.progress[0].detail, "restored the face saved in it, exactly")
    XCTAssertTrue(recorder.progress[0].finished)
  }

  func testFitFindsOutputFolderFile() throws {
    // No input folder: photos are read relative to the current folder, and a name that is
    // only in the output folder is read from there.
    let (interpreter, recorder) = makeInterpreter(
      options: Interpreter.Options(outputFolder: folder))
    try interpreter.evaluate(
      """
      let f = random(6)
      save(f, "found-\(UUID().uuidString).png")
      """)
    let name = try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasPrefix("found-") }!
    XCTAssertFalse(FileManager.default.fileExists(atPath: name), "the name is not in the current folder")
    try interpreter.evaluate("print(fit(\"\(name)\") == f)")
    XCTAssertEqual(recorder.lines, ["true"])
  }

  func testMissingRelativePhotoNamesTheFolderSearched() {
    let error = failure("fit(\"surely-not-here-\(UUID().uuidString).jpg\")")
    let text = error.map { "\($0)" } ?? ""
    XCTAssertTrue(text.contains("in \(FileManager.default.currentDirectoryPath)"), text)
  }

  func testEditedPixelsAreFittedWithAWarning() throws {
    _ = try run("let f = random(9)\nsave(f, \"f.png\")")
    let saved = try PNGText.readImage(path: folder + "/f.png")
    var edited = saved.image
    for i in stride(from: 0, to: edited.pixels.count, by: 3) { edited.pixels[i] = 255 - edited.pixels[i] }
    try ImageIO.writePNG(edited, to: folder + "/edited.png", text: saved.text)
    let (lines, recorder) = try run(
      """
      let f = random(9)
      print(fit("edited.png", 5) == f)
      """)
    XCTAssertEqual(lines, ["false"])
    XCTAssertEqual(recorder.warnings.count, 1)
    XCTAssertTrue(recorder.warnings[0].contains("its pixels differ from that face"), recorder.warnings[0])
  }

  func testUnusableLatentChunksAreExplained() throws {
    let image = testModel.decode(testModel.pca.mean)
    let hash = testModel.contentHash
    func values(_ first: [String], _ last: [String] = []) -> String {
      (first + Array(repeating: "0", count: 8 - first.count - last.count) + last)
        .joined(separator: ",")
    }
    let cases: [(String, String)] = [
      ("1,2,3", "it has 3 values and this model needs 8"),
      (values(["nan"]), "value 1 is nan, not a finite number"),
      (values(["0", "abc"]), "value 2, 'abc', is not a number"),
      (values(["0x1p-1"]), "value 1, '0x1p-1', is not a number"),
      (values([], ["1e39"]), "value 8 is 1e39, not a finite number"),
      ("hello world", "it is not a comma-separated list of numbers"),
    ]
    for (index, (latent, reason)) in cases.enumerated() {
      try ImageIO.writePNG(
        image, to: folder + "/bad\(index).png",
        text: [("facesh:model-hash", hash), ("facesh:latent", latent)])
      let (lines, recorder) = try run("print(type(fit(\"bad\(index).png\", 3)))")
      XCTAssertEqual(lines, ["face"])
      XCTAssertEqual(recorder.warnings.count, 1, latent)
      XCTAssertTrue(recorder.warnings.first?.contains(reason) ?? false, "\(latent): \(recorder.warnings)")
    }
  }

  func testMissingLatentChunkIsNotCalledASheet() throws {
    let image = testModel.decode(testModel.pca.mean)
    try ImageIO.writePNG(
      image, to: folder + "/nolatent.png", text: [("facesh:model-hash", testModel.contentHash)])
    let (_, recorder) = try run("fit(\"nolatent.png\", 3)")
    XCTAssertEqual(recorder.warnings.count, 1)
    XCTAssertTrue(
      recorder.warnings[0].contains("its facesh:latent chunk is missing or damaged"),
      recorder.warnings[0])
  }

  func testNonFiniteFacesNeverReachSave() throws {
    XCTAssertThrowsError(try run("save(mean() + (random(1) - random(2)) * 1e300, \"inf.png\")"))
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/inf.png"))
  }

  func testSheetsAndSmallPhotosAreFittedWithWarnings() throws {
    _ = try run("sweep(random(2), 1, [-1σ, 1σ], \"sheet.png\")")
    try ImageIO.writePNG(RGBImage(width: 2, height: 2, fill: (90, 60, 30)), to: folder + "/tiny.png")
    let (_, recorder) = try run("fit(\"sheet.png\", 3)\nfit(\"tiny.png\", 3)")
    XCTAssertEqual(recorder.warnings.count, 2)
    XCTAssertTrue(recorder.warnings[0].contains("is a sheet of 2 faces"), recorder.warnings[0])
    XCTAssertTrue(recorder.warnings[1].contains("only 2×2 pixels, smaller than the model's 16×16"), recorder.warnings[1])
  }

  func testNarrowPhotoWarningNamesSide() throws {
    let wide = RGBImage(width: 400, height: 4, fill: (90, 60, 30))
    let tall = RGBImage(width: 4, height: 400, fill: (90, 60, 30))
    try ImageIO.writePNG(wide, to: folder + "/wide.png")
    try ImageIO.writePNG(tall, to: folder + "/tall.png")
    let (_, recorder) = try run("fit(\"wide.png\", 1)\nfit(\"tall.png\", 1)")
    let enlarged = "; it is enlarged, so the fit matches a blurred picture"
    XCTAssertEqual(
      recorder.warnings,
      [
        "'\(folder)/wide.png' is only 4 pixels high (400×4), less than the model's height of 16"
          + enlarged,
        "'\(folder)/tall.png' is only 4 pixels wide (4×400), less than the model's width of 16"
          + enlarged,
      ])
  }

  func testNearestReturnsFacesIndicesAndDistances() {
    XCTAssertEqual(
      printed(
        """
        let found = nearest(training(4), 3)
        print(len(found), found[0][1], found[0][2], found[0][0] == training(4))
        print(found[1][2] <= found[2][2], found[1][2] == distance(training(4), training(found[1][1])))
        print(len(nearest(mean())))
        """),
      ["3 4 0 true", "true true", "5"])
  }

  func testDistanceAndTypical() {
    XCTAssertEqual(
      printed(
        """
        print(distance(mean()) < 1e-6, distance(random(2), random(2)))
        let far = mean() with { pc[1] = 3σ, pc[2] = 4σ }
        print(round(distance(far) * 1000) / 1000)
        print(typical(mean()), typical(mean() with { pc[1] = 60σ }))
        print(typical(mean() + (random(1) - random(2)) * 1e37))
        """),
      ["true 0", "5", "true false", "false"])
  }
}
