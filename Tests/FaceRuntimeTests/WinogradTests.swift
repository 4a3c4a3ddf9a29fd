import CFaceBLAS
import XCTest

@testable import FaceRuntime

/// Compares the Winograd transposed convolution (facesh_winograd) with the GEMM and scatter
/// on 4×4, stride-2 layers of every padding, odd output sizes, channel counts that leave
/// partial kernel panels, several depth blocks, and batches that fill several task blocks.
final class WinogradTests: XCTestCase {
  override func tearDown() {
    facesh_sgemm_force_generic(0)
    transposedConvolutionMethod = .automatic
    gemmBackend = .automatic
    super.tearDown()
  }

  struct Configuration {
    var inputChannels: Int
    var outputChannels: Int
    var padding: (Int, Int)
    var input: (Int, Int)
    var batch: Int
    var activation: ActivationLayer.Kind?
  }

  static let configurations = [
    // The default model's layers: padding 1, output sides a multiple of 4.
    Configuration(
      inputChannels: 24, outputChannels: 32, padding: (1, 1), input: (8, 8), batch: 3,
      activation: .relu),
    // codeparade's: padding 0, outputs of 2·H + 2 rows, which leave partial 4×4 blocks.
    Configuration(
      inputChannels: 20, outputChannels: 13, padding: (0, 0), input: (5, 7), batch: 2,
      activation: nil),
    // Two depth blocks of the packed weight, one sample: output channels split into groups.
    Configuration(
      inputChannels: 300, outputChannels: 130, padding: (1, 1), input: (4, 6), batch: 1,
      activation: .sigmoid),
    // Paddings 2 and 3 and different ones per direction.
    Configuration(
      inputChannels: 7, outputChannels: 17, padding: (2, 3), input: (9, 6), batch: 4,
      activation: .tanh),
    Configuration(
      inputChannels: 9, outputChannels: 16, padding: (3, 0), input: (6, 5), batch: 2,
      activation: .leakyReLU(0.2)),
    // Many tiles: several task blocks, the last one partly filled.
    Configuration(
      inputChannels: 16, outputChannels: 20, padding: (1, 1), input: (3, 5), batch: 41,
      activation: .relu),
  ]

  func makeLayer(_ configuration: Configuration, _ random: inout PortableRandom)
    -> ConvTransposeLayer
  {
    let (c, k) = (configuration.inputChannels, configuration.outputChannels)
    let scale = 1 / Double(c * 16).squareRoot()
    let weight = (0..<(c * k * 16)).map { _ in Float(random.nextGaussian() * scale) }
    let bias = (0..<k).map { _ in Float(random.nextGaussian() * 0.1) }
    return ConvTransposeLayer(
      inputChannels: c, outputChannels: k, kernel: (4, 4), stride: (2, 2),
      padding: configuration.padding,
      weight: Parameter(name: "weight", shape: [c, k, 4, 4], value: weight),
      bias: Parameter(name: "bias", shape: [k], value: bias))
  }

  func makeInput(_ configuration: Configuration, _ random: inout PortableRandom) -> Activation {
    let shape = SampleShape(
      configuration.inputChannels, configuration.input.0, configuration.input.1)
    return Activation(
      shape: shape, batch: configuration.batch,
      data: (0..<(shape.count * configuration.batch)).map { _ in Float(random.nextGaussian()) })
  }

  func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
  }

  func checkAgainstDirect(generic: Bool) {
    var random = PortableRandom(seed: generic ? 41 : 42)
    facesh_sgemm_force_generic(generic ? 1 : 0)
    for (index, configuration) in Self.configurations.enumerated() {
      let layer = makeLayer(configuration, &random)
      let input = makeInput(configuration, &random)
      transposedConvolutionMethod = .direct
      let expected = layer.forward(input, training: false, fusing: configuration.activation)
      transposedConvolutionMethod = .winograd
      XCTAssertTrue(layer.usesWinograd(for: input), "configuration \(index)")
      let inference = layer.forward(input, training: false, fusing: configuration.activation)
      let training = layer.forward(input, training: true, fusing: configuration.activation)

      XCTAssertEqual(inference.shape, expected.shape, "configuration \(index)")
      XCTAssertEqual(inference.data.count, expected.data.count, "configuration \(index)")
      let largest = largestDifference(inference.data, expected.data)
      XCTAssertLessThan(largest, 1e-5, "configuration \(index): largest difference")
      XCTAssertFalse(inference.data.contains { $0.isNaN }, "configuration \(index)")
      XCTAssertEqual(training.data, inference.data, "configuration \(index): training pass")
    }
  }

  func testBestKernelMatchesDirect() {
    checkAgainstDirect(generic: false)
  }

  func testGenericKernelMatchesDirect() {
    checkAgainstDirect(generic: true)
  }

  func checkInputGradientAgainstDirect(generic: Bool) {
    var random = PortableRandom(seed: generic ? 51 : 52)
    facesh_sgemm_force_generic(generic ? 1 : 0)
    for (index, configuration) in Self.configurations.enumerated() {
      let layer = makeLayer(configuration, &random)
      let input = makeInput(configuration, &random)
      let output = layer.forward(input, training: true)
      let gradient = Activation(
        shape: output.shape, batch: output.batch,
        data: (0..<output.data.count).map { _ in Float(random.nextGaussian()) })

      transposedConvolutionMethod = .direct
      layer.weight.gradient = [Float](repeating: 0, count: layer.weight.value.count)
      let expected = layer.backward(input: input, output: output, outputGradient: gradient)
      let expectedWeightGradient = layer.weight.gradient
      transposedConvolutionMethod = .winograd
      XCTAssertTrue(layer.usesWinograd(for: input, inputGradient: true), "configuration \(index)")
      layer.weight.gradient = [Float](repeating: 0, count: layer.weight.value.count)
      let actual = layer.backward(input: input, output: output, outputGradient: gradient)

      XCTAssertEqual(actual.shape, input.shape, "configuration \(index)")
      XCTAssertEqual(actual.data.count, expected.data.count, "configuration \(index)")
      let largest = largestDifference(actual.data, expected.data)
      XCTAssertLessThan(largest, 2e-5, "configuration \(index): largest difference")
      XCTAssertFalse(actual.data.contains { $0.isNaN }, "configuration \(index)")
      XCTAssertEqual(layer.weight.gradient, expectedWeightGradient, "configuration \(index)")
    }
  }

  func testBestKernelInputGradientMatchesDirect() {
    checkInputGradientAgainstDirect(generic: false)
  }

  func testGenericKernelInputGradientMatchesDirect() {
    checkInputGradientAgainstDirect(generic: true)
  }

  /// Small random shapes, down to 1×1 inputs and single channels, in both passes.
  func testRandomSmallShapesMatchDirect() {
    var random = PortableRandom(seed: 49)
    var checked = 0
    while checked < 60 {
      func pick(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(random.next() % UInt64(range.count))
      }
      let configuration = Configuration(
        inputChannels: pick(1...9), outputChannels: pick(1...14),
        padding: (pick(0...3), pick(0...3)), input: (pick(1...7), pick(1...7)),
        batch: pick(1...3), activation: nil)
      let (height, width) = configuration.input
      let (padY, padX) = configuration.padding
      guard 2 * height + 2 - 2 * padY > 0, 2 * width + 2 - 2 * padX > 0 else { continue }
      checked += 1
      let layer = makeLayer(configuration, &random)
      let input = makeInput(configuration, &random)
      transposedConvolutionMethod = .direct
      let expected = layer.forward(input, training: true)
      let gradient = Activation(
        shape: expected.shape, batch: expected.batch,
        data: (0..<expected.data.count).map { _ in Float(random.nextGaussian()) })
      let expectedInputGradient = layer.backward(
        input: input, output: expected, outputGradient: gradient)
      transposedConvolutionMethod = .winograd
      let actual = layer.forward(input, training: true)
      let actualInputGradient = layer.backward(
        input: input, output: actual, outputGradient: gradient)
      let shape = "\(configuration)"
      XCTAssertEqual(actual.shape, expected.shape, shape)
      XCTAssertLessThan(largestDifference(actual.data, expected.data), 1e-5, shape)
      XCTAssertLessThan(
        largestDifference(actualInputGradient.data, expectedInputGradient.data), 1e-5, shape)
    }
  }

  /// Runs the C plan for `threads` on one thread, task by task, into an output filled with
  /// `fill`.
  func runPlan(
    _ layer: ConvTransposeLayer, _ input: Activation, threads: Int, fill: Float = .nan,
    activation: Int32 = Int32(FACESH_ACTIVATION_NONE)
  ) -> [Float] {
    let outShape = layer.outputShapeFor(input.shape)
    let (c, k) = (layer.inputChannels, layer.outputChannels)
    var work = [Float](repeating: 0, count: 9 * c * k)
    var transformed = [Float](repeating: 0, count: facesh_winograd_weight_count(c, k))
    facesh_winograd_transform_weight(layer.weight.value, c, k, &work, &transformed)
    var output = [Float](repeating: fill, count: outShape.count * input.batch)
    transformed.withUnsafeBufferPointer { weight in
      input.data.withUnsafeBufferPointer { inputPointer in
        layer.bias.value.withUnsafeBufferPointer { bias in
          output.withUnsafeMutableBufferPointer { out in
            var plan = facesh_winograd_plan()
            plan.packed_weight = weight.baseAddress
            plan.input = inputPointer.baseAddress
            plan.bias = bias.baseAddress
            plan.output = out.baseAddress
            (plan.input_channels, plan.output_channels, plan.batch) = (c, k, input.batch)
            (plan.height, plan.width) = (input.shape.height, input.shape.width)
            (plan.out_height, plan.out_width) = (outShape.height, outShape.width)
            (plan.pad_y, plan.pad_x) = (layer.padY, layer.padX)
            plan.activation = activation
            plan.threads = threads
            let tasks = facesh_winograd_prepare(&plan)
            for task in 0..<tasks { facesh_winograd_run_task(&plan, task) }
          }
        }
      }
    }
    return output
  }

  /// The division into tasks follows the thread count; the bits of the result must not.
  func testSameBitsForAnyThreadCount() {
    var random = PortableRandom(seed: 43)
    for configuration in [Self.configurations[2], Self.configurations[5]] {
      let layer = makeLayer(configuration, &random)
      let input = makeInput(configuration, &random)
      let one = runPlan(layer, input, threads: 1)
      for threads in [2, 3, 8, 64] {
        let other = runPlan(layer, input, threads: threads)
        let mismatch = one.indices.first { one[$0].bitPattern != other[$0].bitPattern }
        XCTAssertNil(mismatch, "\(threads) threads")
      }
    }
  }

  /// Tasks must cover every output pixel exactly once, also in partial 4×4 blocks: with zero
  /// weights, every value of an output that started as NaN is its channel's bias.
  func testEveryPixelIsWritten() {
    var random = PortableRandom(seed: 44)
    for configuration in Self.configurations {
      let layer = makeLayer(configuration, &random)
      layer.weight.value = [Float](repeating: 0, count: layer.weight.value.count)
      let input = makeInput(configuration, &random)
      let output = runPlan(layer, input, threads: 2)
      let plane = output.count / configuration.outputChannels
      for (index, value) in output.enumerated() where value != layer.bias.value[index / plane] {
        XCTFail("padding \(configuration.padding), value \(index): \(value), not the bias")
        break
      }
    }
  }

  /// The input-gradient tasks must write every value of dX exactly once: an array that
  /// started as NaN has no NaN left, for every padding and partial tile.
  func testEveryInputGradientValueIsWritten() {
    var random = PortableRandom(seed: 48)
    for configuration in Self.configurations {
      let layer = makeLayer(configuration, &random)
      let input = makeInput(configuration, &random)
      let outShape = layer.outputShapeFor(input.shape)
      let (c, k) = (layer.inputChannels, layer.outputChannels)
      let gradient = (0..<(outShape.count * input.batch)).map { _ in
        Float(random.nextGaussian())
      }
      var work = [Float](repeating: 0, count: 36 * c * k)
      var transformed = [Float](
        repeating: 0, count: facesh_winograd_backward_weight_count(c, k))
      facesh_winograd_transform_weight_backward(layer.weight.value, c, k, &work, &transformed)
      for threads in [1, 2, 8] {
        var dx = [Float](repeating: .nan, count: input.data.count)
        transformed.withUnsafeBufferPointer { weight in
          gradient.withUnsafeBufferPointer { dy in
            dx.withUnsafeMutableBufferPointer { out in
              var plan = facesh_winograd_backward_plan()
              plan.packed_weight = weight.baseAddress
              plan.gradient = dy.baseAddress
              plan.input_gradient = out.baseAddress
              (plan.input_channels, plan.output_channels, plan.batch) = (c, k, input.batch)
              (plan.height, plan.width) = (input.shape.height, input.shape.width)
              (plan.out_height, plan.out_width) = (outShape.height, outShape.width)
              (plan.pad_y, plan.pad_x) = (layer.padY, layer.padX)
              plan.threads = threads
              let tasks = facesh_winograd_backward_prepare(&plan)
              for task in 0..<tasks { facesh_winograd_backward_run_task(&plan, task) }
            }
          }
        }
        let unwritten = dx.firstIndex { $0.isNaN }
        XCTAssertNil(unwritten, "padding \(configuration.padding), \(threads) threads")
      }
    }
  }

  /// A decoder that only decodes keeps the transformed weight; changing the weights must
  /// replace it.
  func testChangedWeightsAreTransformedAgain() throws {
    let decoder = try Decoder(
      randomWeightsFor: Architecture.square(size: 32, latentSize: 8, width: 32), seed: 45)
    var random = PortableRandom(seed: 46)
    let batch = 4
    let latents = (0..<(batch * 8)).map { _ in Float(random.nextGaussian()) }
    let convolutions = decoder.layers.compactMap { $0 as? ConvTransposeLayer }
    let before = decoder.decode(latents, batch: batch)
    XCTAssertTrue(convolutions.contains { $0.winogradWeight != nil }, "no layer used Winograd")

    for convolution in convolutions {
      convolution.weight.value = convolution.weight.value.map { $0 * 0.5 }
    }
    decoder.weightsChanged()
    let after = decoder.decode(latents, batch: batch)
    transposedConvolutionMethod = .direct
    let direct = decoder.decode(latents, batch: batch)
    XCTAssertNotEqual(before, after)
    XCTAssertLessThan(largestDifference(after, direct), 1e-5)
  }

  /// The automatic choice keeps the GEMM and scatter where Winograd would waste its work.
  func testAutomaticChoice() {
    var random = PortableRandom(seed: 47)
    let wide = makeLayer(
      Configuration(
        inputChannels: 8, outputChannels: 32, padding: (1, 1), input: (4, 4), batch: 1,
        activation: nil), &random)
    let narrow = makeLayer(
      Configuration(
        inputChannels: 8, outputChannels: 3, padding: (1, 1), input: (32, 32), batch: 1,
        activation: nil), &random)
    func input(_ side: Int, batch: Int) -> Activation {
      Activation(zeros: SampleShape(8, side, side), batch: batch)
    }
    // An 8×8 output is 4 blocks of 4×4 pixels per sample: too few for one sample, enough
    // for four.
    XCTAssertFalse(wide.usesWinograd(for: input(4, batch: 1)))
    XCTAssertTrue(wide.usesWinograd(for: input(4, batch: 4)))
    XCTAssertTrue(wide.usesWinograd(for: input(16, batch: 1)))
    XCTAssertFalse(narrow.usesWinograd(for: input(32, batch: 8)))
    // A weight transformed again on every pass needs 1,024 input pixels to pay for it.
    XCTAssertFalse(wide.usesWinograd(for: input(16, batch: 3), weightKept: false))
    XCTAssertTrue(wide.usesWinograd(for: input(16, batch: 4), weightKept: false))
    XCTAssertTrue(wide.usesWinograd(for: input(16, batch: 3), weightKept: true))
    gemmBackend = .openBLAS
    XCTAssertFalse(wide.usesWinograd(for: input(16, batch: 1)))
  }
}
