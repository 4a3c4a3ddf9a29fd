import FaceRuntime
import Foundation
import XCTest

/// Runs the built `facesh` binary as a child process.
enum Facesh {
  /// The executable under test: `$FACESH_BINARY`, else `facesh` in the folder of the test
  /// bundle, which is where SwiftPM puts both.
  static let binary: String = {
    if let path = ProcessInfo.processInfo.environment["FACESH_BINARY"] { return path }
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var folder = testBinary.deletingLastPathComponent()
    // On Linux the tests run from `<build>/debug/faceshPackageTests.xctest`.
    if folder.path.hasSuffix(".xctest") { folder = folder.deletingLastPathComponent() }
    return folder.appendingPathComponent("facesh").path
  }()

  /// What a finished run wrote and how it exited.
  struct Run {
    let status: Int32
    let output: String
    let error: String
  }

  /// Returns the environment for a child: the test process's own, without the variables that would
  /// choose a model or a history file, plus `extra`.
  static func environment(_ extra: [String: String] = [:]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    for name in ["FACESH_MODEL", "XDG_STATE_HOME", "KITTY_WINDOW_ID", "ITERM_SESSION_ID"] {
      environment[name] = nil
    }
    environment.merge(extra) { _, new in new }
    return environment
  }

  /// Runs facesh with standard output and error captured to files, failing the test after
  /// `timeout` seconds.
  ///
  /// - Parameters:
  ///   - input: text for standard input; nil gives an empty input.
  ///   - executable: another path to run, such as a linked copy of the binary.
  static func run(
    _ arguments: [String], input: String? = nil, environment extra: [String: String] = [:],
    directory: String? = nil, executable: String? = nil, timeout: TimeInterval = 120
  ) throws -> Run {
    let scratch = try TemporaryFolder()
    let outputPath = scratch.path + "/stdout"
    let errorPath = scratch.path + "/stderr"
    let inputPath = scratch.path + "/stdin"
    for (path, contents) in [(outputPath, ""), (errorPath, ""), (inputPath, input ?? "")] {
      guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)) else {
        throw NSError(domain: "Facesh.run", code: 1, userInfo: [NSFilePathErrorKey: path])
      }
    }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable ?? binary)
    process.arguments = arguments
    process.environment = environment(extra)
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.standardInput = FileHandle(forReadingAtPath: inputPath)
    process.standardOutput = FileHandle(forWritingAtPath: outputPath)
    process.standardError = FileHandle(forWritingAtPath: errorPath)
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
      XCTFail("facesh \(arguments.joined(separator: " ")) ran longer than \(timeout) s")
    }
    let output = String(
      decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
    let error = String(
      decoding: FileManager.default.contents(atPath: errorPath) ?? Data(), as: UTF8.self)
    return Run(status: process.terminationStatus, output: output, error: error)
  }
}

/// A folder under the system's temporary folder, removed with its contents on deinit.
final class TemporaryFolder {
  let path: String

  init() throws {
    let pattern = (NSTemporaryDirectory() as NSString).appendingPathComponent("facesh-tests-XXXXXX")
    var template = Array(pattern.utf8CString)
    guard let made = mkdtemp(&template) else {
      throw NSError(domain: "TemporaryFolder", code: Int(errno))
    }
    path = String(cString: made)
  }

  deinit {
    try? FileManager.default.removeItem(atPath: path)
  }
}

/// Small random models for the tests, written once per test process. The tests never need
/// the real default model.
enum TestModels {
  /// Faces are 16×16 pixels.
  static let imageSize = 16
  /// 16 latent values, so the examples' sweep of 9 axes and named axes up to pc[9] exist.
  static let latentSize = 16

  /// The folder of the models, removed when the test process exits, because static
  /// properties are never deinitialized.
  private static let folder: TemporaryFolder = {
    let folder = try! TemporaryFolder()
    atexit { try? FileManager.default.removeItem(atPath: TestModels.folder.path) }
    return folder
  }()

  /// A model with 16 latent values and 32 training faces.
  static let standard: String = {
    let path = folder.path + "/standard.safetensors"
    let model = FaceModel.makeRandom(
      latentSize: latentSize, trainingFaces: 32, imageWidth: imageSize, imageHeight: imageSize,
      seed: 5)
    try! model.write(to: path)
    return path
  }()
}

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path
