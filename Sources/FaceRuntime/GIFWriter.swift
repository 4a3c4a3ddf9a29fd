import CFaceImage

/// Animated GIF output for morphs and latent walks.
///
/// libimagequant builds one palette of up to 256 colours from the colour histogram of all
/// frames, so a colour keeps its palette entry from frame to frame. Each frame is remapped
/// to it with full dithering (level 1.0) and stores the palette libimagequant reports after
/// that remapping as its own colour table, because remapping may refine the palette.
/// giflib writes the file.
public enum GIFWriter {
  /// Encodes frames as an animated GIF and writes it atomically, so readers never see a
  /// partial file.
  ///
  /// - Parameters:
  ///   - frames: The frames, all of the same size, 1 to 65535 pixels on a side.
  ///   - path: The destination; its folder must exist.
  ///   - delayCentiseconds: Time each frame stays on screen, in hundredths of a second,
  ///     0 to 65535.
  ///   - loop: Whether viewers repeat the animation forever (a NETSCAPE2.0 extension)
  ///     rather than stop after one pass.
  /// - Throws: `ImageEncodeError` for invalid frames or delay, `FileWriteError` naming
  ///   `path` when the file cannot be written.
  public static func write(
    _ frames: [RGBImage], to path: String, delayCentiseconds: Int, loop: Bool = true
  ) throws {
    let bytes = try encode(frames, delayCentiseconds: delayCentiseconds, loop: loop)
    try AtomicFile.write(bytes, to: path)
  }

  /// Encodes frames as an animated GIF in memory.
  ///
  /// - Parameters:
  ///   - frames: The frames, all of the same size, 1 to 65535 pixels on a side.
  ///   - delayCentiseconds: Time each frame stays on screen, in hundredths of a second,
  ///     0 to 65535.
  ///   - loop: Whether viewers repeat the animation forever.
  /// - Returns: The GIF89a file contents.
  /// - Throws: `ImageEncodeError` when there are no frames, the frames differ in size, a
  ///   side is outside 1...65535 or the delay is outside 0...65535.
  public static func encode(
    _ frames: [RGBImage], delayCentiseconds: Int, loop: Bool = true
  ) throws -> [UInt8] {
    try validate(frames, delayCentiseconds: delayCentiseconds)
    let width = frames[0].width
    let height = frames[0].height
    let frameBytes = width * height * 3

    // One contiguous copy gives the C layer stable pointers to every frame at once.
    var joined = [UInt8]()
    joined.reserveCapacity(frameBytes * frames.count)
    for frame in frames {
      joined += frame.pixels
    }
    var buffer = cfi_buffer()
    var message = [CChar](repeating: 0, count: Int(CFI_MESSAGE_CAPACITY))
    let status = joined.withUnsafeBufferPointer { all in
      let pointers = frames.indices.map { Optional(all.baseAddress! + $0 * frameBytes) }
      return cfi_gif_encode(
        pointers, Int32(frames.count), Int32(width), Int32(height), Int32(delayCentiseconds),
        loop ? 1 : 0, &buffer, &message)
    }
    guard status == CFI_OK else {
      let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
      throw ImageEncodeError(format: "GIF", reason: reason)
    }
    defer { cfi_free(buffer.bytes) }
    return Array(UnsafeBufferPointer(start: buffer.bytes, count: buffer.count))
  }

  private static func validate(_ frames: [RGBImage], delayCentiseconds: Int) throws {
    guard let first = frames.first else {
      throw ImageEncodeError(format: "GIF", reason: "there are no frames to encode")
    }
    guard (1...65535).contains(first.width), (1...65535).contains(first.height) else {
      throw ImageEncodeError(
        format: "GIF",
        reason: "frame 0 is \(first.width)x\(first.height); GIF sides must be 1 to 65535")
    }
    for (index, frame) in frames.enumerated()
    where frame.width != first.width || frame.height != first.height {
      throw ImageEncodeError(
        format: "GIF",
        reason: "frame \(index) is \(frame.width)x\(frame.height) but frame 0 is "
          + "\(first.width)x\(first.height); resize the frames to one size")
    }
    guard (0...65535).contains(delayCentiseconds) else {
      throw ImageEncodeError(
        format: "GIF",
        reason: "the delay \(delayCentiseconds) is outside 0...65535 hundredths of a second")
    }
  }
}
