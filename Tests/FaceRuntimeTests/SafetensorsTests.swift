import Foundation
import XCTest

@testable import FaceRuntime

/// Builds raw safetensors bytes for tests, with any header text and data.
func rawSafetensors(header: String, data: [UInt8] = [], pad: Bool = true) -> [UInt8] {
  var text = Array(header.utf8)
  if pad { while text.count % 8 != 0 { text.append(0x20) } }
  var out: [UInt8] = []
  withUnsafeBytes(of: UInt64(text.count).littleEndian) { out.append(contentsOf: $0) }
  return out + text + data
}

func temporaryFolder() -> String {
  let path = NSTemporaryDirectory() + "facesh-test-" + UUID().uuidString
  try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

final class SafetensorsTests: XCTestCase {
  var folder = ""

  override func setUp() { folder = temporaryFolder() }
  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func write(_ bytes: [UInt8], name: String = "file.safetensors") -> String {
    let path = folder + "/" + name
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    return path
  }

  func loadError(_ bytes: [UInt8]) -> String {
    let path = write(bytes)
    do {
      _ = try FaceModel.load(path: path)
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  func testHalfAndBFloatDecodeBitExactly() throws {
    let halves: [(UInt16, UInt32)] = [
      (0x0000, 0x0000_0000), (0x8000, 0x8000_0000), (0x3C00, 0x3F80_0000),
      (0x0001, 0x3380_0000), (0x03FF, 0x387F_C000), (0x8001, 0xB380_0000),
      (0x7C00, 0x7F80_0000), (0xFC00, 0xFF80_0000), (0x7E00, 0x7FC0_0000),
      (0x7C01, 0x7F80_2000), (0x7BFF, 0x477F_E000), (0x0400, 0x3880_0000),
    ]
    var data: [UInt8] = [0xAA]  // one byte of padding makes every offset odd
    for (bits, _) in halves { data += [UInt8(bits & 0xFF), UInt8(bits >> 8)] }
    let bfloats: [UInt16] = [0x0000, 0x8000, 0x3F80, 0x7F80, 0xFF80, 0x7FC1, 0x0001, 0xC0A0]
    for bits in bfloats { data += [UInt8(bits & 0xFF), UInt8(bits >> 8)] }
    let floats: [UInt32] = [0x0000_0001, 0x8000_0000, 0x7FC0_1234, 0x4049_0FDB]
    for bits in floats { withUnsafeBytes(of: bits.littleEndian) { data += $0 } }
    let h = halves.count * 2
    let b = bfloats.count * 2
    let header = """
      {"h":{"dtype":"F16","shape":[\(halves.count)],"data_offsets":[1,\(1 + h)]},\
      "b":{"dtype":"BF16","shape":[\(bfloats.count)],"data_offsets":[\(1 + h),\(1 + h + b)]},\
      "f":{"dtype":"F32","shape":[4],"data_offsets":[\(1 + h + b),\(1 + h + b + 16)]}}
      """
    let file = try SafetensorsFile(path: write(rawSafetensors(header: header, data: data)))
    let decodedHalves = try file.floats("h")
    for (index, (_, expected)) in halves.enumerated() {
      XCTAssertEqual(decodedHalves[index].bitPattern, expected, "F16 entry \(index)")
    }
    let decodedB = try file.floats("b")
    for (index, bits) in bfloats.enumerated() {
      XCTAssertEqual(decodedB[index].bitPattern, UInt32(bits) << 16, "BF16 entry \(index)")
    }
    XCTAssertEqual(try file.floats("f").map { $0.bitPattern }, floats)
  }

  func testBadFilesGiveClearErrors() throws {
    let cases: [(String, [UInt8], String)] = [
      ("empty", [], "the file is empty"),
      ("lfs", Array("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 9\n".utf8),
       "Git LFS pointer"),
      ("short", [1, 2, 3], "too short for a safetensors header"),
      ("header too long", rawSafetensors(header: "{}") .prefix(8) + [0x7B], "header length"),
      ("not json", rawSafetensors(header: "{nope"), "not valid JSON"),
      ("unknown dtype",
       rawSafetensors(header: #"{"t":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
       "tensor 't': has dtype 'I64'"),
      ("size mismatch",
       rawSafetensors(header: #"{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
       "tensor 't': shape [3] of F32 needs 12 bytes, but its byte range holds 8"),
      ("past end",
       rawSafetensors(header: #"{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [UInt8](repeating: 0, count: 8)),
       "runs past the end of the data"),
      ("overlap",
       rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: [UInt8](repeating: 0, count: 12)),
       "overlaps tensor 'a'"),
      ("not a model",
       rawSafetensors(header: #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
       "not a facesh model"),
    ]
    for (name, bytes, expected) in cases {
      let message = loadError(bytes)
      XCTAssertTrue(message.contains(expected), "\(name): \(message)")
      XCTAssertTrue(message.contains("file.safetensors"), "\(name) must name the file: \(message)")
    }
  }

  func testHeaderLengthLargerThanFile() {
    var bytes = rawSafetensors(header: "{}")
    bytes.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0, 0, 0, 0, 0, 0])
    XCTAssertTrue(loadError(bytes).contains("larger than the"))
  }

  func testMissingTensorAndWrongShapeNameTheTensor() throws {
    let model = FaceModel.makeRandom(latentSize: 4, trainingFaces: 6, seed: 2)
    let path = folder + "/model.safetensors"
    try model.write(to: path)
    let file = try SafetensorsFile(path: path)

    // Rebuild the file without one tensor, and with one tensor of the wrong shape.
    for (drop, reshape, expected) in [
      ("decoder.0.bias", nil as String?, "tensor 'decoder.0.bias': missing from the file"),
      (nil, "decoder.3.weight", "tensor 'decoder.3.weight': has shape [16, 8, 2, 8]"),
    ] {
      var writer = SafetensorsWriter()
      writer.metadata = file.metadata
      for name in file.tensors.keys.sorted() where name != drop {
        let info = file.tensors[name]!
        var shape = info.shape
        if name == reshape { shape = [16, 8, 2, 8] }
        writer.add(name, shape: shape, values: try file.floats(name))
      }
      let broken = folder + "/broken.safetensors"
      try writer.write(to: broken)
      XCTAssertThrowsError(try FaceModel.load(path: broken)) { error in
        XCTAssertTrue("\(error)".contains(expected), "\(error)")
        XCTAssertTrue("\(error)".contains("broken.safetensors"))
      }
    }
  }

  func testArchitectureThatDoesNotFitIsRejected() throws {
    let header = """
      {"__metadata__":{"format":"facesh-model","architecture":"{\\"latent_size\\":4,\\"layers\\":[{\\"type\\":\\"linear\\",\\"in\\":5,\\"out\\":3}]}"}}
      """
    let message = loadError(rawSafetensors(header: header))
    XCTAssertTrue(message.contains("layer 0 (linear): expects 5 inputs but receives 4×1×1"), message)
  }

  func testModelRoundTripsThroughFile() throws {
    let model = FaceModel.makeRandom(latentSize: 6, trainingFaces: 9, seed: 11)
    let path = folder + "/round.safetensors"
    try model.write(to: path)
    let loaded = try FaceModel.load(path: path)
    XCTAssertEqual(loaded.latents, model.latents)
    XCTAssertEqual(loaded.pca, model.pca)
    XCTAssertEqual(loaded.architecture, model.architecture)
    XCTAssertEqual(loaded.decode(model.trainingLatent(at: 3)), model.decode(model.trainingLatent(at: 3)))
    XCTAssertEqual(loaded.contentHash, model.contentHash)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
    XCTAssertEqual(leftovers, ["round.safetensors"], "the atomic write must leave no temporary file")
  }

  func testAtomicWriteOntoFolderSaysSo() throws {
    try FileManager.default.createDirectory(
      atPath: folder + "/taken.png", withIntermediateDirectories: true)
    XCTAssertThrowsError(try AtomicFile.write([1, 2, 3], to: folder + "/taken.png")) { error in
      XCTAssertTrue("\(error)".contains("a folder of that name is in the way"), "\(error)")
    }
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
    XCTAssertFalse(leftovers.contains { $0.contains(".tmp-") }, "\(leftovers)")
  }

  func testAtomicWriteIntoMissingFolderFailsCleanly() {
    XCTAssertThrowsError(try AtomicFile.write([1, 2, 3], to: folder + "/missing/x.bin")) { error in
      XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
    }
  }
}
