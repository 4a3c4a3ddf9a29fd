import FaceRuntime
import Foundation
import XCTest

/// fit and the typicality warning, run through the facesh command.
final class PhotoCommandTests: XCTestCase {
  func testScriptFitReportsPSNRAndWarnsAboutAnotherModel() throws {
    let folder = try TemporaryFolder()
    let image = RGBImage(width: 20, height: 20, fill: (200, 120, 90))
    try ImageIO.writePNG(image, to: folder.path + "/plain.png")
    let latent = Array(repeating: "0.5", count: TestModels.latentSize).joined(separator: ",")
    try ImageIO.writePNG(
      image, to: folder.path + "/foreign.png",
      text: [("facesh:model-hash", "0123456789abcdef"), ("facesh:latent", latent)])
    // Photos are read relative to the current folder, not the output folder.
    let script = """
      let a = fit("\(folder.path)/plain.png", 20)
      let b = fit("\(folder.path)/foreign.png", 20)
      print(type(a), type(b))
      """
    let result = try Facesh.run(
      ["--model", TestModels.standard, "-o", folder.path, "--verbose", "-e", script])
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertEqual(result.output, "face face\n")
    XCTAssertTrue(
      result.error.contains("warning: '\(folder.path)/foreign.png' was saved with another model (hash 0123456789abcdef"),
      result.error)
    XCTAssertTrue(result.error.contains("/plain.png': "), result.error)
    XCTAssertTrue(result.error.contains("dB PSNR in"), result.error)
    XCTAssertFalse(result.error.contains("\u{1B}"), "no progress bar without a terminal")

    let quiet = try Facesh.run(["--model", TestModels.standard, "-o", folder.path, "-e", script])
    XCTAssertEqual(quiet.status, 0)
    XCTAssertFalse(quiet.error.contains("dB PSNR"), "scripts note results only with --verbose")
    XCTAssertTrue(quiet.error.contains("warning:"), "warnings always show")
  }

  func testFitOfAMissingPhotoNamesIt() throws {
    let folder = try TemporaryFolder()
    let result = try Facesh.run(
      ["--model", TestModels.standard, "-o", folder.path, "-e", "fit(\"nobody.jpg\")"])
    XCTAssertEqual(result.status, 70)
    XCTAssertTrue(result.error.contains("nobody.jpg"), result.error)
    XCTAssertTrue(result.error.contains("give the path of a PNG or JPEG photo"), result.error)
  }
}
