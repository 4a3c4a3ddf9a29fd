import FaceRuntime
import Foundation
import Interpreter
import XCTest

/// Runs every `.face` script in `Scripts/` and checks it against the expectations written in
/// its comments:
///
/// - `# expect: TEXT` — the next line the script prints.
/// - `# expect error: KIND LINE:COLUMN: MESSAGE` — an error of kind `syntax`, `runtime` or
///   `cancelled`; a script with several syntax errors lists each in order. The output
///   folder's path appears in messages as `<output>`.
/// - `# expect file: PATH` — a file the script writes, relative to its output folder.
/// - `# model: few-faces` — run against a model with 4 training faces in 8 dimensions, so
///   that only pc[1] to pc[3] have σ > 0.
final class ScriptTests: XCTestCase {
  struct Expectations {
    var lines: [String] = []
    var errors: [String] = []
    var files: [String] = []
    var model = testModel
  }

  static func expectations(in source: String) -> Expectations {
    var expectations = Expectations()
    for rawLine in source.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      if let text = line.removingPrefix("# expect: ") {
        expectations.lines.append(text)
      } else if line == "# expect:" {
        expectations.lines.append("")
      } else if let error = line.removingPrefix("# expect error: ") {
        expectations.errors.append(error)
      } else if let file = line.removingPrefix("# expect file: ") {
        expectations.files.append(file)
      } else if line == "# model: few-faces" {
        expectations.model = degenerateModel
      }
    }
    return expectations
  }

  func testScripts() throws {
    let folder = try XCTUnwrap(Bundle.module.url(forResource: "Scripts", withExtension: nil))
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".face") }.sorted()
    XCTAssertGreaterThanOrEqual(names.count, 10)
    for name in names {
      let data = try Data(contentsOf: folder.appendingPathComponent(name))
      try check(script: name, source: String(decoding: data, as: UTF8.self))
    }
  }

  func check(script name: String, source: String) throws {
    let expected = ScriptTests.expectations(in: source)
    let output = makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let (interpreter, recorder) = makeInterpreter(
      model: expected.model, options: .init(outputFolder: output))
    var errors: [String] = []
    do {
      try interpreter.evaluate(source, chunkName: name)
    } catch let error as InterpreterError {
      let folder = URL(fileURLWithPath: output).standardizedFileURL.path
      errors = error.diagnostics.map {
        let message = $0.message.replacingOccurrences(of: folder, with: "<output>")
        return "\(error.kind.rawValue) \($0.line):\($0.column): \(message)"
      }
    }
    XCTAssertEqual(recorder.lines, expected.lines, "printed lines of \(name)")
    XCTAssertEqual(errors, expected.errors, "errors of \(name)")
    for file in expected.files {
      XCTAssertTrue(
        FileManager.default.fileExists(atPath: output + "/" + file), "\(name) did not write \(file)"
      )
    }
  }
}

extension String {
  fileprivate func removingPrefix(_ prefix: String) -> String? {
    hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
  }
}
