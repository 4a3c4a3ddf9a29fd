import Foundation

/// An error from writing a file; the message names the path.
public struct FileWriteError: Error, CustomStringConvertible {
  public let path: String
  public let reason: String
  public var description: String { "cannot write '\(path)': \(reason)" }
}

/// Writes files so that readers see either the old contents or the new, never a partial file.
public enum AtomicFile {
  /// Writes `bytes` to a temporary file beside `path`, flushes it to disk and renames it
  /// over `path`.
  ///
  /// - Throws: `FileWriteError` naming `path` when the folder is missing or not writable.
  public static func write(_ bytes: [UInt8], to path: String) throws {
    try bytes.withUnsafeBytes { try write(UnsafeRawBufferPointer($0), to: path) }
  }

  /// Writes raw bytes atomically; see `write(_:to:)`.
  public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue
    else {
      throw FileWriteError(path: path, reason: "the folder '\(folder)' does not exist")
    }
    let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else {
      throw FileWriteError(path: path, reason: String(cString: strerror(errno)))
    }
    var offset = 0
    while offset < bytes.count {
      let written = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        let reason = String(cString: strerror(errno))
        close(fd)
        unlink(temporary)
        throw FileWriteError(path: path, reason: reason)
      }
      offset += written
    }
    fsync(fd)
    close(fd)
    if rename(temporary, path) != 0 {
      var reason = String(cString: strerror(errno))
      if errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST {
        reason = "a folder of that name is in the way; remove or rename it, or choose another path"
      }
      unlink(temporary)
      throw FileWriteError(path: path, reason: reason)
    }
  }
}

/// A folder that could not be created, with the reason in plain words.
package struct FolderError: Error, CustomStringConvertible {
  /// The part of the path at fault: a file where a folder should be, or the folder that
  /// `mkdir` could not create.
  package let component: String
  /// The `errno` of the failed `mkdir`, or nil when a file is in the way.
  let code: Int32?

  /// Whether a file sits where the path needs a folder.
  package var isBlockedByFile: Bool { code == nil }

  /// Describes the problem, such as "'out' is a file, not a folder", writing paths through
  /// `display`.
  package func reason(showing display: (String) -> String = { $0 }) -> String {
    let quotedPath = "'\(display(component))'"
    guard let code else { return "\(quotedPath) is a file, not a folder" }
    let parent = (component as NSString).deletingLastPathComponent
    let place = parent.isEmpty ? "the current folder" : "'\(display(parent))'"
    switch code {
    case EACCES, EPERM: return "permission denied to create \(quotedPath) in \(place)"
    case EROFS: return "\(place) is on a read-only file system"
    case ENOSPC, EDQUOT: return "no space left on the device to create \(quotedPath)"
    case ENAMETOOLONG: return "the name \(quotedPath) is too long"
    default: return "cannot create \(quotedPath): " + String(cString: strerror(code)).lowercased()
    }
  }

  package var description: String { reason() }
}

/// Creates folders the way `mkdir -p` does, with errors that name the part of the path at
/// fault instead of Foundation's error codes.
package enum Folders {
  /// Creates `path` and its missing parent folders with mode `permissions`.
  ///
  /// - Throws: `FolderError` when a part of the path is a file or cannot be created.
  package static func create(_ path: String, permissions: mode_t = 0o755) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
      prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
      if component == "." || component == ".." { continue }
      if try isFolder(prefix) { continue }
      if mkdir(prefix, permissions) == 0 { continue }
      let code = errno
      // Another process may have made the folder since the check.
      if code == EEXIST, try isFolder(prefix) { continue }
      throw FolderError(component: prefix, code: code)
    }
  }

  /// Returns whether `path` is a folder, false when nothing is there, and throws when a
  /// file is there.
  private static func isFolder(_ path: String) throws -> Bool {
    var info = stat()
    guard stat(path, &info) == 0 else { return false }
    guard info.st_mode & S_IFMT == S_IFDIR else {
      throw FolderError(component: path, code: nil)
    }
    return true
  }
}
