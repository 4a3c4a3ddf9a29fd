import FaceRuntime
import Interpreter
import XCTest

@testable import facesh

/// Unit tests of the shell's pieces that need no process: history escaping, picture
/// encoders, terminal detection and the model search order.
final class ShellPartsTests: XCTestCase {
  func testHistoryEscapingRoundTrips() {
    let entries = ["plain", "two\nlines", "back\\slash\\n", "cr\r\nlf", "σ \\\\ end\\"]
    for entry in entries {
      let escaped = HistoryFile.escape(entry)
      XCTAssertFalse(escaped.contains("\n"), entry)
      XCTAssertFalse(escaped.contains("\r"), entry)
      XCTAssertEqual(HistoryFile.unescape(escaped[...]), entry)
    }
  }

  func testHistoryPathFollowsXDG() {
    XCTAssertEqual(
      HistoryFile.defaultPath(environment: ["XDG_STATE_HOME": "/state", "HOME": "/home/a"]),
      "/state/facesh/history")
    XCTAssertEqual(
      HistoryFile.defaultPath(environment: ["XDG_STATE_HOME": "relative", "HOME": "/home/a"]),
      "/home/a/.local/state/facesh/history")
    XCTAssertEqual(
      HistoryFile.defaultPath(environment: ["HOME": "/home/a"]),
      "/home/a/.local/state/facesh/history")
    XCTAssertNil(HistoryFile.defaultPath(environment: [:]))
  }

  func testHistoryKeepsNewestEntries() throws {
    let folder = try TemporaryFolder()
    let path = folder.path + "/deep/history"
    var history = HistoryFile.load(path: path).0
    for index in 0..<(HistoryFile.entryLimit + 5) { history.add("entry \(index)") }
    history.add("entry \(HistoryFile.entryLimit + 4)")
    try history.save()
    let reloaded = HistoryFile.load(path: path)
    XCTAssertNil(reloaded.warning)
    XCTAssertEqual(reloaded.0.entries.count, HistoryFile.entryLimit)
    XCTAssertEqual(reloaded.0.entries.first, "entry 5")
    XCTAssertEqual(reloaded.0.entries.last, "entry \(HistoryFile.entryLimit + 4)")
  }

  func testPreviewDetection() {
    let cases: [([String: String], PreviewMode)] = [
      (["TERM": "xterm-kitty"], .kitty),
      (["TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"], .kitty),
      (["TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"], .iterm),
      (["TERM": "xterm-256color", "ITERM_SESSION_ID": "w0t0p0"], .iterm),
      (["TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"], .iterm),
      (["TERM": "foot"], .sixel),
      (["TERM": "mlterm"], .sixel),
      (["TERM": "xterm-256color"], .blocks),
      (["TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"], .blocks),
      (["TERM": "screen-256color"], .blocks),
      (["TERM": "dumb"], .off),
      ([:], .off),
    ]
    for (environment, expected) in cases {
      XCTAssertEqual(TerminalPicture.detect(environment: environment), expected, "\(environment)")
    }
  }

  func testHalfBlocksPaintTwoRowsPerLine() {
    var image = RGBImage(width: 2, height: 2)
    image.pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
    let text = TerminalPicture.halfBlocks(image, columns: 80)
    XCTAssertEqual(
      text,
      "\u{1B}[38;2;255;0;0m\u{1B}[48;2;0;0;255m▀\u{1B}[38;2;0;255;0m\u{1B}[48;2;10;20;30m▀"
        + "\u{1B}[0m\n")
  }

  func testHalfBlocksShrinkWideImages() {
    let image = RGBImage(width: 200, height: 100, fill: (9, 9, 9))
    let lines = TerminalPicture.halfBlocks(image, columns: 50).split(separator: "\n")
    XCTAssertEqual(lines.count, 13)
    XCTAssertEqual(lines[0].filter { $0 == "▀" }.count, 50)
  }

  func testKittyChunksPayload() {
    let png = [UInt8](repeating: 7, count: 10_000)
    let text = TerminalPicture.kitty(png: png)
    let chunks = text.components(separatedBy: "\u{1B}_G").dropFirst()
    XCTAssertEqual(chunks.count, 4)
    XCTAssertTrue(chunks.first!.hasPrefix("a=T,f=100,q=2,m=1;"))
    XCTAssertTrue(chunks.last!.hasPrefix("m=0;"))
  }

  func testSixelEncodesBandsAndPalette() {
    var image = RGBImage(width: 3, height: 7, fill: (255, 255, 255))
    for x in 0..<3 { image.pixels[(6 * 3 + x) * 3] = 0 }
    let text = Sixel.encode(image)
    XCTAssertTrue(text.hasPrefix("\u{1B}Pq\"1;1;3;7"), text)
    XCTAssertTrue(text.hasSuffix("-\u{1B}\\"), text)
    // Two colours, white and cyan, and two bands of six rows.
    XCTAssertEqual(text.components(separatedBy: ";2;").count - 1, 2, text)
    XCTAssertEqual(text.filter { $0 == "-" }.count, 2, text)
    XCTAssertTrue(text.contains("#1;2;100;100;100") || text.contains("#0;2;100;100;100"), text)
  }

  func testSixelRunLength() {
    XCTAssertEqual(Sixel.runLengthEncoded([0, 0, 0, 0, 63, 1]), "!4?~@")
    XCTAssertEqual(Sixel.runLengthEncoded([1, 1, 1]), "@@@")
  }

  func testQuantizeKeepsFewColoursExact() {
    var image = RGBImage(width: 4, height: 1)
    image.pixels = [0, 0, 0, 255, 255, 255, 0, 0, 0, 248, 0, 0]
    let (palette, indices) = Sixel.quantize(image, colours: 8)
    XCTAssertEqual(palette.count, 3)
    XCTAssertEqual(indices[0], indices[2])
    XCTAssertNotEqual(indices[0], indices[1])
  }

  func testModelSearchOrder() {
    let places = ModelLocator.candidates(
      executable: "/opt/app/.build/release/facesh", currentDirectory: "/home/me")
    XCTAssertEqual(
      places,
      [
        "/opt/app/.build/release/models/default.safetensors",
        "/opt/app/.build/models/default.safetensors",
        "/opt/app/models/default.safetensors",
        "/opt/models/default.safetensors",
        "/models/default.safetensors",
        "/opt/app/.build/share/facesh/default.safetensors",
        "/home/me/models/default.safetensors",
      ])
  }

  func testCommandPrefixesResolve() {
    XCTAssertEqual(REPLCommands.resolve(":he"), ":help")
    XCTAssertEqual(REPLCommands.resolve(":q"), ":quit")
    XCTAssertEqual(REPLCommands.resolve(":vars"), ":vars")
    XCTAssertNil(REPLCommands.resolve(":"))
    XCTAssertNil(REPLCommands.resolve(":zzz"))
  }

  func testColumnsFillDownFirst() {
    let text = LineEditorState.columns(["a", "b", "c", "d", "e"], width: 9)
    XCTAssertEqual(text, "a  c  e\nb  d")
  }

  func testOpenStringIsFoundForPathCompletion() {
    XCTAssertEqual(REPL.openStringText("fit(\"exam"), "exam")
    XCTAssertEqual(REPL.openStringText("let a = \"x\"; fit(\""), "")
    XCTAssertEqual(REPL.openStringText("save(f, \"a\\\"b"), "a\\\"b")
    XCTAssertNil(REPL.openStringText("fit(\"done.png\")"))
    XCTAssertNil(REPL.openStringText("random(3) # \"a comment"))
    XCTAssertNil(REPL.openStringText("print(3"))
  }

  func testPathCompletionInsideAString() throws {
    let folder = try TemporaryFolder()
    XCTAssertTrue(
      FileManager.default.createFile(atPath: folder.path + "/portrait.jpg", contents: Data()))
    try FileManager.default.createDirectory(
      atPath: folder.path + "/photos", withIntermediateDirectories: true)
    XCTAssertEqual(
      REPLCommands.pathCompletions(folder.path + "/p"),
      [folder.path + "/photos/", folder.path + "/portrait.jpg"])
  }

  func testTerminalWidthCountsWideCharacters() {
    XCTAssertEqual(TerminalText.width("fit 'a.png'"), 11)
    XCTAssertEqual(TerminalText.width("顔写真.jpg"), 10)
    XCTAssertEqual(TerminalText.width("e\u{0301}"), 1, "a combining accent takes no cell")
    XCTAssertEqual(TerminalText.suffix("顔写真.jpg", width: 7), "真.jpg")
    XCTAssertEqual(TerminalText.suffix("顔写真.jpg", width: 6), "真.jpg")
    XCTAssertEqual(TerminalText.suffix("顔写真.jpg", width: 5), ".jpg", "half a wide glyph does not fit")
    XCTAssertEqual(TerminalText.suffix("abc", width: 0), "")
  }

  func testWarningDecimalsSeparateBound() throws {
    let excess = Typicality.AxisExcess(axis: 0, value: 2.8115, low: -2.9, high: 2.81149)
    let typicality = Typicality(
      distance: 2.8115, percentile: 1, trainingMaximum: 20, excesses: [excess])
    let message = try XCTUnwrap(AtypicalFace.message(for: typicality))
    // Two decimals would print +2.81σ for both; three tell them apart.
    XCTAssertTrue(message.contains("pc[1] is +2.812σ"), message)
    XCTAssertTrue(message.contains("to +2.811σ"), message)
  }
}
