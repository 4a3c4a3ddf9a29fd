import CFaceBLAS
import Foundation

/// A decoder network built from an `Architecture` and its weights.
///
/// Parameters are named `decoder.N.weight`, `decoder.N.bias` (and for batch normalization
/// `decoder.N.running_mean`, `decoder.N.running_var`), where N is the layer's index. This is
/// the naming a PyTorch `nn.Sequential` stored as `decoder` produces.
public final class Decoder: @unchecked Sendable {
  public let architecture: Architecture
  /// Per-sample shapes: the input (D, 1, 1) and then the output of each layer.
  public let shapes: [SampleShape]
  let layers: [Layer]
  private let lock = NSLock()

  /// Builds the decoder, asking `tensor(name, shape)` for each parameter.
  ///
  /// - Throws: `ArchitectureError` when layers do not fit together, or whatever `tensor`
  ///   throws for a missing or misshapen tensor.
  public init(
    architecture: Architecture, tensor: (_ name: String, _ shape: [Int]) throws -> [Float]
  ) throws {
    self.architecture = architecture
    let shapes = try architecture.shapes()
    _ = try architecture.outputShape()
    self.shapes = shapes
    var layers: [Layer] = []
    for (index, spec) in architecture.layers.enumerated() {
      func parameter(_ suffix: String, _ shape: [Int]) throws -> Parameter {
        let name = "decoder.\(index).\(suffix)"
        return Parameter(name: name, shape: shape, value: try tensor(name, shape))
      }
      switch spec {
      case let .linear(input, output):
        layers.append(
          LinearLayer(
            inputSize: input, outputSize: output, weight: try parameter("weight", [output, input]),
            bias: try parameter("bias", [output])))
      case let .convTranspose2d(input, output, kernel, stride, padding):
        layers.append(
          ConvTransposeLayer(
            inputChannels: input, outputChannels: output, kernel: kernel, stride: stride,
            padding: padding,
            weight: try parameter("weight", [input, output, kernel.0, kernel.1]),
            bias: try parameter("bias", [output])))
      case let .batchNorm(channels, epsilon):
        let scale = try parameter("weight", [channels])
        let shift = try parameter("bias", [channels])
        let mean = try parameter("running_mean", [channels]).value
        let variance = try parameter("running_var", [channels]).value
        layers.append(
          BatchNormLayer(
            channels: channels, epsilon: epsilon, scale: scale, shift: shift, runningMean: mean,
            runningVariance: variance))
      case let .reshape(channels, height, width):
        layers.append(ReshapeLayer(target: SampleShape(channels, height, width)))
      case .relu:
        layers.append(ActivationLayer(.relu))
      case let .leakyReLU(slope):
        layers.append(ActivationLayer(.leakyReLU(slope)))
      case .sigmoid:
        layers.append(ActivationLayer(.sigmoid))
      case .tanh:
        layers.append(ActivationLayer(.tanh))
      }
    }
    self.layers = layers
    Decoder.tuneAllocator
  }

  /// Creates a decoder with random initial weights drawn from `PortableRandom(seed:)`.
  ///
  /// Weights are uniform in ±√(3 / fan-in) with fan-in the number of inputs that reach one
  /// output (for a transposed convolution, C·R·S / (strideY·strideX)); biases start at 0;
  /// batch normalization starts as the identity.
  public convenience init(randomWeightsFor architecture: Architecture, seed: UInt64) throws {
    var random = PortableRandom(seed: seed)
    var specs: [Int: LayerSpec] = [:]
    for (index, spec) in architecture.layers.enumerated() { specs[index] = spec }
    try self.init(architecture: architecture) { name, shape in
      let count = shape.reduce(1, *)
      let parts = name.split(separator: ".")
      let index = Int(parts[1])!
      let suffix = parts[2]
      switch (specs[index]!, suffix) {
      case let (.linear(input, _), "weight"):
        let bound = (3 / Double(input)).squareRoot()
        return (0..<count).map { _ in Float((2 * random.nextUniform() - 1) * bound) }
      case let (.convTranspose2d(input, _, kernel, stride, _), "weight"):
        let fanIn = max(1.0, Double(input * kernel.0 * kernel.1) / Double(stride.0 * stride.1))
        let bound = (3 / fanIn).squareRoot()
        return (0..<count).map { _ in Float((2 * random.nextUniform() - 1) * bound) }
      case (.batchNorm, "weight"), (.batchNorm, "running_var"):
        return [Float](repeating: 1, count: count)
      default:
        return [Float](repeating: 0, count: count)
      }
    }
  }

  /// The image size the decoder produces.
  public var outputShape: SampleShape { shapes.last! }

  /// Returns every learnable tensor and every stored statistic, by name, for a model file.
  public func namedTensors() -> [(name: String, shape: [Int], values: [Float])] {
    var out: [(String, [Int], [Float])] = []
    for (index, layer) in layers.enumerated() {
      for parameter in layer.parameters {
        out.append((parameter.name, parameter.shape, parameter.value))
      }
      if let norm = layer as? BatchNormLayer {
        out.append(("decoder.\(index).running_mean", [norm.channels], norm.runningMean))
        out.append(("decoder.\(index).running_var", [norm.channels], norm.runningVariance))
      }
    }
    return out
  }

  var parameters: [Parameter] { layers.flatMap { $0.parameters } }

  /// Keeps large buffers in the heap between steps instead of returning them to the kernel,
  /// so repeated passes do not pay page faults for fresh memory (glibc's default threshold
  /// maps anything above 32 MiB anew on every allocation).
  static let tuneAllocator: Void = facesh_keep_large_allocations()

  /// Decodes `batch` latent vectors stored row by row, (B, D), into images stored one after
  /// another, (B, 3, P, Q), with values in the decoder's output range.
  public func decode(_ latents: [Float], batch: Int) -> [Float] {
    precondition(latents.count == batch * architecture.latentSize, "latent buffer size mismatch")
    lock.lock()
    defer { lock.unlock() }

    // Large batches run through the whole network a few samples at a time, so that each
    // layer's activations stay near the cache instead of streaming hundreds of megabytes.
    let largest = shapes.map { $0.count }.max() ?? 1
    let group = max(1, min(batch, (1 << 20) / largest))
    if group == batch { return decodeGroup(latents, batch: batch) }
    let dimension = architecture.latentSize
    var out = [Float]()
    out.reserveCapacity(batch * outputShape.count)
    for first in stride(from: 0, to: batch, by: group) {
      let count = min(group, batch - first)
      let slice = Array(latents[(first * dimension)..<((first + count) * dimension)])
      out.append(contentsOf: decodeGroup(slice, batch: count))
    }
    return out
  }

  private func decodeGroup(_ latents: [Float], batch: Int) -> [Float] {
    var activation = Activation(
      shape: shapes[0], batch: batch,
      data: transpose(latents, rows: batch, columns: architecture.latentSize))
    var index = 0
    while index < layers.count {
      let layer = layers[index]
      let next = index + 1 < layers.count ? layers[index + 1] as? ActivationLayer : nil
      if let convolution = layer as? ConvTransposeLayer, let next {
        // A transposed convolution followed by an activation runs as one pass.
        activation = convolution.forward(activation, training: false, fusing: next.kind)
        index += 2
      } else if let elementwise = layer as? ActivationLayer {
        elementwise.applyInPlace(&activation)
        index += 1
      } else {
        activation = layer.forward(activation, training: false)
        index += 1
      }
    }
    return sampleMajor(activation)
  }

  /// Times each layer's forward pass for one batch; for benchmarks.
  public func profileLayers(_ latents: [Float], batch: Int) -> [(String, Double)] {
    var activation = Activation(
      shape: shapes[0], batch: batch,
      data: transpose(latents, rows: batch, columns: architecture.latentSize))
    var out: [(String, Double)] = []
    for (index, layer) in layers.enumerated() {
      let start = DispatchTime.now().uptimeNanoseconds
      activation = layer.forward(activation, training: false)
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
      out.append(("\(index) \(architecture.layers[index].typeName) \(shapes[index + 1])", seconds))
    }
    return out
  }

  /// Times each layer's training forward and backward pass for one batch; for benchmarks.
  public func profileTraining(_ latents: [Float], batch: Int) -> [(String, Double, Double)] {
    var activations = [
      Activation(
        shape: shapes[0], batch: batch,
        data: transpose(latents, rows: batch, columns: architecture.latentSize))
    ]
    var forwardTimes: [Double] = []
    for layer in layers {
      let start = DispatchTime.now().uptimeNanoseconds
      activations.append(layer.forward(activations.last!, training: true))
      forwardTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    var gradient = activations.last!
    var backwardTimes = [Double](repeating: 0, count: layers.count)
    for index in stride(from: layers.count - 1, through: 0, by: -1) {
      let start = DispatchTime.now().uptimeNanoseconds
      gradient = layers[index].backward(
        input: activations[index], output: activations[index + 1], outputGradient: gradient)
      backwardTimes[index] = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }
    return (0..<layers.count).map {
      ("\($0) \(architecture.layers[$0].typeName) \(shapes[$0 + 1])", forwardTimes[$0], backwardTimes[$0])
    }
  }

  // MARK: Training

  /// Runs a forward pass and keeps every layer's output for `backward`.
  ///
  /// - Parameter training: true normalizes batch-normalization layers with the batch's
  ///   statistics and updates their running ones, as training does. false uses the stored
  ///   statistics, as decoding does, so the gradient is that of the decoder users run.
  func forwardForTraining(_ latents: [Float], batch: Int, training: Bool = true) -> [Activation] {
    var activations = [
      Activation(
        shape: shapes[0], batch: batch,
        data: transpose(latents, rows: batch, columns: architecture.latentSize))
    ]
    var index = 0
    while index < layers.count {
      let next = index + 1 < layers.count ? layers[index + 1] as? ActivationLayer : nil
      if let convolution = layers[index] as? ConvTransposeLayer, let next,
        next.backwardAcceptsOutputAsInput
      {
        // One fused pass gives the activation's output, which serves as both layers'
        // outputs. The convolution's backward pass reads only its shape, and the
        // activation's backward pass reads its output or the sign of its input.
        let output = convolution.forward(activations.last!, training: training, fusing: next.kind)
        activations.append(output)
        activations.append(output)
        index += 2
      } else {
        activations.append(layers[index].forward(activations.last!, training: training))
        index += 1
      }
    }
    return activations
  }

  /// Back-propagates `outputGradient` (channel-major, like the last activation), adds the
  /// parameter gradients, and returns the latent gradient as (B, D).
  func backward(_ activations: [Activation], outputGradient: Activation) -> [Float] {
    var gradient = outputGradient
    for index in stride(from: layers.count - 1, through: 0, by: -1) {
      gradient = layers[index].backward(
        input: activations[index], output: activations[index + 1], outputGradient: gradient)
    }
    return transpose(gradient.data, rows: architecture.latentSize, columns: gradient.batch)
  }

  /// Drops copies derived from the weights; call after changing any parameter's value.
  func weightsChanged() {
    for case let convolution as ConvTransposeLayer in layers {
      convolution.packedWeight = nil
      convolution.winogradWeight = nil
      convolution.winogradBackwardWeight = nil
    }
  }

  func zeroGradients() {
    for parameter in parameters { parameter.zeroGradient() }
  }

  /// (C, B, H, W) to (B, C, H, W).
  func sampleMajor(_ activation: Activation) -> [Float] {
    let batch = activation.batch
    let plane = activation.shape.height * activation.shape.width
    let channels = activation.shape.channels
    if batch == 1 { return activation.data }
    var out = [Float](repeating: 0, count: activation.data.count)
    activation.data.withUnsafeBufferPointer { source in
      out.withUnsafeMutableBufferPointer { target in
        for c in 0..<channels {
          for b in 0..<batch {
            let from = source.baseAddress! + (c * batch + b) * plane
            let to = target.baseAddress! + (b * channels + c) * plane
            to.update(from: from, count: plane)
          }
        }
      }
    }
    return out
  }

  /// (B, C, H, W) to (C, B, H, W).
  func channelMajor(_ values: [Float], shape: SampleShape, batch: Int) -> Activation {
    let plane = shape.height * shape.width
    var out = [Float](repeating: 0, count: values.count)
    for c in 0..<shape.channels {
      for b in 0..<batch {
        for p in 0..<plane {
          out[(c * batch + b) * plane + p] = values[(b * shape.channels + c) * plane + p]
        }
      }
    }
    return Activation(shape: shape, batch: batch, data: out)
  }
}

/// Returns the transpose of a row-major `rows`×`columns` matrix.
func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
  if rows == 1 || columns == 1 { return values }
  var out = [Float](repeating: 0, count: values.count)
  for r in 0..<rows {
    for c in 0..<columns {
      out[c * rows + r] = values[r * columns + c]
    }
  }
  return out
}
