/// Reads the text chunks of a PNG file, where facesh keeps a face's latent vector.
public enum PNGText {
  /// Reads and decodes the image at `path` and returns it with the PNG's text chunks.
  ///
  /// - Returns: The image as `ImageIO.read(path:)` returns it, and the keyword and value of
  ///   every `tEXt` chunk and uncompressed `iTXt` chunk with a valid checksum, in file order.
  ///   JPEG files and PNG files without text give no pairs.
  /// - Throws: `ImageFileError` naming `path`, as `ImageIO.read(path:)` does.
  public static func readImage(path: String) throws -> (
    image: RGBImage, text: [(key: String, value: String)]
  ) {
    let bytes = try ImageIO.readFile(path: path)
    let image = try ImageIO.decode(bytes, name: path)
    return (image, chunks(in: bytes))
  }

  /// Largest text chunk read, in bytes. facesh's own chunks take a few kilobytes, so a larger
  /// one is skipped without decoding it or checking its checksum.
  public static let largestTextChunk = 1 << 20

  /// Returns the keyword and value of every readable text chunk in PNG file contents.
  ///
  /// `tEXt` values are Latin-1 and uncompressed `iTXt` values are UTF-8. Compressed chunks,
  /// chunks with a bad checksum, chunks over `largestTextChunk` bytes and chunks cut off by
  /// the end of the data are skipped.
  public static func chunks(in bytes: [UInt8]) -> [(key: String, value: String)] {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { return [] }
    var pairs: [(key: String, value: String)] = []
    var offset = 8
    while offset + 12 <= bytes.count {
      let length =
        Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
        | Int(bytes[offset + 3])
      let typeStart = offset + 4
      let dataStart = offset + 8
      guard length <= bytes.count - dataStart - 4 else { break }
      let dataEnd = dataStart + length
      let type = String(decoding: bytes[typeStart..<dataStart], as: UTF8.self)
      if type == "IEND" { break }
      if (type == "tEXt" || type == "iTXt") && length <= largestTextChunk {
        let stored =
          UInt32(bytes[dataEnd]) << 24 | UInt32(bytes[dataEnd + 1]) << 16
          | UInt32(bytes[dataEnd + 2]) << 8 | UInt32(bytes[dataEnd + 3])
        if crc32(bytes[typeStart..<dataEnd]) == stored,
          let pair = type == "tEXt"
            ? plainText(bytes[dataStart..<dataEnd]) : internationalText(bytes[dataStart..<dataEnd])
        {
          pairs.append(pair)
        }
      }
      offset = dataEnd + 4
    }
    return pairs
  }

  /// keyword NUL text, both Latin-1.
  private static func plainText(_ data: ArraySlice<UInt8>) -> (key: String, value: String)? {
    guard let separator = data.firstIndex(of: 0) else { return nil }
    return (latin1(data[data.startIndex..<separator]), latin1(data[(separator + 1)...]))
  }

  /// keyword NUL, compression flag, method, language NUL, translated keyword NUL, text.
  private static func internationalText(_ data: ArraySlice<UInt8>) -> (
    key: String, value: String
  )? {
    guard let keyEnd = data.firstIndex(of: 0), keyEnd + 2 < data.endIndex,
      data[keyEnd + 1] == 0
    else { return nil }
    let rest = data[(keyEnd + 3)...]
    guard let languageEnd = rest.firstIndex(of: 0) else { return nil }
    let afterLanguage = rest[(languageEnd + 1)...]
    guard let translatedEnd = afterLanguage.firstIndex(of: 0) else { return nil }
    let text = afterLanguage[(translatedEnd + 1)...]
    return (latin1(data[data.startIndex..<keyEnd]), String(decoding: text, as: UTF8.self))
  }

  private static func latin1(_ bytes: ArraySlice<UInt8>) -> String {
    String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
  }

  private static let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  /// Computes the CRC-32 that PNG chunks carry, over the chunk type and data.
  static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }
}
