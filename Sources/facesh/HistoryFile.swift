import FaceRuntime
import Foundation

/// The REPL history file: one entry a line, so that an entry of several lines comes back
/// exactly as typed.
///
/// Each line is an entry with `\` written as `\\`, a line break as `\n` and a carriage return
/// as `\r`. Reading never fails: unreadable files give an empty history and a warning, and
/// lines that are not valid UTF-8 or hold a NUL are skipped. Writing goes through
/// `AtomicFile`, after merging the entries that other sessions saved meanwhile.
struct HistoryFile {
  /// The maximum number of entries kept. Saving drops the oldest beyond it.
  static let entryLimit = 1000
  /// Lines longer than this are skipped as damaged, in bytes.
  static let lineLimit = 1 << 20

  let path: String
  /// The entries in the file when it was last read or written, oldest first.
  private(set) var entries: [String] = []
  /// Entries added in this session that are not yet in the file.
  private var unsaved: [String] = []

  /// Returns the history path: `$XDG_STATE_HOME/facesh/history` when `XDG_STATE_HOME` is an
  /// absolute path, else `$HOME/.local/state/facesh/history`. Returns nil without either.
  static func defaultPath(environment: [String: String]) -> String? {
    if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
      return state + "/facesh/history"
    }
    if let home = environment["HOME"], !home.isEmpty {
      return home + "/.local/state/facesh/history"
    }
    return nil
  }

  /// Reads the history at `path`. A missing file is an empty history.
  ///
  /// - Returns: the history and, when the file exists but cannot be used, a warning that
  ///   gives the reason.
  static func load(path: String) -> (HistoryFile, warning: String?) {
    var file = HistoryFile(path: path)
    switch readEntries(path: path) {
    case .success(let entries):
      file.entries = entries
      return (file, nil)
    case .failure(let failure):
      return (
        file,
        "cannot read the history file '\(path)': \(failure.reason); starting with an empty history"
      )
    }
  }

  /// Adds an entry to save; repeats of the entry just before it are dropped.
  mutating func add(_ entry: String) {
    guard !entry.isEmpty, entry != (unsaved.last ?? entries.last) else { return }
    unsaved.append(entry)
  }

  /// Writes the file: the entries now on disk, then this session's unsaved ones, keeping the
  /// newest `entryLimit`. Creates the folder (mode 0700) when missing.
  ///
  /// - Throws: `InputError` when the folder cannot be made, `FileWriteError` when the file
  ///   cannot be written.
  mutating func save() throws {
    guard !unsaved.isEmpty else { return }
    let folder = (path as NSString).deletingLastPathComponent
    do {
      try Folders.create(folder, permissions: 0o700)
    } catch let error as FolderError {
      throw InputError(
        message: "cannot create the folder '\(folder)' for '\(path)': \(error.reason())")
    }
    var merged = (try? HistoryFile.readEntries(path: path).get()) ?? entries
    merged.append(contentsOf: unsaved)
    merged = Array(merged.suffix(HistoryFile.entryLimit))
    let text = merged.map { HistoryFile.escape($0) + "\n" }.joined()
    try AtomicFile.write(Array(text.utf8), to: path)
    entries = merged
    unsaved = []
  }

  static func escape(_ entry: String) -> String {
    var text = ""
    for character in entry.unicodeScalars {
      switch character {
      case "\\": text += "\\\\"
      case "\n": text += "\\n"
      case "\r": text += "\\r"
      default: text.unicodeScalars.append(character)
      }
    }
    return text
  }

  /// Reverses `escape`; an unknown escape is kept as written.
  static func unescape(_ line: Substring) -> String {
    var text = ""
    var escaping = false
    for character in line.unicodeScalars {
      if escaping {
        switch character {
        case "n": text += "\n"
        case "r": text += "\r"
        case "\\": text += "\\"
        default: text += "\\" + String(character)
        }
        escaping = false
      } else if character == "\\" {
        escaping = true
      } else {
        text.unicodeScalars.append(character)
      }
    }
    if escaping { text += "\\" }
    return text
  }

  /// The reason a history file could not be read.
  private struct ReadFailure: Error {
    let reason: String
  }

  private static func readEntries(path: String) -> Result<[String], ReadFailure> {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
      return .success([])
    }
    if isFolder.boolValue { return .failure(ReadFailure(reason: "it is a folder")) }
    guard let data = FileManager.default.contents(atPath: path) else {
      let code = access(path, R_OK) == 0 ? EIO : errno
      return .failure(ReadFailure(reason: String(cString: strerror(code))))
    }
    var entries: [String] = []
    for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
      guard line.count <= lineLimit, !line.contains(0),
        let text = String(validating: line, as: UTF8.self)
      else { continue }
      entries.append(unescape(text[...]))
    }
    return .success(Array(entries.suffix(entryLimit)))
  }
}
