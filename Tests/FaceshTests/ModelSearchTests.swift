import Foundation
import XCTest

/// Finding the default model without configuration. Each test runs a hard link (or a copy)
/// of the binary from a folder layout of its own, because the search starts at the
/// executable's own path.
final class ModelSearchTests: XCTestCase {
  /// Puts the binary at `relativePath` inside `folder` and returns its path.
  func placeBinary(in folder: String, at relativePath: String) throws -> String {
    let path = folder + "/" + relativePath
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    if link(Facesh.binary, path) != 0 {
      try FileManager.default.copyItem(atPath: Facesh.binary, toPath: path)
    }
    return path
  }

  func placeModel(in folder: String, at relativePath: String) throws {
    let path = folder + "/" + relativePath
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: TestModels.standard, toPath: path)
  }

  func testFindsModelAbovePackageBuild() throws {
    let root = try TemporaryFolder()
    let binary = try placeBinary(in: root.path, at: "package/.build/release/facesh")
    try placeModel(in: root.path, at: "package/models/default.safetensors")
    let result = try Facesh.run(["info"], directory: root.path, executable: binary)
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertTrue(result.output.contains("package/models/default.safetensors"), result.output)
  }

  func testFindsModelUnderPrefixShare() throws {
    let root = try TemporaryFolder()
    let binary = try placeBinary(in: root.path, at: "prefix/bin/facesh")
    try placeModel(in: root.path, at: "prefix/share/facesh/default.safetensors")
    let result = try Facesh.run(
      ["-e", "print(\"found\")"], directory: root.path, executable: binary)
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertEqual(result.output, "found\n")
  }

  func testFindsModelInCurrentDirectory() throws {
    let root = try TemporaryFolder()
    let binary = try placeBinary(in: root.path, at: "bin/facesh")
    try placeModel(in: root.path, at: "work/models/default.safetensors")
    let result = try Facesh.run(
      ["info"], directory: root.path + "/work", executable: binary)
    XCTAssertEqual(result.status, 0, result.error)
  }

  func testEnvironmentVariableChoosesModel() throws {
    let root = try TemporaryFolder()
    let binary = try placeBinary(in: root.path, at: "bin/facesh")
    let result = try Facesh.run(
      ["-e", "print(\"ok\")"], environment: ["FACESH_MODEL": TestModels.standard],
      directory: root.path, executable: binary)
    XCTAssertEqual(result.status, 0, result.error)
  }

  func testMissingModelListsPlacesSearched() throws {
    let root = try TemporaryFolder()
    let binary = try placeBinary(in: root.path, at: "prefix/bin/facesh")
    let result = try Facesh.run(["-e", "print(1)"], directory: root.path, executable: binary)
    XCTAssertEqual(result.status, 66)
    XCTAssertTrue(result.error.contains("no model found; searched:"), result.error)
    XCTAssertTrue(result.error.contains(root.path + "/prefix/bin/models/default.safetensors"))
    XCTAssertTrue(result.error.contains(root.path + "/prefix/share/facesh/default.safetensors"))
    XCTAssertTrue(result.error.contains("--model PATH"), result.error)
  }
}
