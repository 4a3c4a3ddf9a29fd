import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// A child process on a pseudo-terminal, driven like a person at a keyboard: `type` sends
/// keys, `expect` waits for text on the screen.
///
/// `forkpty` makes the terminal the child's controlling terminal, so Ctrl-C typed into it
/// reaches the child as SIGINT through the terminal driver, as it does for a real user.
final class PseudoTerminal {
  let pid: pid_t
  private let master: Int32
  /// Everything the child has written so far, escape sequences included.
  private(set) var transcript: [UInt8] = []
  /// Where the next `expect` starts searching in `transcript`.
  private var cursor = 0
  private var exitStatus: Int32?

  /// Starts `executable` on a new terminal of `columns` × `rows`.
  init(
    executable: String, arguments: [String], environment: [String: String], directory: String,
    columns: UInt16 = 120, rows: UInt16 = 40
  ) throws {
    // Everything the child touches between fork and exec is allocated before the fork,
    // because only async-signal-safe calls are allowed there.
    let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(
      capacity: arguments.count + 2)
    argv[0] = strdup(executable)
    for (index, argument) in arguments.enumerated() { argv[index + 1] = strdup(argument) }
    argv[arguments.count + 1] = nil
    let pairs = environment.map { "\($0.key)=\($0.value)" }
    let envp = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(
      capacity: pairs.count + 1)
    for (index, pair) in pairs.enumerated() { envp[index] = strdup(pair) }
    envp[pairs.count] = nil
    let folder = strdup(directory)
    defer {
      for index in 0...arguments.count { free(argv[index]) }
      for index in 0..<pairs.count { free(envp[index]) }
      argv.deallocate()
      envp.deallocate()
      free(folder)
    }

    var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
    var fd: Int32 = -1
    let child = forkpty(&fd, nil, nil, &size)
    if child == 0 {
      chdir(folder!)
      execve(argv[0]!, argv, envp)
      _exit(127)
    }
    guard child > 0 else { throw NSError(domain: "forkpty", code: Int(errno)) }
    pid = child
    master = fd
  }

  deinit {
    if exitStatus == nil {
      kill(pid, SIGKILL)
      var status: Int32 = 0
      waitpid(pid, &status, 0)
    }
    close(master)
  }

  /// The transcript as text.
  var text: String { String(decoding: transcript, as: UTF8.self) }

  /// The length of the transcript so far, to pass to `text(from:)` later.
  var position: Int { transcript.count }

  /// Returns the transcript from `position` on, as text.
  func text(from position: Int) -> String {
    String(decoding: transcript[position...], as: UTF8.self)
  }

  /// The transcript from where the last successful `expect` stopped.
  var unread: String { String(decoding: transcript[cursor...], as: UTF8.self) }

  /// Sends keys: `\r` is Enter, `\u{03}` Ctrl-C, `\u{04}` Ctrl-D, `\t` Tab.
  func type(_ keys: String) {
    let bytes = Array(keys.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
      if written <= 0 { break }
      offset += written
    }
  }

  /// Waits until `expected` appears after the previous match and moves past it.
  ///
  /// - Returns: whether it appeared within `timeout` seconds; on failure the test fails
  ///   with the unread part of the transcript.
  @discardableResult
  func expect(
    _ expected: String, timeout: TimeInterval = 30, file: StaticString = #filePath,
    line: UInt = #line
  ) -> Bool {
    let needle = Array(expected.utf8)
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      if let end = find(needle, from: cursor) {
        cursor = end
        return true
      }
      let arrived = readAvailable(waitingUpTo: 0.05)
      let exitedQuietly = !arrived && exitStatus != nil
      if exitedQuietly || Date() > deadline {
        XCTFail(
          "'\(expected)' did not appear within \(timeout) s; the terminal showed after the last "
            + "match:\n\(unread)", file: file, line: line)
        return false
      }
    }
  }

  /// Reads for `seconds` and returns what arrived, without moving the expect cursor.
  func collect(for seconds: TimeInterval) -> String {
    let start = transcript.count
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline { _ = readAvailable(waitingUpTo: 0.05) }
    return String(decoding: transcript[start...], as: UTF8.self)
  }

  /// Waits for the child to exit, reading its output meanwhile.
  ///
  /// - Returns: the exit status, -1 if a signal ended it, or nil if it was still running
  ///   after `timeout` seconds.
  func waitForExit(timeout: TimeInterval = 30) -> Int32? {
    let deadline = Date().addingTimeInterval(timeout)
    while exitStatus == nil && Date() < deadline {
      _ = readAvailable(waitingUpTo: 0.05)
      reap()
    }
    return exitStatus
  }

  /// Appends whatever the child wrote within `seconds`; false when nothing arrived.
  private func readAvailable(waitingUpTo seconds: TimeInterval) -> Bool {
    var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
    guard poll(&descriptor, 1, Int32(seconds * 1000)) > 0 else {
      reap()
      return false
    }
    var buffer = [UInt8](repeating: 0, count: 65536)
    let count = read(master, &buffer, buffer.count)
    guard count > 0 else {
      // EIO: the child closed the terminal, usually because it exited.
      reap()
      return false
    }
    transcript.append(contentsOf: buffer[..<count])
    return true
  }

  private func reap() {
    guard exitStatus == nil else { return }
    var status: Int32 = 0
    if waitpid(pid, &status, WNOHANG) == pid {
      // WIFEXITED and WEXITSTATUS are macros that Swift does not import.
      exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : -1
    }
  }

  private func find(_ needle: [UInt8], from start: Int) -> Int? {
    guard needle.count <= transcript.count - start else { return nil }
    var index = start
    while index + needle.count <= transcript.count {
      if transcript[index] == needle[0]
        && transcript[index..<(index + needle.count)].elementsEqual(needle)
      {
        return index + needle.count
      }
      index += 1
    }
    return nil
  }
}
