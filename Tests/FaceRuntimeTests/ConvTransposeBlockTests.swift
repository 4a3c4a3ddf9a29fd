import CFaceBLAS
import XCTest

@testable import FaceRuntime

/// Compares the blocked transposed convolution (facesh_conv_transpose) with the path through
/// a full column buffer, an OpenBLAS GEMM and a scatter, on shapes that exercise its
/// divisions into channel groups, sample blocks, bands of output rows and column chunks.
/// Winograd's method, which would take some of these layers, is off; WinogradTests covers it.
final class ConvTransposeBlockTests: XCTestCase {
  override func setUp() {
    super.setUp()
    transposedConvolutionMethod = .direct
  }

  override func tearDown() {
    facesh_sgemm_force_generic(0)
    gemmBackend = .automatic
    transposedConvolutionMethod = .automatic
    super.tearDown()
  }

  struct Configuration {
    var inputChannels: Int
    var outputChannels: Int
    var kernel: (Int, Int)
    var stride: (Int, Int)
    var padding: (Int, Int)
    var input: (Int, Int)
    var batch: Int
    var activation: ActivationLayer.Kind?
  }

  static let configurations = [
    // The default model's stride-2, kernel-4, padding-1 layers, several samples per task.
    Configuration(
      inputChannels: 5, outputChannels: 7, kernel: (4, 4), stride: (2, 2), padding: (1, 1),
      input: (9, 13), batch: 3, activation: .relu),
    // Two depth blocks and bands of output rows: few channels, one sample, a large plane.
    Configuration(
      inputChannels: 300, outputChannels: 3, kernel: (6, 6), stride: (2, 2), padding: (0, 0),
      input: (40, 30), batch: 1, activation: .sigmoid),
    // codeparade's first layer: 1×1 inputs, a 4×1 kernel, many samples.
    Configuration(
      inputChannels: 8, outputChannels: 10, kernel: (4, 1), stride: (1, 1), padding: (0, 0),
      input: (1, 1), batch: 64, activation: nil),
    // Rows wider than one column chunk, uneven strides and padding.
    Configuration(
      inputChannels: 4, outputChannels: 5, kernel: (3, 5), stride: (3, 1), padding: (2, 1),
      input: (20, 300), batch: 2, activation: .tanh),
    Configuration(
      inputChannels: 17, outputChannels: 65, kernel: (4, 4), stride: (2, 2), padding: (1, 1),
      input: (4, 4), batch: 5, activation: .leakyReLU(0.2)),
    // Stride-2 output rows of 300 values, too wide for the vectorized scatter's masks.
    Configuration(
      inputChannels: 3, outputChannels: 2, kernel: (4, 4), stride: (2, 2), padding: (1, 1),
      input: (3, 150), batch: 1, activation: nil),
  ]

  func makeLayer(_ configuration: Configuration, _ random: inout PortableRandom)
    -> ConvTransposeLayer
  {
    let (c, k) = (configuration.inputChannels, configuration.outputChannels)
    let (r, s) = configuration.kernel
    let scale = 1 / Double(c * r * s).squareRoot()
    let weight = (0..<(c * k * r * s)).map { _ in Float(random.nextGaussian() * scale) }
    let bias = (0..<k).map { _ in Float(random.nextGaussian() * 0.1) }
    return ConvTransposeLayer(
      inputChannels: c, outputChannels: k, kernel: configuration.kernel,
      stride: configuration.stride, padding: configuration.padding,
      weight: Parameter(name: "weight", shape: [c, k, r, s], value: weight),
      bias: Parameter(name: "bias", shape: [k], value: bias))
  }

  func checkAgainstColumnPath(generic: Bool) {
    var random = PortableRandom(seed: generic ? 21 : 22)
    facesh_sgemm_force_generic(generic ? 1 : 0)
    for (index, configuration) in Self.configurations.enumerated() {
      let layer = makeLayer(configuration, &random)
      let shape = SampleShape(
        configuration.inputChannels, configuration.input.0, configuration.input.1)
      let input = Activation(
        shape: shape, batch: configuration.batch,
        data: (0..<(shape.count * configuration.batch)).map { _ in Float(random.nextGaussian()) })

      gemmBackend = .openBLAS
      let expected = layer.forward(input, training: false, fusing: configuration.activation)
      gemmBackend = .automatic
      let inference = layer.forward(input, training: false, fusing: configuration.activation)
      let training = layer.forward(input, training: true, fusing: configuration.activation)

      XCTAssertEqual(inference.shape, expected.shape, "configuration \(index)")
      XCTAssertEqual(inference.data.count, expected.data.count, "configuration \(index)")
      var largest: Float = 0
      for (actual, wanted) in zip(inference.data, expected.data) {
        largest = max(largest, abs(actual - wanted))
      }
      XCTAssertLessThan(largest, 1e-5, "configuration \(index): largest difference")
      let mismatch = training.data.indices.first { training.data[$0] != inference.data[$0] }
      XCTAssertNil(mismatch, "configuration \(index): training and inference passes differ")
    }
  }

  func testBestKernelMatchesColumnPath() {
    checkAgainstColumnPath(generic: false)
  }

  func testGenericKernelMatchesColumnPath() {
    checkAgainstColumnPath(generic: true)
  }

  /// Bands of output rows must be covered exactly once: every pixel of a layer with zero
  /// weights equals its channel's bias.
  func testEveryPixelStartsFromBias() {
    var random = PortableRandom(seed: 23)
    let configuration = Self.configurations[1]
    let layer = makeLayer(configuration, &random)
    layer.weight.value = [Float](repeating: 0, count: layer.weight.value.count)
    let shape = SampleShape(
      configuration.inputChannels, configuration.input.0, configuration.input.1)
    let input = Activation(zeros: shape, batch: 1)
    let output = layer.forward(input, training: true, fusing: nil)
    let plane = output.shape.height * output.shape.width
    for k in 0..<configuration.outputChannels {
      for i in 0..<plane where output.data[k * plane + i] != layer.bias.value[k] {
        XCTFail("channel \(k), pixel \(i): \(output.data[k * plane + i]) is not the bias")
        return
      }
    }
  }
}

/// The training forward pass fuses each transposed convolution with the activation after it
/// and keeps one array for both outputs; that must not change outputs or gradients.
final class FusedTrainingPassTests: XCTestCase {
  func testFusedPassMatchesLayerByLayer() throws {
    for architecture in [
      Architecture.square(size: 16, latentSize: 6, width: 16),
      Architecture(
        name: "leaky", latentSize: 5,
        layers: [
          .reshape(channels: 5, height: 1, width: 1),
          .convTranspose2d(
            inChannels: 5, outChannels: 4, kernel: (4, 4), stride: (1, 1), padding: (0, 0)),
          .leakyReLU(slope: 0.2),
          .convTranspose2d(
            inChannels: 4, outChannels: 3, kernel: (4, 4), stride: (2, 2), padding: (1, 1)),
          .tanh,
        ]),
    ] {
      let decoder = try Decoder(randomWeightsFor: architecture, seed: 31)
      let batch = 3
      var random = PortableRandom(seed: 32)
      let latents = (0..<(batch * architecture.latentSize)).map { _ in
        Float(random.nextGaussian())
      }
      let fused = decoder.forwardForTraining(latents, batch: batch)
      var separate = [fused[0]]
      for layer in decoder.layers {
        separate.append(layer.forward(separate.last!, training: true))
      }
      XCTAssertEqual(fused.count, separate.count, architecture.name)
      XCTAssertEqual(fused.last!.data, separate.last!.data, "\(architecture.name): output")

      let gradient = Activation(
        shape: fused.last!.shape, batch: batch,
        data: (0..<fused.last!.data.count).map { _ in Float(random.nextGaussian()) })
      decoder.zeroGradients()
      let fusedLatentGradient = decoder.backward(fused, outputGradient: gradient)
      let fusedWeightGradients = decoder.parameters.map { $0.gradient }
      decoder.zeroGradients()
      let separateLatentGradient = decoder.backward(separate, outputGradient: gradient)
      XCTAssertEqual(fusedLatentGradient, separateLatentGradient, "\(architecture.name): latents")
      for (parameter, fusedGradient) in zip(decoder.parameters, fusedWeightGradients) {
        XCTAssertEqual(parameter.gradient, fusedGradient, "\(architecture.name): \(parameter.name)")
      }
    }
  }
}
