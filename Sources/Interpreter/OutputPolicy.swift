import FaceRuntime
import Foundation

/// Turns the paths that scripts pass to `save`, `sweep`, `morph` and `grid`, or to `fit` and
/// `psnr`, into file paths.
///
/// With a folder, paths are relative to it: absolute paths and `..` that would leave it are
/// rejected, and for writing, missing subfolders inside it are created. Without one, paths
/// are used as given, relative to the current directory.
struct OutputPolicy {
  /// The folder as an absolute path without a trailing slash, or nil for no restriction.
  let folder: String?
  /// "output" or "input", for messages.
  let role: String

  init(folder: String?, role: String = "output") {
    self.role = role
    guard let folder else {
      self.folder = nil
      return
    }
    let absolute =
      folder.hasPrefix("/")
      ? folder : FileManager.default.currentDirectoryPath + "/" + folder
    var standardized = URL(fileURLWithPath: absolute).standardizedFileURL.path
    while standardized.count > 1 && standardized.hasSuffix("/") { standardized.removeLast() }
    self.folder = standardized
  }

  /// Returns the file path to write for a script's `path`.
  ///
  /// NOTE: the check is lexical. A symbolic link inside the output folder that points
  /// elsewhere is followed.
  func resolve(_ path: String) throws -> String {
    try resolve(path, creatingFolders: role == "output")
  }

  /// Returns the path `resolve` gives for `path` when a file exists there, without creating
  /// any folder; nil otherwise, also when `resolve` would reject the path.
  func resolveExisting(_ path: String) -> String? {
    guard let resolved = try? resolve(path, creatingFolders: false),
      FileManager.default.fileExists(atPath: resolved)
    else { return nil }
    return resolved
  }

  private func resolve(_ path: String, creatingFolders: Bool) throws -> String {
    guard !path.isEmpty else {
      throw ScriptError("the \(role) path is empty; write a file name such as 'face.png'")
    }
    if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      throw ScriptError("the \(role) path \(quoted(path)) contains a control character")
    }
    guard let folder else { return path }
    if path.hasPrefix("/") {
      throw ScriptError(
        "absolute path \(quoted(path)) is not allowed; write a path inside the \(role) folder "
          + "'\(folder)', such as 'face.png'")
    }
    var components: [String] = []
    for component in path.split(separator: "/") {
      switch component {
      case ".":
        continue
      case "..":
        guard !components.isEmpty else {
          throw ScriptError(
            "path \(quoted(path)) leaves the \(role) folder '\(folder)'; write a path inside it")
        }
        components.removeLast()
      default:
        components.append(String(component))
      }
    }
    guard !components.isEmpty, !path.hasSuffix("/") else {
      throw ScriptError("path \(quoted(path)) names a folder; write a file name such as 'face.png'")
    }
    if components.count > 1 && creatingFolders {
      let subfolder = folder + "/" + components.dropLast().joined(separator: "/")
      try createFolder(subfolder)
    }
    return folder + "/" + components.joined(separator: "/")
  }

  private func createFolder(_ path: String) throws {
    do {
      try Folders.create(path)
    } catch let error as FolderError {
      let hint =
        error.isBlockedByFile
        ? "write to another path or move that file away" : "write to another path"
      let reason = error.reason(showing: ShownPath.display)
      throw ScriptError("cannot create the folder '\(ShownPath.display(path))': \(reason); \(hint)")
    }
  }

  private func quoted(_ path: String) -> String { "'\(path)'" }
}
