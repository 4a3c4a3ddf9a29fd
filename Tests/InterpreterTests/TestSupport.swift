import FaceRuntime
import Foundation
import Interpreter
import XCTest

/// Collects what an interpreter sends to its sink, safely from the evaluation thread.
final class Recorder: @unchecked Sendable {
  private let lock = NSLock()
  private var printedLines: [String] = []
  private var shownFaces: [Face] = []
  private var savedPaths: [String] = []
  private var warningLines: [String] = []
  private var progressReports: [TaskProgress] = []
  /// Runs on each progress report, on the evaluation thread.
  var onProgress: (@Sendable (TaskProgress) -> Void)?

  var lines: [String] { lock.withLock { printedLines } }
  var faces: [Face] { lock.withLock { shownFaces } }
  var saved: [String] { lock.withLock { savedPaths } }
  var warnings: [String] { lock.withLock { warningLines } }
  var progress: [TaskProgress] { lock.withLock { progressReports } }

  var sink: OutputSink {
    OutputSink(
      print: { line in self.lock.withLock { self.printedLines.append(line) } },
      show: { face in self.lock.withLock { self.shownFaces.append(face) } },
      saved: { path in self.lock.withLock { self.savedPaths.append(path) } },
      warning: { line in self.lock.withLock { self.warningLines.append(line) } },
      progress: { report in
        self.lock.withLock { self.progressReports.append(report) }
        self.onProgress?(report)
      })
  }
}

/// A small random model shared by the tests: 8 latent dimensions and 20 training faces.
let testModel = FaceModel.makeRandom(latentSize: 8, trainingFaces: 20, seed: 7)

/// A model with fewer training faces than dimensions, so pc[4] to pc[8] have σ = 0.
let degenerateModel = FaceModel.makeRandom(latentSize: 8, trainingFaces: 4, seed: 3)

func makeInterpreter(
  model: FaceModel = testModel, options: Interpreter.Options = Interpreter.Options()
) -> (Interpreter, Recorder) {
  let recorder = Recorder()
  return (Interpreter(model: model, sink: recorder.sink, options: options), recorder)
}

/// Runs source in a fresh interpreter and returns the printed lines, failing on errors.
func printed(
  _ source: String, model: FaceModel = testModel, file: StaticString = #filePath,
  line: UInt = #line
) -> [String] {
  let (interpreter, recorder) = makeInterpreter(model: model)
  do {
    try interpreter.evaluate(source, chunkName: "test.face")
  } catch {
    XCTFail("unexpected error:\n\(error)", file: file, line: line)
  }
  return recorder.lines
}

/// Runs source in a fresh interpreter and returns the error it throws.
func failure(
  _ source: String, model: FaceModel = testModel, options: Interpreter.Options = .init(),
  file: StaticString = #filePath, line: UInt = #line
) -> InterpreterError? {
  let (interpreter, _) = makeInterpreter(model: model, options: options)
  do {
    try interpreter.evaluate(source, chunkName: "test.face")
    XCTFail("expected an error", file: file, line: line)
  } catch let error as InterpreterError {
    return error
  } catch {
    XCTFail("unexpected error type: \(error)", file: file, line: line)
  }
  return nil
}

/// Creates an empty temporary folder.
func makeTemporaryFolder() -> String {
  let path = NSTemporaryDirectory() + "facesh-test-" + UUID().uuidString
  try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
