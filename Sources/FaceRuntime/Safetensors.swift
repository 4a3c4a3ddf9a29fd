import Foundation

/// Element types a safetensors tensor may have in a facesh model.
public enum TensorDType: String, Sendable {
  case f32 = "F32"
  case f16 = "F16"
  case bf16 = "BF16"

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .f32: return 4
    case .f16, .bf16: return 2
    }
  }
}

/// An error from reading or validating a model or safetensors file.
///
/// The description names the file, the tensor where one is involved, and what to do.
public struct ModelFileError: Error, CustomStringConvertible {
  public let path: String
  public let tensor: String?
  public let reason: String

  public init(path: String, tensor: String? = nil, reason: String) {
    self.path = path
    self.tensor = tensor
    self.reason = reason
  }

  public var description: String {
    if let tensor {
      return "\(path): tensor '\(tensor)': \(reason)"
    }
    return "\(path): \(reason)"
  }
}

/// One tensor's entry in a safetensors header.
public struct TensorInfo: Sendable {
  public let name: String
  public let dtype: TensorDType
  public let shape: [Int]
  /// Byte range relative to the start of the data section.
  public let range: Range<Int>

  public var elementCount: Int { shape.reduce(1, *) }
}

/// A read-only, memory-mapped safetensors file.
///
/// The whole file is mapped once; tensors are decoded into `[Float]` on request. Every offset
/// is checked against the file size before any byte is read.
public final class SafetensorsFile: @unchecked Sendable {
  public let path: String
  public let metadata: [String: String]
  public let tensors: [String: TensorInfo]
  private let mapping: UnsafeRawPointer?
  private let fileSize: Int
  private let dataStart: Int

  /// Maps and validates the file at `path`.
  ///
  /// - Throws: `ModelFileError` for a missing, empty, truncated or malformed file.
  public init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      let reason = errno == ENOENT ? "file not found" : String(cString: strerror(errno))
      throw ModelFileError(path: path, reason: reason)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw ModelFileError(path: path, reason: String(cString: strerror(errno)))
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw ModelFileError(path: path, reason: "not a regular file")
    }
    let size = Int(info.st_size)
    guard size > 0 else {
      throw ModelFileError(path: path, reason: "the file is empty (0 bytes)")
    }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      throw ModelFileError(path: path, reason: "cannot map the file: \(String(cString: strerror(errno)))")
    }
    let pointer = UnsafeRawPointer(base)
    do {
      let parsed = try SafetensorsFile.parseHeader(pointer, size: size, path: path)
      self.metadata = parsed.metadata
      self.tensors = parsed.tensors
      self.dataStart = parsed.dataStart
    } catch {
      munmap(base, size)
      throw error
    }
    self.mapping = pointer
    self.fileSize = size
  }

  deinit {
    if let mapping { munmap(UnsafeMutableRawPointer(mutating: mapping), fileSize) }
  }

  /// Returns the tensor `name` converted to 32-bit floats, checking its shape when given.
  ///
  /// - Throws: `ModelFileError` naming the tensor when it is missing or has another shape.
  public func floats(_ name: String, shape expected: [Int]? = nil) throws -> [Float] {
    guard let info = tensors[name] else {
      throw ModelFileError(path: path, tensor: name, reason: "missing from the file")
    }
    if let expected, expected != info.shape {
      throw ModelFileError(
        path: path, tensor: name,
        reason: "has shape \(info.shape), but the architecture needs \(expected)")
    }
    let source = mapping! + dataStart + info.range.lowerBound
    return SafetensorsFile.decode(source, dtype: info.dtype, count: info.elementCount)
  }

  /// Decodes `count` little-endian elements at an address of any alignment.
  static func decode(_ source: UnsafeRawPointer, dtype: TensorDType, count: Int) -> [Float] {
    var out = [Float](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { buffer in
      switch dtype {
      case .f32:
        for i in 0..<count {
          let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
          buffer[i] = Float(bitPattern: bits)
        }
      case .f16:
        for i in 0..<count {
          let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
          buffer[i] = HalfFloat.toFloat(bits)
        }
      case .bf16:
        for i in 0..<count {
          let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
          buffer[i] = Float(bitPattern: UInt32(bits) << 16)
        }
      }
    }
    return out
  }

  private struct Header {
    var metadata: [String: String]
    var tensors: [String: TensorInfo]
    var dataStart: Int
  }

  private static let maxHeaderSize = 100 << 20

  private static func parseHeader(_ base: UnsafeRawPointer, size: Int, path: String) throws
    -> Header
  {
    if size >= 7, String(decoding: UnsafeRawBufferPointer(start: base, count: 7), as: UTF8.self)
      == "version"
    {
      let text = String(decoding: UnsafeRawBufferPointer(start: base, count: min(size, 200)), as: UTF8.self)
      if text.contains("git-lfs") {
        throw ModelFileError(
          path: path,
          reason: "this is a Git LFS pointer, not the model; run 'git lfs pull' to fetch the file")
      }
    }
    guard size >= 8 else {
      throw ModelFileError(path: path, reason: "the file is \(size) bytes, too short for a safetensors header")
    }
    let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
    guard headerLength <= UInt64(size - 8) else {
      throw ModelFileError(
        path: path,
        reason: "the header length \(headerLength) is larger than the \(size - 8) bytes after it; the file is truncated or not safetensors")
    }
    guard headerLength <= UInt64(maxHeaderSize) else {
      throw ModelFileError(path: path, reason: "the header length \(headerLength) exceeds the limit of \(maxHeaderSize) bytes")
    }
    let headerBytes = Data(bytes: base + 8, count: Int(headerLength))
    let json: Any
    do {
      json = try JSONSerialization.jsonObject(with: headerBytes)
    } catch {
      throw ModelFileError(path: path, reason: "the header is not valid JSON; the file is not safetensors or is corrupt")
    }
    guard let object = json as? [String: Any] else {
      throw ModelFileError(path: path, reason: "the header is JSON but not an object")
    }
    let dataStart = 8 + Int(headerLength)
    let dataSize = size - dataStart
    var metadata: [String: String] = [:]
    var tensors: [String: TensorInfo] = [:]
    for (name, value) in object {
      if name == "__metadata__" {
        guard let entries = value as? [String: Any] else {
          throw ModelFileError(path: path, reason: "'__metadata__' must be an object of strings")
        }
        for (key, item) in entries {
          guard let text = item as? String else {
            throw ModelFileError(path: path, reason: "metadata entry '\(key)' is not a string")
          }
          metadata[key] = text
        }
        continue
      }
      tensors[name] = try parseTensor(name: name, value: value, dataSize: dataSize, path: path)
    }
    try checkOverlaps(tensors, path: path)
    return Header(metadata: metadata, tensors: tensors, dataStart: dataStart)
  }

  private static func parseTensor(name: String, value: Any, dataSize: Int, path: String) throws
    -> TensorInfo
  {
    guard let entry = value as? [String: Any] else {
      throw ModelFileError(path: path, tensor: name, reason: "header entry is not an object")
    }
    guard let dtypeName = entry["dtype"] as? String else {
      throw ModelFileError(path: path, tensor: name, reason: "has no 'dtype'")
    }
    guard let dtype = TensorDType(rawValue: dtypeName) else {
      throw ModelFileError(
        path: path, tensor: name,
        reason: "has dtype '\(dtypeName)', which facesh cannot read; use F32, F16 or BF16")
    }
    guard let shapeValues = entry["shape"] as? [Any],
      let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 })
    else {
      throw ModelFileError(path: path, tensor: name, reason: "'shape' must be a list of non-negative integers")
    }
    guard let offsetValues = entry["data_offsets"] as? [Any],
      let offsets = integers(offsetValues), offsets.count == 2
    else {
      throw ModelFileError(path: path, tensor: name, reason: "'data_offsets' must be two integers")
    }
    let (begin, end) = (offsets[0], offsets[1])
    guard begin >= 0, end >= begin else {
      throw ModelFileError(path: path, tensor: name, reason: "data_offsets [\(begin), \(end)] are not an increasing byte range")
    }
    guard end <= dataSize else {
      throw ModelFileError(
        path: path, tensor: name,
        reason: "byte range [\(begin), \(end)) runs past the end of the data (\(dataSize) bytes); the file is truncated")
    }
    var count = 1
    for dimension in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
      guard !overflow else {
        throw ModelFileError(path: path, tensor: name, reason: "shape \(shape) is too large")
      }
      count = product
    }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
    guard !overflow, bytes == end - begin else {
      throw ModelFileError(
        path: path, tensor: name,
        reason: "shape \(shape) of \(dtypeName) needs \(overflow ? "too many" : String(bytes)) bytes, but its byte range holds \(end - begin)")
    }
    return TensorInfo(name: name, dtype: dtype, shape: shape, range: begin..<end)
  }

  private static func integers(_ values: [Any]) -> [Int]? {
    var out: [Int] = []
    for value in values {
      guard let number = value as? NSNumber else { return nil }
      let double = number.doubleValue
      guard double == double.rounded(), abs(double) < 9.0e15 else { return nil }
      out.append(number.intValue)
    }
    return out
  }

  private static func checkOverlaps(_ tensors: [String: TensorInfo], path: String) throws {
    let sorted = tensors.values.filter { !$0.range.isEmpty }.sorted {
      ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name)
    }
    for (previous, next) in zip(sorted, sorted.dropFirst())
    where next.range.lowerBound < previous.range.upperBound {
      throw ModelFileError(
        path: path, tensor: next.name,
        reason: "byte range [\(next.range.lowerBound), \(next.range.upperBound)) overlaps tensor '\(previous.name)' [\(previous.range.lowerBound), \(previous.range.upperBound))")
    }
  }
}

/// Builds a safetensors file in memory: F32 tensors in insertion order, then an atomic write.
public struct SafetensorsWriter {
  private var entries: [(name: String, shape: [Int], values: [Float])] = []
  public var metadata: [String: String] = [:]

  public init() {}

  /// Adds an F32 tensor; `values.count` must equal the product of `shape`.
  public mutating func add(_ name: String, shape: [Int], values: [Float]) {
    precondition(shape.reduce(1, *) == values.count, "tensor '\(name)' shape does not match its data")
    entries.append((name, shape, values))
  }

  /// Returns the file's bytes. The header is padded with spaces to a multiple of 8 bytes.
  public func encode() -> [UInt8] {
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var offset = 0
    for entry in entries {
      let bytes = entry.values.count * 4
      header[entry.name] = [
        "dtype": "F32", "shape": entry.shape, "data_offsets": [offset, offset + bytes],
      ]
      offset += bytes
    }
    var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while json.count % 8 != 0 { json.append(0x20) }
    var out = [UInt8]()
    out.reserveCapacity(8 + json.count + offset)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: json)
    for entry in entries {
      for value in entry.values {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
      }
    }
    return out
  }

  /// Writes the file atomically (temporary file, then rename).
  public func write(to path: String) throws {
    try AtomicFile.write(encode(), to: path)
  }
}

/// Bit-exact IEEE 754 binary16 conversion.
public enum HalfFloat {
  /// Converts binary16 bits to a Float, keeping subnormals, infinities, NaN payloads and −0.
  public static func toFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0x1F {
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent == 0 {
      if mantissa == 0 { return Float(bitPattern: sign) }
      // A subnormal half is mantissa × 2^-24, exactly representable as a normal Float.
      let magnitude = Float(mantissa) * 0x1.0p-24
      return sign != 0 ? -magnitude : magnitude
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
  }
}
