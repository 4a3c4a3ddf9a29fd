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
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw FileWriteError(path: path, reason: reason)
    }
  }
}
