import FaceRuntime
import Foundation
import Interpreter
import XCTest

/// Reads the `tEXt` chunks of a PNG file as key and value pairs.
func pngTextChunks(atPath path: String) throws -> [String: String] {
  let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
  var chunks: [String: String] = [:]
  var offset = 8
  while offset + 8 <= bytes.count {
    let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
    let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
    let data = Array(bytes[offset + 8..<offset + 8 + length])
    if type == "tEXt", let separator = data.firstIndex(of: 0) {
      let key = String(decoding: data[..<separator], as: UTF8.self)
      chunks[key] = String(decoding: data[(separator + 1)...], as: UTF8.self)
    }
    offset += 12 + length
  }
  return chunks
}

final class OutputTests: XCTestCase {
  var folder = ""

  override func setUp() {
    folder = makeTemporaryFolder()
  }

  override func tearDown() {
    try? FileManager.default.removeItem(atPath: folder)
  }

  func run(_ source: String) throws -> Recorder {
    let (interpreter, recorder) = makeInterpreter(options: .init(outputFolder: folder))
    try interpreter.evaluate(source, chunkName: "out.face")
    return recorder
  }

  /// A face outside the training faces' region is saved with one warning that names the
  /// file and the axis. Later such saves stay quiet, and typical faces never warn.
  func testSavingAnAtypicalFaceWarnsOnce() throws {
    let typical = try run("save(mean(), \"mean.png\")\nsave(training(0), \"zero.png\")")
    XCTAssertEqual(typical.warnings, [])

    let recorder = try run(
      "let f = mean()\nf.pc[2] = 40σ\nsave(f, \"far.png\")\nf.pc[3] = -50σ\n"
        + "save(f, \"further.png\")")
    XCTAssertEqual(recorder.saved.count, 2)
    XCTAssertEqual(recorder.warnings.count, 1, "\(recorder.warnings)")
    let warning = recorder.warnings.first ?? ""
    XCTAssertTrue(warning.hasPrefix("saving '"), warning)
    XCTAssertTrue(warning.contains("far.png': this face leaves the region"), warning)
    XCTAssertTrue(warning.contains("pc[2] is +40"), warning)
    XCTAssertTrue(warning.contains("Later saves of faces outside the region"), warning)
  }

  func testSaveWritesDecodedFaceWithMetadata() throws {
    let recorder = try run("let f = random(4)\nsave(f, \"face.png\")")
    let path = folder + "/face.png"
    XCTAssertEqual(recorder.saved, [path])
    let latent = testModel.pca.randomLatent(seed: 4)
    XCTAssertEqual(try ImageIO.read(path: path), testModel.decode(latent))
    let text = try pngTextChunks(atPath: path)
    XCTAssertEqual(text["Software"], "facesh")
    XCTAssertEqual(text["facesh:model-hash"], testModel.contentHash)
    let stored = text["facesh:latent"]?.split(separator: ",").map { Float(String($0))! }
    XCTAssertEqual(stored, latent)
  }

  func testSweepWritesLabelledStrip() throws {
    let recorder = try run("let f = random(4)\nsweep(f, 1, -2σ to 2σ step 2σ, \"sweep.png\")")
    XCTAssertEqual(recorder.saved, [folder + "/sweep.png"])
    var images: [RGBImage] = []
    let basis = testModel.pca
    var coordinates = basis.projections(of: basis.randomLatent(seed: 4))
    for amount: Float in [-2, 0, 2] {
      coordinates[0] = amount * basis.sigma[0]
      images.append(testModel.decode(basis.latent(fromProjections: coordinates)))
    }
    let expected = ContactSheet.render(
      images, columns: 3, labels: ["pc1 \u{2212}2σ", "pc1 0σ", "pc1 +2σ"])
    let written = try ImageIO.read(path: folder + "/sweep.png")
    XCTAssertEqual(written.width, expected.width)
    XCTAssertEqual(written.height, expected.height)
    let differences = zip(written.pixels, expected.pixels).filter { abs(Int($0) - Int($1)) > 2 }
    XCTAssertLessThan(differences.count, written.pixels.count / 100)
  }

  func testSweepUsesAxisNamesInLabels() throws {
    // "joy +1σ" and "pc2 +1σ" are equally long, so the strips have one size.
    let named = try run("axis joy = pc[2]\nsweep(random(1), joy, [1σ], \"a.png\")")
    let numbered = try run("sweep(random(1), 2, [1σ], \"b.png\")")
    XCTAssertEqual(named.saved.count, 1)
    XCTAssertEqual(numbered.saved.count, 1)
    let a = try ImageIO.read(path: folder + "/a.png")
    let b = try ImageIO.read(path: folder + "/b.png")
    XCTAssertEqual(a.width, b.width)
    XCTAssertNotEqual(a.pixels, b.pixels, "the labels differ, so the strips must differ")
  }

  func testMorphWritesFramesAndGIF() throws {
    let recorder = try run(
      "let n = morph([random(1), random(2), random(3)], 4, \"frames/morph\")\nprint(n)")
    XCTAssertEqual(recorder.lines, ["9"])
    let names = (0..<9).map { folder + "/frames/morph-\($0).png" }
    XCTAssertEqual(recorder.saved, names + [folder + "/frames/morph.gif"])
    let first = try ImageIO.read(path: names[0])
    let last = try ImageIO.read(path: names[8])
    XCTAssertEqual(first, testModel.decode(testModel.pca.randomLatent(seed: 1)))
    XCTAssertEqual(last, testModel.decode(testModel.pca.randomLatent(seed: 3)))
    let keyframe = try ImageIO.read(path: names[4])
    XCTAssertEqual(keyframe, testModel.decode(testModel.pca.randomLatent(seed: 2)))
    let gif = try Data(contentsOf: URL(fileURLWithPath: folder + "/frames/morph.gif"))
    XCTAssertEqual(String(decoding: gif.prefix(6), as: UTF8.self), "GIF89a")
  }

  func testMorphWarnsAboutBlankFrames() throws {
    // Two faces far out at right angles: the arc between them bulges past the largest Float
    // on latent value 0, so the middle frame has infinite coordinates.
    let (interpreter, recorder) = makeInterpreter(options: .init(outputFolder: folder))
    let size: Float = 2.45e38
    var a = testModel.pca.mean
    var b = a
    a[0] += size
    a[1] += size
    b[0] += size
    b[1] -= size
    let faces = [try interpreter.makeFace(latent: a), try interpreter.makeFace(latent: b)]
    interpreter.register("far", arity: 0...0) { _ in .list(faces.map { .face($0) }) }
    try interpreter.evaluate("morph(far(), 2, \"m\")\ngrid(far(), 2, \"g.png\")")
    XCTAssertEqual(
      recorder.warnings,
      [
        "the morph frame 'm-1.png' has NaN or infinite coordinates, so it is blank; the "
          + "keyframes are too far from the mean face to blend"
      ])
    XCTAssertEqual(recorder.saved.count, 5)
  }

  func testGridWritesSheet() throws {
    let recorder = try run(
      "grid([random(1), random(2), mean()], 2, \"grid.png\", [\"a\", \"b\", \"mean\"])")
    XCTAssertEqual(recorder.saved, [folder + "/grid.png"])
    let images =
      [1, 2].map { testModel.decode(testModel.pca.randomLatent(seed: $0)) }
      + [testModel.decode(testModel.pca.mean)]
    let expected = ContactSheet.render(images, columns: 2, labels: ["a", "b", "mean"])
    let written = try ImageIO.read(path: folder + "/grid.png")
    XCTAssertEqual(written.width, expected.width)
    XCTAssertEqual(written.height, expected.height)
  }

  func testWritesOutsideTheOutputFolderAreRejected() {
    let options = Interpreter.Options(outputFolder: folder)
    let cases: [(String, String)] = [
      (
        "/tmp/x.png",
        "absolute path '/tmp/x.png' is not allowed; write a path inside the output folder "
          + "'\(folder)', such as 'face.png'"
      ),
      ("../x.png", "path '../x.png' leaves the output folder '\(folder)'; write a path inside it"),
      (
        "a/../../x.png",
        "path 'a/../../x.png' leaves the output folder '\(folder)'; write a path inside it"
      ),
      (
        "face.jpg", "save(face, path) writes a PNG file; end the path with '.png', as in 'face.png'"
      ),
    ]
    for (path, message) in cases {
      let error = failure("save(random(1), \"\(path)\")", options: options)
      XCTAssertEqual(error?.kind, .runtime, path)
      XCTAssertEqual(error?.message, message, path)
    }
  }

  func testSavingOverAFolderNamesThePathOnce() throws {
    try FileManager.default.createDirectory(
      atPath: folder + "/taken.png", withIntermediateDirectories: false)
    let error = failure("save(mean(), \"taken.png\")", options: .init(outputFolder: folder))
    XCTAssertEqual(error?.kind, .runtime)
    XCTAssertEqual(
      error?.message,
      "cannot write '\(folder)/taken.png': a folder of that name is in the way; remove or "
        + "rename it, or choose another path")
  }

  func testSubfolderThroughFileIsNamed() throws {
    try "x".write(toFile: folder + "/afile", atomically: true, encoding: .utf8)
    let (interpreter, _) = makeInterpreter(options: .init(outputFolder: folder))
    let source = "save(random(1), \"afile/b/a.png\")"
    XCTAssertThrowsError(try interpreter.evaluate(source)) { error in
      XCTAssertEqual(
        (error as? InterpreterError)?.message,
        "cannot create the folder '\(folder)/afile/b': '\(folder)/afile' is a file, not a "
          + "folder; write to another path or move that file away")
    }
  }

  func testSubfoldersInsideTheOutputFolderAreCreated() throws {
    let recorder = try run("save(mean(), \"a/./b/../c/face.png\")")
    XCTAssertEqual(recorder.saved, [folder + "/a/c/face.png"])
    XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/a/c/face.png"))
  }

  func testOutputLimits() {
    XCTAssertEqual(
      failure("morph([random(1), random(2)], 1000, \"m\")", options: .init(outputFolder: folder))?
        .message,
      "morph(keyframes, steps, prefix, delay) would write 1001 frames, more than the limit of "
        + "1000; use fewer steps or keyframes")
    XCTAssertEqual(
      failure("sweep(random(1), 1, [1, 2], \"s.png\")", options: .init(outputFolder: folder))?
        .message,
      "'values' in sweep(face, axis, values, path) must be finite σ values such as -2σ to 2σ, "
        + "but element 0 is a number")
  }
}
