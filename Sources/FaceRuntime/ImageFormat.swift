/// The format of an image file, recognised from its first bytes.
enum ImageFormat: Equatable {
  case png
  case jpeg
  /// Not decodable; the reason names the format when it is a known one.
  case unsupported(reason: String)

  private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Other formats that users are likely to pass by mistake, with their signatures.
  private static let knownFormats: [(name: String, signature: [UInt8])] = [
    ("GIF", Array("GIF8".utf8)),
    ("BMP", Array("BM".utf8)),
    ("TIFF", [0x49, 0x49, 0x2A, 0x00]),
    ("TIFF", [0x4D, 0x4D, 0x00, 0x2A]),
    ("JPEG 2000", [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]),
  ]

  /// Recognises PNG (the 8-byte signature) and JPEG (an SOI marker followed by another
  /// marker, `FF D8 FF`).
  static func sniff(_ bytes: [UInt8]) -> ImageFormat {
    if bytes.isEmpty {
      return .unsupported(reason: "the file is empty (0 bytes)")
    }
    if bytes.starts(with: pngSignature) {
      return .png
    }
    if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
      return .jpeg
    }
    if bytes.count < pngSignature.count, pngSignature.starts(with: bytes) {
      return .unsupported(reason: "the file is truncated (\(bytes.count) bytes of a PNG signature)")
    }
    if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)),
      Array(bytes[8..<12]) == Array("WEBP".utf8)
    {
      return unsupported(name: "WebP")
    }
    for format in knownFormats where bytes.starts(with: format.signature) {
      return unsupported(name: format.name)
    }
    let head = bytes.prefix(8).map { hex($0) }.joined(separator: " ")
    return .unsupported(
      reason: "unknown image format (the file starts with \(head)); expected PNG or JPEG")
  }

  private static func unsupported(name: String) -> ImageFormat {
    .unsupported(reason: "\(name) images are not supported; convert the file to PNG or JPEG")
  }

  private static func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return digits.count == 1 ? "0" + digits : digits
  }
}
