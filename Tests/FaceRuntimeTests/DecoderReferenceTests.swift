import XCTest

@testable import FaceRuntime

/// Compares the decoder with the numpy implementation in Fixtures/make_decoder_reference.py.
final class DecoderReferenceTests: XCTestCase {
  static let cases = [
    "linear_sigmoid", "conv_kernel4x1_tanh", "conv_stride_pad_batchnorm", "codeparade_narrow",
  ]

  func fixture(_ name: String) throws -> String {
    try XCTUnwrap(
      Bundle.module.path(forResource: name, ofType: "safetensors", inDirectory: "Fixtures/decoder"),
      "fixture \(name) missing")
  }

  func testDecoderMatchesNumpyReference() throws {
    for name in Self.cases {
      let model = try FaceModel.load(path: try fixture(name))
      let expected = try SafetensorsFile(path: try fixture(name + ".expected")).floats("images")
      let count = model.trainingFaceCount
      let size = model.decoder.outputShape.count
      XCTAssertEqual(expected.count, count * size, name)

      // The whole table as one batch, then each face alone: both must match the reference.
      let batched = model.decoder.decode(model.latents, batch: count)
      var largest: Float = 0
      for i in 0..<expected.count { largest = max(largest, abs(batched[i] - expected[i])) }
      for face in 0..<count {
        let single = model.decoder.decode(model.trainingLatent(at: face), batch: 1)
        for i in 0..<size {
          largest = max(largest, abs(single[i] - expected[face * size + i]))
        }
      }
      print("decoder reference \(name): largest absolute difference \(largest)")
      XCTAssertLessThan(largest, 1e-4, name)
    }
  }

  func testCodeparadeArchitectureShape() throws {
    let architecture = Architecture.codeparade()
    let shapes = try architecture.shapes()
    XCTAssertEqual(shapes.last, SampleShape(3, 192, 144))
    XCTAssertEqual(shapes[2], SampleShape(256, 4, 1))
    let decoder = try Decoder(randomWeightsFor: architecture, seed: 3)
    let output = decoder.decode([Float](repeating: 0.1, count: 80), batch: 1)
    XCTAssertEqual(output.count, 3 * 192 * 144)
    XCTAssertTrue(output.allSatisfy { $0 >= 0 }, "sigmoid output below 0")
    XCTAssertTrue(output.allSatisfy { $0 <= 1 }, "sigmoid output above 1")
  }

  func testExtremeAndNaNLatentsDecodeWithoutCrash() throws {
    let model = FaceModel.makeRandom(latentSize: 8, seed: 5)
    var far = model.pca.mean
    for k in 0..<8 { far = zip(far, model.pca.axes[k]).map { $0 + 10 * model.pca.sigma[k] * $1 } }
    let images = model.decode([far, [Float](repeating: .nan, count: 8)])
    XCTAssertEqual(images.count, 2)
    XCTAssertEqual(images[1].pixels.count, 16 * 16 * 3)
    XCTAssertTrue(images[1].pixels.allSatisfy { $0 == 0 }, "NaN must decode to black")
  }

  func testQuantizeClampsRoundsAndMapsNaN() {
    XCTAssertEqual(RGBImage.quantize(-0.5), 0)
    XCTAssertEqual(RGBImage.quantize(2), 255)
    XCTAssertEqual(RGBImage.quantize(.nan), 0)
    XCTAssertEqual(RGBImage.quantize(.infinity), 255)
    XCTAssertEqual(RGBImage.quantize(0.5), 128)
    XCTAssertEqual(RGBImage.quantize(1.4 / 255), 1)
  }
}
