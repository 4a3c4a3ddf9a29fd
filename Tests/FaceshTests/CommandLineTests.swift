import FaceRuntime
import Foundation
import XCTest

/// Runs facesh without a terminal: options, exit statuses, messages and standard input.
final class CommandLineTests: XCTestCase {
  let model = TestModels.standard

  func run(_ arguments: [String], input: String? = nil) throws -> Facesh.Run {
    let output = try TemporaryFolder()
    return try Facesh.run(["--model", model, "-o", output.path] + arguments, input: input)
  }

  func testEvalPrintsOutput() throws {
    let result = try run(["-e", "print(1 + 2, \"{2 * 3}\")"])
    XCTAssertEqual(result.status, 0)
    XCTAssertEqual(result.output, "3 6\n")
    XCTAssertEqual(result.error, "")
  }

  func testStandardInputRunsAsScript() throws {
    let script = "let f = random(1)\nprint(f.pc[1] == f.pc[1])\nshow(f)\nf\nprint(\"done\")\n"
    let result = try run([], input: script)
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertTrue(result.output.hasPrefix("true\nface("), result.output)
    XCTAssertTrue(result.output.hasSuffix("done\n"), result.output)
    XCTAssertFalse(result.output.contains("face>"), "a prompt appeared: \(result.output)")
    XCTAssertFalse(result.output.contains("..."), "a continuation prompt appeared")
    XCTAssertFalse(result.output.contains("\u{1B}"), "an escape code appeared: \(result.output)")
    XCTAssertFalse(result.error.contains("\u{1B}"), "an escape code appeared on stderr")
  }

  func testDashReadsStandardInput() throws {
    let result = try run(["-"], input: "print(\"from stdin\")")
    XCTAssertEqual(result.status, 0)
    XCTAssertEqual(result.output, "from stdin\n")
  }

  func testUsageErrorsExit64() throws {
    let cases: [([String], String)] = [
      (["--bogus"], "unknown option '--bogus'"),
      (["--modle", "x"], "did you mean '--model'?"),
      (["a.face", "b.face"], "only one script can run at a time, but got 2"),
      (["-e", "1", "a.face"], "not both"),
      (["--preview", "holograms"], "unknown preview mode 'holograms'"),
      (["--seed", "minus one"], "--seed needs a whole number"),
      (["--quiet", "--verbose"], "cannot be used together"),
      (["--output"], "needs a value"),
      (["info"], "'info' is a subcommand and must come before any option"),
      (["-q", "train", "photos", "-o", "m.safetensors"], "'train' is a subcommand and must come"),
    ]
    for (arguments, message) in cases {
      let result = try run(arguments)
      XCTAssertEqual(result.status, 64, "\(arguments)")
      XCTAssertTrue(result.error.contains(message), "\(arguments): \(result.error)")
    }
  }

  func testSyntaxErrorExits65WithLocation() throws {
    let folder = try TemporaryFolder()
    let script = folder.path + "/broken.face"
    try "let a = 1\nprint(a +)\n".write(toFile: script, atomically: true, encoding: .utf8)
    let result = try run([script])
    XCTAssertEqual(result.status, 65)
    XCTAssertTrue(result.error.hasPrefix(script + ":2:10: error: "), result.error)
    XCTAssertTrue(result.error.contains("print(a +)\n         ^"), result.error)
    XCTAssertEqual(result.output, "")
  }

  func testRuntimeErrorExits70WithLocation() throws {
    let result = try run(["-e", "print(\"before\")\nprint(1 / \"two\")"])
    XCTAssertEqual(result.status, 70)
    XCTAssertEqual(result.output, "before\n")
    XCTAssertTrue(result.error.hasPrefix("<command line>:2:9: error: "), result.error)
  }

  func testWriteOutsideOutputFolderExits70() throws {
    let result = try run(["-e", "save(random(1), \"../escape.png\")"])
    XCTAssertEqual(result.status, 70)
    XCTAssertTrue(result.error.contains("leaves the output folder"), result.error)
  }

  func testOutputFolderIsCreated() throws {
    let folder = try TemporaryFolder()
    let output = folder.path + "/new/inner"
    let result = try Facesh.run(
      ["--model", model, "-o", output, "-v", "-e", "save(random(2), \"face.png\")"])
    XCTAssertEqual(result.status, 0, result.error)
    let image = try ImageIO.read(path: output + "/face.png")
    XCTAssertEqual(image.width, TestModels.imageSize)
    XCTAssertTrue(result.error.contains("face.png"), "verbose names each file: \(result.error)")
  }

  func testOutputFolderThroughFileIsNamed() throws {
    let folder = try TemporaryFolder()
    try "x".write(toFile: folder.path + "/afile", atomically: true, encoding: .utf8)
    let result = try Facesh.run(
      ["--model", model, "-o", "afile/sub", "-e", "save(random(1), \"a.png\")"],
      directory: folder.path)
    XCTAssertEqual(result.status, 66)
    XCTAssertEqual(
      result.error,
      "facesh: cannot create the output folder 'afile/sub': 'afile' is a file, not a folder; "
        + "move that file away or give -o another folder\n")
  }

  func testInterruptStopsScriptWith130() throws {
    let output = try TemporaryFolder()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Facesh.binary)
    process.arguments = [
      "--model", model, "-o", output.path, "-e",
      "print(\"started\")\nlet n = 0\nwhile true { n += 1 }",
    ]
    process.environment = Facesh.environment()
    let errors = Pipe()
    let printed = Pipe()
    process.standardError = errors
    process.standardOutput = printed
    try process.run()
    // Wait until the loop runs, so the interrupt reaches the evaluation.
    let started = printed.fileHandleForReading.availableData
    XCTAssertEqual(String(decoding: started, as: UTF8.self), "started\n")
    usleep(200_000)
    process.interrupt()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 130)
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    XCTAssertEqual(message, "facesh: interrupted\n")
  }

  func testMissingScriptExits66() throws {
    let result = try run(["/nonexistent/script.face"])
    XCTAssertEqual(result.status, 66)
    XCTAssertTrue(result.error.contains("'/nonexistent/script.face': file not found"), result.error)
  }

  func testBadModelExits66() throws {
    let folder = try TemporaryFolder()
    let path = folder.path + "/not-a-model.safetensors"
    try "hello".write(toFile: path, atomically: true, encoding: .utf8)
    let result = try Facesh.run(["--model", path, "-e", "print(1)"])
    XCTAssertEqual(result.status, 66)
    XCTAssertTrue(result.error.contains(path), result.error)
  }

  func testModelErrorsSayWhatToDo() throws {
    let folder = try TemporaryFolder()
    let empty = folder.path + "/zero.safetensors"
    try "".write(toFile: empty, atomically: true, encoding: .utf8)
    let format = "(see docs/MODEL_FORMAT.md)"
    let fromOption = try Facesh.run(["-m", empty, "-e", "print(1)"])
    XCTAssertEqual(fromOption.status, 66)
    XCTAssertEqual(
      fromOption.error,
      "facesh: \(empty): the file is empty (0 bytes); give a model file written by 'facesh "
        + "train', or run without -m to use the default model \(format)\n")
    let fromEnvironment = try Facesh.run(
      ["-e", "print(1)"], environment: ["FACESH_MODEL": folder.path + "/missing"])
    XCTAssertEqual(fromEnvironment.status, 66)
    XCTAssertEqual(
      fromEnvironment.error,
      "facesh: \(folder.path)/missing: file not found; the path comes from the FACESH_MODEL "
        + "environment variable, so set it to a model file written by 'facesh train', or unset "
        + "it to use the default model \(format)\n")
    let evalModel = try Facesh.run(["eval", folder.path + "/missing", folder.path])
    XCTAssertEqual(evalModel.status, 66)
    XCTAssertEqual(
      evalModel.error,
      "facesh: \(folder.path)/missing: file not found; give a model file written by 'facesh "
        + "train' \(format)\n")
  }

  func testEvalWithoutPhotosSaysWhatToGive() throws {
    let folder = try TemporaryFolder()
    let result = try Facesh.run(["eval", model, folder.path])
    XCTAssertEqual(result.status, 66)
    XCTAssertEqual(
      result.error,
      "facesh: no PNG or JPEG photos found under '\(folder.path)'; give a folder that contains "
        + ".png, .jpg or .jpeg files\n")
  }

  func testNonUTF8ScriptGetsHint() throws {
    let folder = try TemporaryFolder()
    let path = folder.path + "/binary.face"
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data([0xFF, 0xFE, 0x00])))
    let result = try run([path])
    XCTAssertEqual(result.status, 66)
    XCTAssertEqual(
      result.error,
      "facesh: the script '\(path)' is not UTF-8 text (line 1, byte 1 is not valid UTF-8); "
        + "check that it is a facesh script, and save it with UTF-8 encoding\n")

    // A Latin-1 "é" on the second line, after a valid UTF-8 "σ" on the first.
    let latin = folder.path + "/latin.face"
    XCTAssertTrue(
      FileManager.default.createFile(
        atPath: latin, contents: Data("print(\"σ\")\n".utf8) + Data([0x70, 0x28, 0x63, 0xE9, 0x29])))
    let second = try run([latin])
    XCTAssertTrue(second.error.contains("(line 2, byte 4 is not valid UTF-8)"), second.error)
  }

  func testSeedFunctionReturnsOption() throws {
    XCTAssertEqual(try run(["-e", "print(seed())"]).output, "1\n")
    XCTAssertEqual(try run(["--seed", "42", "-e", "print(seed())"]).output, "42\n")
  }

  func testHelpAndVersion() throws {
    let help = try Facesh.run(["--help"])
    XCTAssertEqual(help.status, 0)
    XCTAssertTrue(help.output.contains("usage: facesh"))
    XCTAssertTrue(help.output.contains("examples:"))
    XCTAssertTrue(help.output.contains("--output DIR"))
    let version = try Facesh.run(["--version"])
    XCTAssertEqual(version.status, 0)
    XCTAssertTrue(version.output.hasPrefix("facesh "))
  }

  func testTrainAndEvalStillDispatch() throws {
    let train = try Facesh.run(["train", "--help"])
    XCTAssertEqual(train.status, 0)
    XCTAssertTrue(train.output.hasPrefix("usage: facesh train"))
    let evaluate = try Facesh.run(["eval", "--help"])
    XCTAssertEqual(evaluate.status, 0)
    XCTAssertTrue(evaluate.output.hasPrefix("usage: facesh eval"))
  }

  func testInfoDescribesModel() throws {
    let result = try Facesh.run(["info", model])
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertTrue(result.output.contains("16×16 pixels"), result.output)
    XCTAssertTrue(result.output.contains("32 training faces"), result.output)
    XCTAssertTrue(result.output.contains("16 values"), result.output)
    XCTAssertTrue(result.output.contains("conv_transpose2d"), result.output)
    XCTAssertTrue(result.output.contains("  pc1 "), result.output)
    XCTAssertTrue(result.output.contains("████"), result.output)
    XCTAssertTrue(result.output.contains("(4 more axes"), result.output)
  }

  func testInfoTakesModelOption() throws {
    let result = try Facesh.run(["info", "--model", model, "--axes", "3"])
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertTrue(result.output.contains("  pc3 "), result.output)
    XCTAssertFalse(result.output.contains("  pc4 "), result.output)
  }

  func testInfoWithoutModelExits66() throws {
    let result = try Facesh.run(["info", "/nonexistent/model.safetensors"])
    XCTAssertEqual(result.status, 66)
    XCTAssertTrue(result.error.contains("file not found"), result.error)
  }
}
