import Foundation

/// Finds libFuzzer's `LLVMFuzzerRunDriver` in this executable without linking to it.
///
/// The function is not in the dynamic symbol table, so `dlsym` cannot see it. Instead this
/// reads the ELF symbol table of `/proc/self/exe` and adds the load address, which it gets
/// by comparing `LLVMFuzzerTestOneInput`'s address in memory with its table entry.
enum FuzzerDriver {
  typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
  typealias Driver =
    @convention(c) (
      UnsafeMutablePointer<CInt>,
      UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
      TestOneInput
    ) -> CInt

  /// Returns the driver, or nil when the executable has no libFuzzer or no symbol table.
  ///
  /// - Parameter testOneInput: This program's `LLVMFuzzerTestOneInput`. The caller passes it
  ///   because converting the function to a C pointer in this file would emit a second copy
  ///   of its C entry point here.
  static func find(testOneInput function: TestOneInput) -> Driver? {
    guard let image = FileManager.default.contents(atPath: "/proc/self/exe") else { return nil }
    let bytes = [UInt8](image)
    let symbols = symbolTable(bytes, names: ["LLVMFuzzerRunDriver", "LLVMFuzzerTestOneInput"])
    guard let driver = symbols["LLVMFuzzerRunDriver"],
      let testOneInput = symbols["LLVMFuzzerTestOneInput"]
    else { return nil }
    let loaded = UInt(bitPattern: unsafeBitCast(function, to: UnsafeRawPointer.self))
    let address = loaded &- UInt(testOneInput) &+ UInt(driver)
    guard let pointer = UnsafeRawPointer(bitPattern: address) else { return nil }
    return unsafeBitCast(pointer, to: Driver.self)
  }

  /// Reads the values of the named symbols from the `SHT_SYMTAB` section of a 64-bit
  /// little-endian ELF file.
  static func symbolTable(_ bytes: [UInt8], names: Set<String>) -> [String: UInt64] {
    func integer(_ offset: Int, _ size: Int) -> UInt64 {
      guard offset >= 0, offset + size <= bytes.count else { return 0 }
      var value: UInt64 = 0
      for index in (0..<size).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
      return value
    }
    let isELF64 = bytes.count > 64 && bytes[0..<4].elementsEqual([0x7F, 0x45, 0x4C, 0x46])
    guard isELF64, bytes[4] == 2, bytes[5] == 1 else { return [:] }
    let sectionTable = Int(integer(0x28, 8))
    let sectionSize = Int(integer(0x3A, 2))
    let sectionCount = Int(integer(0x3C, 2))
    var found: [String: UInt64] = [:]
    for section in 0..<sectionCount {
      let header = sectionTable + section * sectionSize
      guard integer(header + 4, 4) == 2 else { continue }  // SHT_SYMTAB
      let start = Int(integer(header + 0x18, 8))
      let size = Int(integer(header + 0x20, 8))
      let entrySize = max(Int(integer(header + 0x38, 8)), 1)
      let stringsHeader = sectionTable + Int(integer(header + 0x28, 4)) * sectionSize
      let strings = Int(integer(stringsHeader + 0x18, 8))
      for entry in stride(from: start, to: start + size, by: entrySize) {
        var end = strings + Int(integer(entry, 4))
        let nameStart = end
        while end < bytes.count && bytes[end] != 0 { end += 1 }
        let name = String(decoding: bytes[nameStart..<end], as: UTF8.self)
        if names.contains(name) { found[name] = integer(entry + 8, 8) }
      }
    }
    return found
  }
}
