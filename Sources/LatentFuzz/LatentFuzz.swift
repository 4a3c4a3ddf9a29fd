// A libFuzzer target over the lexer, parser and evaluator of the face language.
//
// docs/FUZZING.md gives the build and run commands. A plain `swift build` also builds this
// target; run without the fuzzer flags, the program prints that it needs them and exits.
import FaceRuntime
import Foundation
import Interpreter
import LatentLang

/// A tiny model so that decoding and saving stay fast: 8 latent dimensions but only 6
/// training faces, so that some axes have σ = 0, and 8×8 images.
let fuzzModel = FaceModel.makeRandom(
  latentSize: 8, trainingFaces: 6, imageWidth: 8, imageHeight: 8, seed: 1)

/// The folder that fuzzed scripts may write into, one per fuzzing process.
let fuzzOutputFolder: String = {
  let path = NSTemporaryDirectory() + "latent-fuzz-\(getpid())"
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}()

/// Small limits, so that every input finishes quickly and in little memory.
let fuzzOptions = Interpreter.Options(
  outputFolder: fuzzOutputFolder, stepLimit: 1_000, recursionLimit: 200,
  maximumListLength: 1_000, maximumStringLength: 10_000)

/// Lexes, parses, dumps and renders the diagnostics of one input, then evaluates it.
@_cdecl("LLVMFuzzerTestOneInput")
public func latentFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let file = SourceFile(name: "fuzz.face", text: source)
  let parsed = Parser.parse(file)
  _ = SyntaxDump.dump(parsed.tree)
  for diagnostic in parsed.diagnostics {
    _ = diagnostic.rendered()
  }
  let interpreter = Interpreter(model: fuzzModel, options: fuzzOptions)
  do {
    let value = try interpreter.evaluate(source, chunkName: "fuzz.face")
    _ = interpreter.describe(value)
  } catch let error as InterpreterError {
    _ = error.rendered
  } catch {
    fatalError("evaluate threw \(type(of: error)), not InterpreterError")
  }
  return 0
}

/// The program's entry point.
///
/// SwiftPM links executables with `--defsym main=LatentFuzz_main`, so libFuzzer's own `main`
/// never runs and this one must start the fuzzer. The fuzzer's driver is linked in only with
/// `-sanitize=fuzzer`, and a direct reference to it would break the plain build, so the
/// entry point looks it up by name in the executable's symbol table.
@main
enum LatentFuzzMain {
  static func main() {
    guard let driver = FuzzerDriver.find(testOneInput: latentFuzzTestOneInput) else {
      let message =
        "LatentFuzz needs libFuzzer; build it with -Xswiftc -sanitize=fuzzer "
        + "-Xswiftc -parse-as-library as docs/FUZZING.md shows\n"
      FileHandle.standardError.write(Data(message.utf8))
      exit(2)
    }
    var count = CommandLine.argc
    var arguments = CommandLine.unsafeArgv
    exit(driver(&count, &arguments, latentFuzzTestOneInput))
  }
}
