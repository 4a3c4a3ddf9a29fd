import Foundation
import XCTest

/// Drives the interactive shell through a pseudo-terminal, as a person would.
final class REPLTests: XCTestCase {
  static let prompt = "face> "
  static let enter = "\r"
  static let interrupt = "\u{03}"
  static let endOfInput = "\u{04}"
  static let upArrow = "\u{1B}[A"

  var state: TemporaryFolder!
  var output: TemporaryFolder!

  override func setUpWithError() throws {
    state = try TemporaryFolder()
    output = try TemporaryFolder()
  }

  /// Starts the REPL with the test model, pictures off unless `arguments` set them,
  /// and a history file under a temporary XDG_STATE_HOME.
  func start(_ arguments: [String] = ["--preview", "off"]) throws -> PseudoTerminal {
    let environment = Facesh.environment([
      "TERM": "xterm-256color", "XDG_STATE_HOME": state.path, "HOME": state.path,
    ])
    return try PseudoTerminal(
      executable: Facesh.binary,
      arguments: ["--model", TestModels.standard, "-o", output.path] + arguments,
      environment: environment, directory: output.path)
  }

  var historyPath: String { state.path + "/facesh/history" }

  func testExpressionPrintsValue() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type("6 * 7" + Self.enter)
    terminal.expect("42\r\n")
    terminal.expect(Self.prompt)
    terminal.type("\"text\"" + Self.enter)
    terminal.expect("\"text\"\r\n")
    terminal.type("2σ * 3" + Self.enter)
    terminal.expect("6σ\r\n")
    // Ctrl-D typed before the prompt would be read by the terminal in line mode.
    terminal.expect(Self.prompt)
    terminal.type(Self.endOfInput)
    XCTAssertEqual(terminal.waitForExit(), 0)
  }

  func testEditOutsideTheTrainingFacesWarns() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type("let f = mean()" + Self.enter)
    terminal.expect(Self.prompt)
    let typical = terminal.position
    terminal.type("f.pc[1] = 0.5σ" + Self.enter)
    terminal.expect(Self.prompt)
    XCTAssertFalse(terminal.text(from: typical).contains("warning"), terminal.text(from: typical))
    terminal.type("f.pc[1] = 80σ" + Self.enter)
    terminal.expect("warning: this face leaves the region the training faces cover: pc[1] is +80.00σ")
    terminal.expect(Self.prompt)
    terminal.type("mean() with { pc[2] = -90σ }" + Self.enter)
    terminal.expect("pc[2] is −90.00σ")
    terminal.expect(Self.prompt)
    // A new variable holding an equal face warns again.
    terminal.type("let g = mean() with { pc[1] = 80σ }" + Self.enter)
    terminal.expect("pc[1] is +80.00σ")
    terminal.expect(Self.prompt)
    terminal.type("let h = mean() with { pc[1] = 80σ }" + Self.enter)
    terminal.expect("pc[1] is +80.00σ")
    terminal.expect(Self.prompt)
    terminal.type(Self.endOfInput)
    XCTAssertEqual(terminal.waitForExit(), 0)
  }

  func testFaceShownAsSummaryAndPicture() throws {
    let terminal = try start(["--preview", "blocks"])
    terminal.expect(Self.prompt)
    terminal.type("random(1)" + Self.enter)
    terminal.expect("face(pc")
    terminal.expect("\u{1B}[38;2;")
    terminal.expect("▀")
    terminal.expect(Self.prompt)
    terminal.type(":preview off" + Self.enter)
    terminal.expect("preview: off")
    let start = terminal.position
    terminal.type("random(2)" + Self.enter)
    terminal.expect("face(pc")
    terminal.expect(Self.prompt)
    let shown = terminal.text(from: start)
    XCTAssertFalse(shown.contains("▀"), "a picture appeared after :preview off: \(shown)")
  }

  func testPreviewModesWriteTheirEscapes() throws {
    let terminal = try start(["--preview", "off"])
    let cases = [
      ("kitty", "\u{1B}_Ga=T,f=100,q=2,"), ("iterm", "\u{1B}]1337;File=inline=1;"),
      ("sixel", "\u{1B}Pq\"1;1;256;256"),
    ]
    for (mode, escape) in cases {
      terminal.expect(Self.prompt)
      terminal.type(":preview \(mode)" + Self.enter)
      terminal.expect("preview: \(mode)")
      terminal.type("random(5)" + Self.enter)
      terminal.expect("face(pc")
      terminal.expect(escape)
    }
  }

  func testTabCompletesNames() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type("let zebra_count = 5" + Self.enter)
    terminal.expect(Self.prompt)
    // A unique prefix of a variable completes in place: the editor echoes the typed part,
    // then writes the rest.
    terminal.type("zebra_c\t")
    terminal.expect("ount")
    terminal.type(" + 1" + Self.enter)
    terminal.expect("6\r\n")
    terminal.expect(Self.prompt)
    // A builtin completes too.
    terminal.type("type(sle\t")
    terminal.expect("rp")
    terminal.type(")" + Self.enter)
    terminal.expect("\"function\"\r\n")
    terminal.expect(Self.prompt)
    // An ambiguous prefix lists the candidates.
    terminal.type("s\t")
    terminal.expect("sweep")
    terminal.type(Self.interrupt)
    terminal.expect(Self.prompt)
    // Command names complete after a colon.
    terminal.type(":mod\t")
    terminal.expect("el")
    terminal.type(Self.enter)
    terminal.expect("32 training faces")
  }

  func testOpenBraceContinuesEntry() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type("fn twice(x) {" + Self.enter)
    terminal.expect("  ... ")
    terminal.type("return 2 * x" + Self.enter)
    terminal.expect("  ... ")
    terminal.type("}" + Self.enter)
    terminal.expect(Self.prompt)
    terminal.type("twice(21) +" + Self.enter)
    terminal.expect("  ... ")
    terminal.type("0" + Self.enter)
    terminal.expect("42\r\n")
  }

  func testCtrlCStopsLongEvaluation() throws {
    let terminal = try start(["--preview", "off", "--quiet"])
    terminal.expect(Self.prompt)
    terminal.type("let kept = 7" + Self.enter)
    terminal.expect(Self.prompt)
    terminal.type("let renders = 0" + Self.enter)
    terminal.expect(Self.prompt)
    let loop = "while true { save(random(renders), \"loop.png\")\nrenders += 1 }"
    terminal.type(loop.replacingOccurrences(of: "\n", with: Self.enter) + Self.enter)
    // Let it render for a while, then stop it.
    _ = terminal.collect(for: 1.5)
    terminal.type(Self.interrupt)
    terminal.expect("interrupted")
    terminal.expect(Self.prompt)
    terminal.type("kept" + Self.enter)
    terminal.expect("7\r\n")
    terminal.type("renders > 0" + Self.enter)
    terminal.expect("true\r\n")
    terminal.expect(Self.prompt)
    terminal.type(Self.endOfInput)
    XCTAssertEqual(terminal.waitForExit(), 0)
  }

  func testCtrlCDiscardsHalfTypedLine() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type("this is not ( valid")
    terminal.expect("valid")
    terminal.type(Self.interrupt)
    terminal.expect(Self.prompt)
    terminal.type("40 + 2" + Self.enter)
    terminal.expect("42\r\n")
    XCTAssertFalse(terminal.text.contains("error"), terminal.text)
    // Ctrl-C inside an unfinished block discards the whole entry.
    terminal.type("if true {" + Self.enter)
    terminal.expect("  ... ")
    terminal.type(Self.interrupt)
    terminal.expect(Self.prompt)
    terminal.type("1" + Self.enter)
    terminal.expect("1\r\n")
    XCTAssertFalse(terminal.text.contains("error"), terminal.text)
  }

  func testWrongModelFileExitsBeforePrompt() throws {
    let notAModel = output.path + "/notes.safetensors"
    try "not a model".write(toFile: notAModel, atomically: true, encoding: .utf8)
    let terminal = try PseudoTerminal(
      executable: Facesh.binary, arguments: ["--model", notAModel],
      environment: Facesh.environment(["TERM": "xterm-256color", "XDG_STATE_HOME": state.path]),
      directory: output.path)
    XCTAssertEqual(terminal.waitForExit(), 66)
    XCTAssertTrue(terminal.text.contains(notAModel), terminal.text)
    XCTAssertFalse(terminal.text.contains(Self.prompt), terminal.text)
  }

  func testCtrlDExitsWithSuccess() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type(Self.endOfInput)
    XCTAssertEqual(terminal.waitForExit(), 0)
  }

  func testQuitCommandExits() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type(":quit" + Self.enter)
    XCTAssertEqual(terminal.waitForExit(), 0)
  }

  func testErrorsKeepSessionGoing() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type("let a = 1" + Self.enter)
    terminal.type("a / \"x\"" + Self.enter)
    terminal.expect("<repl>:1:3: error: ")
    terminal.expect(Self.prompt)
    terminal.type("a +* 2" + Self.enter)
    terminal.expect("<repl>:1:4: error: ")
    terminal.type("a + 1" + Self.enter)
    terminal.expect("2\r\n")
  }

  func testCommands() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type(":help" + Self.enter)
    terminal.expect(":save FILE")
    terminal.type(":help sweep" + Self.enter)
    terminal.expect("sweep(face, axis, values, path)")
    terminal.type(":help faces" + Self.enter)
    terminal.expect("slerp(a, b, t)")
    terminal.type("let f = random(3)" + Self.enter)
    terminal.type("axis first = pc[1]" + Self.enter)
    terminal.type(":vars" + Self.enter)
    terminal.expect("f      face(")
    terminal.expect("first  axis first = pc[1]")
    terminal.type(":model" + Self.enter)
    terminal.expect("32 training faces")
    terminal.type(":frobnicate" + Self.enter)
    terminal.expect("unknown command ':frobnicate'")
    terminal.type(":preview" + Self.enter)
    terminal.expect("preview: off")
  }

  func testLoopOfSavesNotesFiveFilesAndACount() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    let start = terminal.position
    terminal.type("for i in 0 to 5 { save(random(i), \"six-{i}.png\") }" + Self.enter)
    terminal.expect("wrote six-5.png")
    terminal.expect(Self.prompt)
    terminal.type("for i in 0 to 11 { save(random(i), \"loop-{i}.png\") }" + Self.enter)
    terminal.expect("wrote 7 more files, the last loop-11.png")
    terminal.expect(Self.prompt)
    let text = terminal.text(from: start)
    XCTAssertTrue(text.contains("wrote loop-4.png"), text)
    XCTAssertFalse(text.contains("wrote loop-5.png"), text)
    // The count starts again with the next entry.
    terminal.type("save(random(1), \"single.png\")" + Self.enter)
    terminal.expect("wrote single.png")
    terminal.expect(Self.prompt)
    // The last "wrote" line comes before the entry's value: morph writes 5 frames and a GIF
    // and returns the frame count.
    let morphStart = terminal.position
    terminal.type("morph([random(1), random(2)], 4, \"m/m\") * 100" + Self.enter)
    terminal.expect("500")
    terminal.expect(Self.prompt)
    let morphText = terminal.text(from: morphStart)
    let gifLine = morphText.range(of: "wrote m/m.gif")
    let valueLine = morphText.range(of: "500")
    XCTAssertNotNil(gifLine, morphText)
    if let gifLine, let valueLine {
      XCTAssertLessThan(gifLine.lowerBound, valueLine.lowerBound, morphText)
    }
    terminal.type(Self.endOfInput)
    XCTAssertEqual(terminal.waitForExit(), 0)
  }

  func testSaveWritesSuccessfulEntries() throws {
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type("let base = random(4)" + Self.enter)
    terminal.type("print(undefined_name)" + Self.enter)
    terminal.expect("unknown name")
    terminal.type("fn nudge(f) {" + Self.enter + "return f with { pc[1] += 1σ }" + Self.enter)
    terminal.type("}" + Self.enter)
    terminal.type("save(nudge(base), \"nudged.png\")" + Self.enter)
    terminal.expect("wrote nudged.png")
    terminal.type(":save session.face" + Self.enter)
    terminal.expect("saved 3 entries to session.face")
    let saved = try String(contentsOfFile: output.path + "/session.face", encoding: .utf8)
    XCTAssertTrue(saved.contains("let base = random(4)\n"), saved)
    XCTAssertTrue(saved.contains("fn nudge(f) {\nreturn f with { pc[1] += 1σ }\n}\n"), saved)
    XCTAssertFalse(saved.contains("undefined_name"), saved)
    // The saved session runs as a script.
    let rerun = try Facesh.run(
      ["--model", TestModels.standard, "-o", output.path, output.path + "/session.face"])
    XCTAssertEqual(rerun.status, 0, rerun.error)
  }

  func testLoadRunsScriptInSession() throws {
    try "let loaded_value = 99\n".write(
      toFile: output.path + "/defs.face", atomically: true, encoding: .utf8)
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type(":load defs.face" + Self.enter)
    terminal.expect(Self.prompt)
    terminal.type("loaded_value" + Self.enter)
    terminal.expect("99\r\n")
  }

  func testHistoryKeepsMultilineEntries() throws {
    let first = try start()
    first.expect(Self.prompt)
    first.type("fn triple(x) {" + Self.enter + "return 3 * x" + Self.enter + "}" + Self.enter)
    first.expect(Self.prompt)
    first.type(Self.endOfInput)
    XCTAssertEqual(first.waitForExit(), 0)
    let history = try String(contentsOfFile: historyPath, encoding: .utf8)
    XCTAssertEqual(history, "fn triple(x) {\\nreturn 3 * x\\n}\n")

    // A new session recalls the whole entry with one press of the up arrow.
    let second = try start()
    second.expect(Self.prompt)
    second.type(Self.upArrow)
    second.expect("return 3 * x")
    second.type(Self.enter)
    second.expect(Self.prompt)
    second.type("triple(5)" + Self.enter)
    second.expect("15\r\n")
  }

  func testCorruptHistoryDoesNotStopStartUp() throws {
    try FileManager.default.createDirectory(
      atPath: state.path + "/facesh", withIntermediateDirectories: true)
    var garbage = Data([0xFF, 0xFE, 0x00, 0x80, 0x0A])
    garbage.append(Data(repeating: 0x41, count: 2 << 20))
    garbage.append(Data("\n\\q broken escape \\\nprint(\"kept\")\n".utf8))
    XCTAssertTrue(FileManager.default.createFile(atPath: historyPath, contents: garbage))
    let terminal = try start()
    terminal.expect(Self.prompt)
    terminal.type("1 + 1" + Self.enter)
    terminal.expect("2\r\n")
    terminal.expect(Self.prompt)
    terminal.type(Self.endOfInput)
    XCTAssertEqual(terminal.waitForExit(), 0)
    let history = try String(contentsOfFile: historyPath, encoding: .utf8)
    // Damaged lines are dropped; a line with unknown escapes is kept and written back in
    // the regular form.
    XCTAssertEqual(history, "\\\\q broken escape \\\\\nprint(\"kept\")\n1 + 1\n")
  }

  func testUnreadableHistoryDoesNotStopStartUp() throws {
    // A folder where the history file should be can be neither read nor replaced.
    try FileManager.default.createDirectory(atPath: historyPath, withIntermediateDirectories: true)
    let terminal = try start()
    terminal.expect("cannot read the history file")
    terminal.expect(Self.prompt)
    terminal.type("2 + 2" + Self.enter)
    terminal.expect("the history is not saved")
    terminal.expect("4\r\n")
    terminal.expect(Self.prompt)
    terminal.type(Self.endOfInput)
    XCTAssertEqual(terminal.waitForExit(), 0)
  }
}
