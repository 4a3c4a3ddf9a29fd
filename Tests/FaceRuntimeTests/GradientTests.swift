import XCTest

@testable import FaceRuntime

/// Checks every layer's backward pass against central finite differences of the scalar
/// L = Σ weights·output, with random weights, for the input and for each parameter.
final class GradientTests: XCTestCase {
  func randomValues(_ count: Int, _ random: inout PortableRandom, scale: Double = 1) -> [Float] {
    (0..<count).map { _ in Float(random.nextGaussian() * scale) }
  }

  /// Returns the largest relative error over sampled entries of the input and parameters.
  func check(
    _ makeLayer: () -> Layer, input shape: SampleShape, batch: Int, seed: UInt64,
    training: Bool = true
  ) -> Float {
    var random = PortableRandom(seed: seed)
    let layer = makeLayer()
    let input = Activation(
      shape: shape, batch: batch, data: randomValues(shape.count * batch, &random))
    let output = layer.forward(input, training: training)
    let weights = randomValues(output.data.count, &random)
    func loss(_ x: Activation) -> Double {
      let y = layer.forward(x, training: training)
      return zip(y.data, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    for parameter in layer.parameters { parameter.zeroGradient() }
    let gradient = Activation(shape: output.shape, batch: batch, data: weights)
    _ = layer.forward(input, training: training)
    let inputGradient = layer.backward(input: input, output: output, outputGradient: gradient)

    var worst: Float = 0
    let epsilon: Float = 1e-2
    func compare(analytic: Float, numeric: Double) {
      let error = abs(Double(analytic) - numeric) / max(1, abs(numeric))
      worst = max(worst, Float(error))
    }
    for index in stride(from: 0, to: input.data.count, by: max(1, input.data.count / 23)) {
      var plus = input
      plus.data[index] += epsilon
      var minus = input
      minus.data[index] -= epsilon
      compare(
        analytic: inputGradient.data[index],
        numeric: (loss(plus) - loss(minus)) / Double(2 * epsilon))
    }
    for parameter in layer.parameters {
      let analytic = parameter.gradient
      for index in stride(from: 0, to: parameter.value.count, by: max(1, parameter.value.count / 17)) {
        let original = parameter.value[index]
        parameter.value[index] = original + epsilon
        let up = loss(input)
        parameter.value[index] = original - epsilon
        let down = loss(input)
        parameter.value[index] = original
        compare(analytic: analytic[index], numeric: (up - down) / Double(2 * epsilon))
      }
    }
    return worst
  }

  func parameter(_ name: String, _ shape: [Int], seed: UInt64) -> Parameter {
    var random = PortableRandom(seed: seed)
    return Parameter(
      name: name, shape: shape, value: randomValues(shape.reduce(1, *), &random, scale: 0.5))
  }

  func testLinearGradient() {
    let error = check(
      {
        LinearLayer(
          inputSize: 12, outputSize: 5, weight: parameter("w", [5, 12], seed: 1),
          bias: parameter("b", [5], seed: 2))
      }, input: SampleShape(3, 2, 2), batch: 3, seed: 10)
    XCTAssertLessThan(error, 2e-3)
  }

  func testConvTransposeGradients() {
    let configurations: [((Int, Int), (Int, Int), (Int, Int))] = [
      ((4, 4), (2, 2), (1, 1)), ((4, 1), (1, 1), (0, 0)), ((3, 3), (2, 2), (0, 0)),
      ((6, 6), (2, 2), (2, 2)), ((2, 3), (1, 2), (0, 1)),
    ]
    for (index, (kernel, stride, padding)) in configurations.enumerated() {
      let error = check(
        {
          ConvTransposeLayer(
            inputChannels: 3, outputChannels: 2, kernel: kernel, stride: stride, padding: padding,
            weight: parameter("w", [3, 2, kernel.0, kernel.1], seed: 3),
            bias: parameter("b", [2], seed: 4))
        }, input: SampleShape(3, 3, 4), batch: 2, seed: 20 + UInt64(index))
      XCTAssertLessThan(error, 2e-3, "kernel \(kernel) stride \(stride) padding \(padding)")
    }
  }

  func testBatchNormGradient() {
    let error = check(
      {
        BatchNormLayer(
          channels: 3, epsilon: 1e-5, scale: parameter("g", [3], seed: 5),
          shift: parameter("b", [3], seed: 6), runningMean: [0, 0, 0], runningVariance: [1, 1, 1])
      }, input: SampleShape(3, 2, 2), batch: 4, seed: 30)
    XCTAssertLessThan(error, 5e-3)
  }

  func testBatchNormGradientWithStoredStatistics() {
    // Fitting a photo differentiates the decoder as it decodes: with the running statistics.
    let error = check(
      {
        BatchNormLayer(
          channels: 3, epsilon: 1e-5, scale: parameter("g", [3], seed: 5),
          shift: parameter("b", [3], seed: 6), runningMean: [0.3, -0.2, 0.1],
          runningVariance: [0.5, 2, 1.5])
      }, input: SampleShape(3, 2, 2), batch: 4, seed: 31, training: false)
    XCTAssertLessThan(error, 2e-3)
  }

  func testFrozenParametersGetNoGradient() {
    let layer = ConvTransposeLayer(
      inputChannels: 3, outputChannels: 2, kernel: (4, 4), stride: (2, 2), padding: (1, 1),
      weight: parameter("w", [3, 2, 4, 4], seed: 3), bias: parameter("b", [2], seed: 4))
    layer.weight.frozen = true
    layer.bias.frozen = true
    var random = PortableRandom(seed: 8)
    let input = Activation(shape: SampleShape(3, 3, 3), batch: 2, data: randomValues(54, &random))
    let output = layer.forward(input, training: true)
    let gradient = Activation(
      shape: output.shape, batch: 2, data: randomValues(output.data.count, &random))
    let frozenInputGradient = layer.backward(input: input, output: output, outputGradient: gradient)
    XCTAssertTrue(layer.weight.gradient.allSatisfy { $0 == 0 })
    XCTAssertTrue(layer.bias.gradient.allSatisfy { $0 == 0 })
    layer.weight.frozen = false
    let inputGradient = layer.backward(input: input, output: output, outputGradient: gradient)
    XCTAssertEqual(frozenInputGradient.data, inputGradient.data, "freezing keeps the input gradient")
    XCTAssertTrue(layer.weight.gradient.contains { $0 != 0 })
  }

  func testActivationAndReshapeGradients() {
    let kinds: [(String, () -> Layer)] = [
      ("relu", { ActivationLayer(.relu) }), ("leaky", { ActivationLayer(.leakyReLU(0.2)) }),
      ("sigmoid", { ActivationLayer(.sigmoid) }), ("tanh", { ActivationLayer(.tanh) }),
      ("reshape", { ReshapeLayer(target: SampleShape(2, 3, 2)) }),
    ]
    for (name, make) in kinds {
      let error = check(make, input: SampleShape(3, 2, 2), batch: 2, seed: 40)
      XCTAssertLessThan(error, 2e-3, name)
    }
  }

  func testLossGradientMatchesFiniteDifference() throws {
    // The training step's loss is the mean squared error; its latent gradient must match.
    let images = (0..<3).map { index -> RGBImage in
      var image = RGBImage(width: 8, height: 8)
      for i in 0..<image.pixels.count { image.pixels[i] = UInt8((i * 7 + index * 50) % 256) }
      return image
    }
    let dataset = TrainingDataset(images: images, width: 8, height: 8)
    var options = TrainingOptions(architecture: .square(size: 8, latentSize: 4, width: 8))
    options.batchSize = 3
    options.decoderLearningRate = 0
    options.latentLearningRate = 0
    let trainer = try Trainer(options: options, dataset: dataset)
    let base = trainer.latents
    let (loss, gradient) = trainer.lossAndLatentGradient(batch: [0, 1, 2], latents: base)
    let epsilon: Float = 1e-2
    for index in [0, 5, 11] {
      var plus = base
      plus[index] += epsilon
      var minus = base
      minus[index] -= epsilon
      let numeric =
        (trainer.lossAndLatentGradient(batch: [0, 1, 2], latents: plus).0
          - trainer.lossAndLatentGradient(batch: [0, 1, 2], latents: minus).0) / Double(2 * epsilon)
      XCTAssertEqual(Double(gradient[index]), numeric, accuracy: 1e-3 + 2e-2 * abs(numeric))
    }
    XCTAssertGreaterThan(loss, 0)
  }
}
