/// An image file or byte buffer that could not be read or decoded.
///
/// The description names the file and the problem, for example
/// `cannot read image 'faces/a.png': the file is truncated (unexpected end of PNG data)`.
public struct ImageFileError: Error, CustomStringConvertible {
  /// The file path, or the name passed to `ImageIO.decode(_:name:)`.
  public let path: String
  /// The problem, in words a user can act on.
  public let reason: String

  /// Creates an error for `path` with a reason that completes "cannot read image 'path': ".
  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  /// The message shown to users: "cannot read image '<path>': <reason>".
  public var description: String { "cannot read image '\(path)': \(reason)" }
}

/// An image that could not be encoded, such as a PNG text key that the format does not allow.
public struct ImageEncodeError: Error, CustomStringConvertible {
  /// The format being written, "PNG" or "GIF".
  public let format: String
  /// The problem with the request.
  public let reason: String

  /// Creates an error for `format` with a reason that completes "cannot encode PNG: ".
  public init(format: String, reason: String) {
    self.format = format
    self.reason = reason
  }

  /// The message shown to users: "cannot encode <format>: <reason>".
  public var description: String { "cannot encode \(format): \(reason)" }
}
