import CEditLine
import Foundation

/// The result of one call to `LineEditor.readLine(prompt:)`.
enum LineInput: Equatable {
  /// A line, without its line break.
  case line(String)
  /// Ctrl-C was pressed, so the half-typed line is discarded.
  case interrupted
  /// Ctrl-D on an empty line, or the end of the input.
  case endOfInput
}

/// Line editing on a terminal through libedit's `el_*` interface: emacs key bindings, an
/// in-memory history that the up and down keys walk, and Tab completion.
///
/// libedit calls back into C function pointers that cannot capture Swift state, so the state
/// they need lives in `LineEditorState`. Only one editor exists per process.
final class LineEditor {
  private let editor: OpaquePointer
  private let history: OpaquePointer

  /// Creates the editor on standard input and output, reading the user's `~/.editrc`.
  ///
  /// - Parameter completer: returns the completions of the word before the cursor, given the
  ///   text of the line up to the cursor.
  init?(programName: String, completer: @escaping (String) -> Completion) {
    LineEditor.useUTF8CharacterType()
    guard let editor = el_init(programName, stdin, stdout, stderr) else { return nil }
    guard let history = history_init() else {
      el_end(editor)
      return nil
    }
    self.editor = editor
    self.history = history
    LineEditorState.completer = completer
    var event = HistEvent()
    facesh_history_set_size(history, &event, Int32(HistoryFile.entryLimit))
    // Like the history file, skip an entry that repeats the one before it.
    facesh_history_set_unique(history, &event, 1)
    facesh_el_set_history(editor, history)
    facesh_el_set_editor(editor, "emacs")
    // facesh handles SIGINT itself, because libedit's handlers would re-raise it to the whole
    // process group.
    facesh_el_set_signal(editor, 0)
    facesh_el_set_prompt(editor, LineEditorState.promptFunction)
    facesh_el_set_read_function(editor, LineEditorState.readFunction)
    facesh_el_add_function(
      editor, "facesh-complete", "complete the word before the cursor",
      LineEditorState.completeFunction)
    facesh_el_add_function(
      editor, "facesh-interrupt", "discard the line", LineEditorState.interruptFunction)
    facesh_el_bind(editor, "^I", "facesh-complete")
    facesh_el_bind(editor, "^C", "facesh-interrupt")
    // SIGINT may reach any thread, such as OpenBLAS's workers, and so arrive after keys
    // typed later; as a key, Ctrl-C stays in order.
    facesh_el_keys_not_signals(editor)
    el_source(editor, nil)
  }

  deinit {
    el_end(editor)
    history_end(history)
  }

  /// Sets the C library's character type from the environment, falling back to C.UTF-8.
  ///
  /// libedit converts the line between wide and multibyte characters with the C library,
  /// which starts in the "C" locale and would drop every non-ASCII character, such as σ.
  private static func useUTF8CharacterType() {
    setlocale(LC_CTYPE, "")
    if String(cString: nl_langinfo(nl_item(CODESET))) != "UTF-8" {
      setlocale(LC_CTYPE, "C.UTF-8")
    }
  }

  /// Shows `prompt` and reads one line with editing.
  func readLine(prompt: String) -> LineInput {
    LineEditorState.setPrompt(prompt)
    LineEditorState.interrupted = false
    var count: Int32 = 0
    // Enter raw mode before libedit draws the prompt, so a Ctrl-D typed as soon as the
    // prompt shows reaches the editor instead of the terminal's line discipline.
    facesh_el_prepare_terminal(editor, 1)
    let text = el_gets(editor, &count)
    if LineEditorState.interrupted || Interrupt.requested {
      Interrupt.reset()
      LineEditorState.interrupted = false
      return .interrupted
    }
    guard let text, count > 0 else { return .endOfInput }
    var line = String(cString: text)
    if line.hasSuffix("\n") { line.removeLast() }
    return .line(line)
  }

  /// Adds an entry, possibly of several lines, to the history that the arrow keys walk.
  func addToHistory(_ entry: String) {
    var event = HistEvent()
    facesh_history_enter(history, &event, entry)
  }
}

/// The completions of the word before the cursor.
struct Completion {
  /// How many characters before the cursor the word being completed has.
  var wordLength: Int
  /// The full words that could replace it, sorted.
  var candidates: [String]
}

/// State shared with libedit's C callbacks.
enum LineEditorState {
  nonisolated(unsafe) static var prompt: UnsafeMutablePointer<CChar> = strdup("")
  nonisolated(unsafe) static var completer: ((String) -> Completion)?
  /// Set when Ctrl-C reaches the editor, by SIGINT or by the key binding.
  nonisolated(unsafe) static var interrupted = false

  static func setPrompt(_ text: String) {
    free(prompt)
    prompt = strdup(text)
  }

  static let promptFunction: facesh_prompt_function = { _ in LineEditorState.prompt }

  /// Reads one character, decoding UTF-8, and returns 1, or 0 at end of input, or -1 after
  /// Ctrl-C or a read error.
  static let readFunction: el_rfunc_t = { _, character in
    guard let character else { return -1 }
    guard let first = readByte() else { return interrupted ? -1 : 0 }
    var scalar = UInt32(first)
    var remaining = 0
    switch first {
    case 0xC0...0xDF:
      scalar &= 0x1F
      remaining = 1
    case 0xE0...0xEF:
      scalar &= 0x0F
      remaining = 2
    case 0xF0...0xF7:
      scalar &= 0x07
      remaining = 3
    default:
      break
    }
    while remaining > 0 {
      guard let next = readByte() else { return interrupted ? -1 : 0 }
      scalar = (scalar << 6) | UInt32(next & 0x3F)
      remaining -= 1
    }
    character.pointee = wchar_t(bitPattern: scalar)
    return 1
  }

  /// Reads one byte from standard input. Returns nil at the end of input, on an error, or
  /// after Ctrl-C, which sets `interrupted`.
  ///
  /// SIGINT stays blocked except inside `pselect`, which unblocks it atomically. So a Ctrl-C
  /// that arrives before the wait still ends it at once instead of being missed.
  private static func readByte() -> UInt8? {
    var interruptOnly = sigset_t()
    sigemptyset(&interruptOnly)
    sigaddset(&interruptOnly, SIGINT)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &interruptOnly, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    var waitMask = previous
    sigdelset(&waitMask, SIGINT)
    while true {
      if Interrupt.requested {
        interrupted = true
        return nil
      }
      let ready = facesh_wait_readable(STDIN_FILENO, &waitMask)
      if ready < 0 {
        if errno == EINTR { continue }
        return nil
      }
      // When a key and Ctrl-C arrive together, pselect reports the key and leaves SIGINT
      // pending, but the key was typed after Ctrl-C and belongs to the next line.
      var pending = sigset_t()
      sigpending(&pending)
      if sigismember(&pending, SIGINT) == 1 {
        interrupted = true
        return nil
      }
      var byte: UInt8 = 0
      let count = read(STDIN_FILENO, &byte, 1)
      if count == 1 { return byte }
      if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
      return nil
    }
  }

  /// Bound to Ctrl-C, which arrives as a key while the editor reads a line.
  static let interruptFunction: facesh_editor_function = { _, _ in
    interrupted = true
    return UInt8(CC_EOF)
  }

  /// Bound to Tab: inserts the unique completion or the longest common prefix, and lists the
  /// candidates when that adds nothing.
  static let completeFunction: facesh_editor_function = { editor, _ in
    guard let editor, let info = el_line(editor), let completer else { return UInt8(CC_ERROR) }
    let before = UnsafeRawBufferPointer(
      start: info.pointee.buffer, count: info.pointee.cursor - info.pointee.buffer)
    let completion = completer(String(decoding: before, as: UTF8.self))
    guard !completion.candidates.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
    let word = String(
      String(decoding: before, as: UTF8.self).suffix(completion.wordLength))
    let prefix = commonPrefix(completion.candidates)
    if prefix.count > word.count {
      el_insertstr(editor, String(prefix.dropFirst(word.count)))
      return UInt8(CC_REFRESH)
    }
    if completion.candidates.count == 1 { return UInt8(CC_REFRESH) }
    let listing = "\n" + columns(completion.candidates, width: terminalWidth()) + "\n"
    _ = listing.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
    return UInt8(CC_REDISPLAY)
  }

  static func commonPrefix(_ words: [String]) -> String {
    guard var prefix = words.first.map(Array.init) else { return "" }
    for word in words.dropFirst() {
      let characters = Array(word)
      var length = 0
      while length < min(prefix.count, characters.count) && prefix[length] == characters[length] {
        length += 1
      }
      prefix = Array(prefix.prefix(length))
    }
    return String(prefix)
  }

  /// Lays out words in columns that fit `width`, filling down each column first.
  static func columns(_ words: [String], width: Int) -> String {
    let cell = (words.map(\.count).max() ?? 0) + 2
    let perRow = max(1, width / cell)
    let rows = (words.count + perRow - 1) / perRow
    var lines: [String] = []
    for row in 0..<rows {
      var line = ""
      for column in 0..<perRow {
        let index = column * rows + row
        guard index < words.count else { break }
        let word = words[index]
        line += word + String(repeating: " ", count: cell - word.count)
      }
      while line.hasSuffix(" ") { line.removeLast() }
      lines.append(line)
    }
    return lines.joined(separator: "\n")
  }

  static func terminalWidth() -> Int {
    var size = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
    return Int(size.ws_col)
  }
}
