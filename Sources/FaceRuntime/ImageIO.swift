import CFaceImage
import Foundation

/// Reads PNG and JPEG images into `RGBImage` and writes PNG files with text metadata.
///
/// All decoding goes through libpng and libjpeg-turbo behind the CFaceImage C layer, which
/// turns their fatal errors into `ImageFileError`s, so a damaged file never stops the process.
public enum ImageIO {
  /// The colour that transparent and translucent PNG pixels are composited over: white.
  ///
  /// Compositing blends the 8-bit samples linearly,
  /// `(sample * alpha + background * (255 - alpha)) / 255`, without gamma correction.
  public static let background: (UInt8, UInt8, UInt8) = (255, 255, 255)

  /// The largest width or height accepted when decoding, in pixels.
  package static let maximumSide = 16384

  /// Reads and decodes the image file at `path`.
  ///
  /// The format is recognised from the first bytes, not the extension, so a PNG file named
  /// `.jpg` still loads. JPEG EXIF orientation is applied.
  /// - Parameter path: The file to read.
  /// - Returns: The image as 8-bit RGB, upright.
  /// - Throws: `ImageFileError` naming `path` when the file is missing, unreadable, empty,
  ///   of an unsupported format, damaged or larger than 16384 pixels on a side.
  public static func read(path: String) throws -> RGBImage {
    try decode(readFile(path: path), name: path)
  }

  /// Decodes PNG or JPEG bytes, recognising the format from its signature.
  ///
  /// - Parameters:
  ///   - bytes: The contents of an image file.
  ///   - name: The name used in error messages, usually the file path.
  /// - Returns: The image as 8-bit RGB. PNG alpha is composited over `background`, JPEG EXIF
  ///   orientation is applied.
  /// - Throws: `ImageFileError` naming `name`.
  public static func decode(_ bytes: [UInt8], name: String) throws -> RGBImage {
    switch ImageFormat.sniff(bytes) {
    case .png:
      return try decodePNG(bytes, name: name)
    case .jpeg:
      return try decodeJPEG(bytes, name: name)
    case .unsupported(let reason):
      throw ImageFileError(path: name, reason: reason)
    }
  }

  /// Encodes an image as an 8-bit RGB PNG, with optional text chunks.
  ///
  /// A pair whose value is ASCII becomes a `tEXt` chunk; any other value is stored as UTF-8
  /// in an uncompressed `iTXt` chunk. The chunks come before the image data.
  /// - Parameters:
  ///   - image: The image; it must be at least 1x1.
  ///   - text: Keyword and value pairs such as `("Software", "facesh")`. Keywords must be
  ///     1 to 79 printable ASCII characters without leading, trailing or double spaces.
  /// - Returns: The PNG file contents.
  /// - Throws: `ImageEncodeError` for an empty image, an invalid keyword or a value that
  ///   contains a NUL character.
  public static func encodePNG(
    _ image: RGBImage, text: [(key: String, value: String)] = []
  ) throws -> [UInt8] {
    guard image.width > 0, image.height > 0 else {
      throw ImageEncodeError(
        format: "PNG", reason: "the image is \(image.width)x\(image.height); PNG needs at least 1x1"
      )
    }
    for pair in text {
      try validateTextChunk(key: pair.key, value: pair.value)
    }
    let keys = text.map { strdup($0.key) }
    let values = text.map { strdup($0.value) }
    defer {
      keys.forEach { free($0) }
      values.forEach { free($0) }
    }
    let keyPointers = keys.map { UnsafePointer($0) }
    let valuePointers = values.map { UnsafePointer($0) }
    var buffer = cfi_buffer()
    var message = [CChar](repeating: 0, count: Int(CFI_MESSAGE_CAPACITY))
    let status = image.pixels.withUnsafeBufferPointer { pixels in
      cfi_png_encode(
        pixels.baseAddress, Int32(image.width), Int32(image.height), keyPointers, valuePointers,
        Int32(text.count), &buffer, &message)
    }
    guard status == CFI_OK else {
      throw ImageEncodeError(format: "PNG", reason: string(from: message))
    }
    defer { cfi_free(buffer.bytes) }
    return Array(UnsafeBufferPointer(start: buffer.bytes, count: buffer.count))
  }

  /// Encodes an image as PNG and writes it atomically, so readers never see a partial file.
  ///
  /// - Parameters:
  ///   - image: The image; it must be at least 1x1.
  ///   - path: The destination; its folder must exist.
  ///   - text: Keyword and value pairs, as for `encodePNG(_:text:)`.
  /// - Throws: `ImageEncodeError` as `encodePNG(_:text:)` does, or `FileWriteError` naming
  ///   `path` when the file cannot be written.
  public static func writePNG(
    _ image: RGBImage, to path: String, text: [(key: String, value: String)] = []
  ) throws {
    try AtomicFile.write(encodePNG(image, text: text), to: path)
  }

  // MARK: - Decoding through the C layer

  private static func decodePNG(_ bytes: [UInt8], name: String) throws -> RGBImage {
    let background = [ImageIO.background.0, ImageIO.background.1, ImageIO.background.2]
    return try callDecoder(name: name) { image, message in
      bytes.withUnsafeBufferPointer { input in
        cfi_png_decode(
          input.baseAddress, input.count, background, Int32(maximumSide), &image, message)
      }
    }
  }

  private static func decodeJPEG(_ bytes: [UInt8], name: String) throws -> RGBImage {
    var orientation = 1
    let stored = try callDecoder(name: name) { image, message in
      let status = bytes.withUnsafeBufferPointer { input in
        cfi_jpeg_decode(input.baseAddress, input.count, Int32(maximumSide), &image, message)
      }
      orientation = Int(image.orientation)
      return status
    }
    return ImageOps.oriented(stored, exifOrientation: orientation)
  }

  /// Runs one C decoder and turns its status, message and malloc'd pixels into Swift values.
  private static func callDecoder(
    name: String, _ decoder: (inout cfi_image, UnsafeMutablePointer<CChar>) -> Int32
  ) throws -> RGBImage {
    var image = cfi_image()
    var message = [CChar](repeating: 0, count: Int(CFI_MESSAGE_CAPACITY))
    let status = message.withUnsafeMutableBufferPointer { decoder(&image, $0.baseAddress!) }
    guard status == CFI_OK else {
      throw ImageFileError(path: name, reason: string(from: message))
    }
    defer { cfi_free(image.pixels) }
    let width = Int(image.width)
    let height = Int(image.height)
    let pixels = Array(UnsafeBufferPointer(start: image.pixels, count: width * height * 3))
    return RGBImage(width: width, height: height, pixels: pixels)
  }

  private static func string(from message: [CChar]) -> String {
    message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
  }

  // MARK: - Files and text chunks

  /// The largest image file read, in bytes: 1 GiB, far above any photo.
  static let maximumFileSize = 1 << 30

  /// Reads a whole file, turning `errno` into a reason such as "no such file or directory".
  ///
  /// Only regular files are read. The file is opened without blocking, so a FIFO or device
  /// named like an image gives an error instead of waiting for a writer.
  static func readFile(path: String) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK)
    guard descriptor >= 0 else {
      throw ImageFileError(path: path, reason: describeErrno(errno))
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw ImageFileError(path: path, reason: describeErrno(errno))
    }
    switch status.st_mode & S_IFMT {
    case S_IFREG:
      break
    case S_IFDIR:
      throw ImageFileError(path: path, reason: "it is a directory, not an image file")
    default:
      throw ImageFileError(
        path: path, reason: "it is not a regular file (a pipe, socket or device); copy the image into a file")
    }
    guard Int(status.st_size) <= maximumFileSize else {
      throw ImageFileError(
        path: path,
        reason: "the file is \(Int(status.st_size) >> 20) MiB; image files over 1 GiB are not read")
    }
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
    var bytes = [UInt8]()
    bytes.reserveCapacity(max(0, Int(status.st_size)))
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes {
        Foundation.read(descriptor, $0.baseAddress, $0.count)
      }
      if count < 0 {
        if errno == EINTR { continue }
        throw ImageFileError(path: path, reason: describeErrno(errno))
      }
      if count == 0 { break }
      bytes.append(contentsOf: chunk[0..<count])
    }
    return bytes
  }

  private static func describeErrno(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    return text.prefix(1).lowercased() + text.dropFirst()
  }

  /// Checks a keyword against the PNG rules (1 to 79 Latin-1 characters, no leading,
  /// trailing or double spaces), narrowed to printable ASCII so every reader shows it alike.
  private static func validateTextChunk(key: String, value: String) throws {
    let bytes = Array(key.utf8)
    let printable = bytes.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
    guard !bytes.isEmpty, bytes.count <= 79, printable, bytes.first != 0x20,
      bytes.last != 0x20, !key.contains("  ")
    else {
      throw ImageEncodeError(
        format: "PNG",
        reason: "invalid text key '\(key)'; use 1 to 79 printable ASCII characters "
          + "without leading, trailing or double spaces")
    }
    guard !value.utf8.contains(0) else {
      throw ImageEncodeError(
        format: "PNG", reason: "the value of text key '\(key)' contains a NUL character")
    }
  }
}
