import CFaceBLAS
import Foundation

// Dimension letters used in shape comments throughout the decoder:
//   B  batch size (faces decoded or trained together)
//   D  latent size
//   C  channels of a layer's input, K channels of its output
//   H, W  input height and width; P, Q  output height and width
//   R, S  kernel height and width
// Activations are stored channel-major, (C, B, H, W), so that one GEMM covers the whole batch.

/// A learnable tensor with its gradient and Adam moments.
final class Parameter {
  let name: String
  let shape: [Int]
  var value: [Float]
  var gradient: [Float]
  /// When set, backward passes skip this tensor's gradient, which saves the weight-gradient
  /// products when only the input gradient is wanted (fitting a latent vector to a photo).
  var frozen = false

  init(name: String, shape: [Int], value: [Float]) {
    precondition(shape.reduce(1, *) == value.count)
    self.name = name
    self.shape = shape
    self.value = value
    self.gradient = [Float](repeating: 0, count: value.count)
  }

  func zeroGradient() {
    gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
  }
}

/// A batch of activations in channel-major layout.
struct Activation {
  var shape: SampleShape
  var batch: Int
  /// (C, B, H, W)
  var data: [Float]

  init(shape: SampleShape, batch: Int, data: [Float]) {
    precondition(data.count == shape.count * batch)
    self.shape = shape
    self.batch = batch
    self.data = data
  }

  init(zeros shape: SampleShape, batch: Int) {
    self.init(shape: shape, batch: batch, data: [Float](repeating: 0, count: shape.count * batch))
  }
}

/// One decoder layer: a forward pass, and a backward pass that returns the input gradient and
/// adds parameter gradients into `Parameter.gradient`.
protocol Layer: AnyObject {
  var parameters: [Parameter] { get }
  func forward(_ input: Activation, training: Bool) -> Activation
  func backward(input: Activation, output: Activation, outputGradient: Activation) -> Activation
}

/// Runs `body(i)` for i in 0..<count on all cores when there is enough work to share.
@inline(__always)
func parallelFor(_ count: Int, work: Int, _ body: (Int) -> Void) {
  if count > 1 && work >= 1 << 15 {
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
  } else {
    for i in 0..<count { body(i) }
  }
}

/// Largest number of floats a transposed convolution's column buffer may hold; larger batches
/// are processed in chunks so the buffer stays in cache-friendly sizes.
let columnBufferLimit = 1 << 22

// MARK: - Linear

final class LinearLayer: Layer {
  let inputSize: Int
  let outputSize: Int
  /// (K, C)
  let weight: Parameter
  /// (K)
  let bias: Parameter
  var parameters: [Parameter] { [weight, bias] }

  init(inputSize: Int, outputSize: Int, weight: Parameter, bias: Parameter) {
    self.inputSize = inputSize
    self.outputSize = outputSize
    self.weight = weight
    self.bias = bias
  }

  func forward(_ input: Activation, training: Bool) -> Activation {
    let batch = input.batch
    let x = flattenedInput(input)
    var output = Activation(zeros: SampleShape(outputSize, 1, 1), batch: batch)
    output.data.withUnsafeMutableBufferPointer { y in
      // Start from the bias, then y (K, B) += W (K, C) · x (C, B).
      for k in 0..<outputSize {
        let b = bias.value[k]
        for j in 0..<batch { y[k * batch + j] = b }
      }
      gemm(
        transposeA: false, transposeB: false, m: outputSize, n: batch, k: inputSize,
        weight.value, x, y.baseAddress!, beta: 1)
    }
    return output
  }

  func backward(input: Activation, output: Activation, outputGradient: Activation) -> Activation {
    let batch = input.batch
    let x = flattenedInput(input)
    let dy = outputGradient.data
    if !weight.frozen {
      // dW (K, C) += dy (K, B) · xᵀ (B, C)
      gemm(
        transposeA: false, transposeB: true, m: outputSize, n: inputSize, k: batch, dy, x,
        &weight.gradient, beta: 1)
    }
    // db (K) += Σ_B dy
    for k in 0..<outputSize where !bias.frozen {
      var sum: Float = 0
      for j in 0..<batch { sum += dy[k * batch + j] }
      bias.gradient[k] += sum
    }
    // dx (C, B) = Wᵀ (C, K) · dy (K, B)
    var dx = [Float](repeating: 0, count: inputSize * batch)
    gemm(
      transposeA: true, transposeB: false, m: inputSize, n: batch, k: outputSize, weight.value,
      dy, &dx)
    return unflatten(dx, like: input)
  }

  /// Returns the input as (C·H·W, B), the order in which a sample is flattened.
  private func flattenedInput(_ input: Activation) -> [Float] {
    if input.shape.height * input.shape.width == 1 { return input.data }
    return reorderToFlat(input)
  }

  private func unflatten(_ flat: [Float], like input: Activation) -> Activation {
    if input.shape.height * input.shape.width == 1 {
      return Activation(shape: input.shape, batch: input.batch, data: flat)
    }
    return reorderFromFlat(flat, shape: input.shape, batch: input.batch)
  }
}

/// (C, B, H, W) to (C·H·W, B).
func reorderToFlat(_ input: Activation) -> [Float] {
  let batch = input.batch
  // With one sample both layouts are the sample's C·H·W values in order.
  if batch == 1 { return input.data }
  let plane = input.shape.height * input.shape.width
  var out = [Float](repeating: 0, count: input.data.count)
  for c in 0..<input.shape.channels {
    for b in 0..<batch {
      for p in 0..<plane {
        out[(c * plane + p) * batch + b] = input.data[(c * batch + b) * plane + p]
      }
    }
  }
  return out
}

/// (C·H·W, B) to (C, B, H, W).
func reorderFromFlat(_ flat: [Float], shape: SampleShape, batch: Int) -> Activation {
  if batch == 1 { return Activation(shape: shape, batch: 1, data: flat) }
  let plane = shape.height * shape.width
  var out = [Float](repeating: 0, count: flat.count)
  for c in 0..<shape.channels {
    for b in 0..<batch {
      for p in 0..<plane {
        out[(c * batch + b) * plane + p] = flat[(c * plane + p) * batch + b]
      }
    }
  }
  return Activation(shape: shape, batch: batch, data: out)
}

// MARK: - Reshape

final class ReshapeLayer: Layer {
  let target: SampleShape
  var parameters: [Parameter] { [] }

  init(target: SampleShape) { self.target = target }

  func forward(_ input: Activation, training: Bool) -> Activation {
    if input.shape.channels == target.channels && input.shape.height * input.shape.width
      == target.height * target.width
    {
      return Activation(shape: target, batch: input.batch, data: input.data)
    }
    return reorderFromFlat(reorderToFlat(input), shape: target, batch: input.batch)
  }

  func backward(input: Activation, output: Activation, outputGradient: Activation) -> Activation {
    if input.shape.channels == target.channels && input.shape.height * input.shape.width
      == target.height * target.width
    {
      return Activation(shape: input.shape, batch: input.batch, data: outputGradient.data)
    }
    return reorderFromFlat(reorderToFlat(outputGradient), shape: input.shape, batch: input.batch)
  }
}

// MARK: - Transposed convolution

/// 2-D transposed convolution as a GEMM, Wᵀ·x, followed by a scatter (col2im).
///
/// The forward pass runs facesh_conv_transpose (CFaceBLAS), which multiplies and scatters a
/// few output channels and input rows at a time so the column matrix stays in cache. The
/// backward pass runs two GEMMs over the column matrix of the output gradient (im2col),
/// which facesh's SGEMM packs straight from the gradient. Layers with a 4×4 kernel and
/// stride 2 compute the forward pass and the input gradient with Winograd's F(2×2, 2×2)
/// instead (facesh_winograd), in 9/16 of the multiplications, where `usesWinograd(for:)`
/// decides.
///
/// Output size: P = (H − 1)·strideY − 2·padY + R, Q = (W − 1)·strideX − 2·padX + S.
final class ConvTransposeLayer: Layer {
  let inputChannels: Int
  let outputChannels: Int
  let kernelHeight: Int
  let kernelWidth: Int
  let strideY: Int
  let strideX: Int
  let padY: Int
  let padX: Int
  let outputShapeFor: (SampleShape) -> SampleShape
  /// (C, K, R, S)
  let weight: Parameter
  /// (K)
  let bias: Parameter
  var parameters: [Parameter] { [weight, bias] }

  init(
    inputChannels: Int, outputChannels: Int, kernel: (Int, Int), stride: (Int, Int),
    padding: (Int, Int), weight: Parameter, bias: Parameter
  ) {
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    (kernelHeight, kernelWidth) = kernel
    (strideY, strideX) = stride
    (padY, padX) = padding
    self.weight = weight
    self.bias = bias
    let (kh, kw, sy, sx, py, px) = (kernel.0, kernel.1, stride.0, stride.1, padding.0, padding.1)
    outputShapeFor = { shape in
      SampleShape(
        outputChannels, (shape.height - 1) * sy - 2 * py + kh, (shape.width - 1) * sx - 2 * px + kw)
    }
  }

  /// Wᵀ (K·R·S, C) packed for `forwardInBlocks`, kept between inference passes.
  /// `Decoder.weightsChanged()` clears it after an optimizer step, and training passes repack
  /// the weight instead of using it.
  var packedWeight: PackedMatrix? = nil

  /// The weight transformed for `forwardWinograd`, kept between inference passes like
  /// `packedWeight`.
  var winogradWeight: [Float]? = nil

  /// The weight transformed for `inputGradientWinograd`, kept while the weight is frozen.
  var winogradBackwardWeight: [Float]? = nil

  /// Whether the layer's shape is one `forwardWinograd` computes: a 4×4 kernel with stride 2.
  var winogradApplies: Bool {
    kernelHeight == 4 && kernelWidth == 4 && strideY == 2 && strideX == 2 && padY < 4 && padX < 4
  }

  /// Decides whether a forward pass over `input` runs `forwardWinograd`, or with
  /// `inputGradient`, whether the backward pass computes the input gradient with
  /// `inputGradientWinograd`.
  /// The transforms cost work per channel and tile, so layers with few output channels keep
  /// the GEMM. So do layers with fewer than 16 tiles (4×4 output pixels forward, 2×2 input
  /// pixels backward), which would leave most of the GEMM kernel's 16 columns empty. A
  /// weight that is not kept transformed (`weightKept` false: training, where every step
  /// changes it) is transformed on every pass, which only pays when the pass has at least
  /// 1,024 input pixels over the batch.
  func usesWinograd(for input: Activation, inputGradient: Bool = false, weightKept: Bool = true)
    -> Bool
  {
    guard gemmBackend != .openBLAS, winogradApplies else { return false }
    switch transposedConvolutionMethod {
    case .direct: return false
    case .winograd: return true
    case .automatic:
      let tiles: Int
      if inputGradient {
        tiles = input.batch * ((input.shape.height + 1) / 2) * ((input.shape.width + 1) / 2)
      } else {
        let output = outputShapeFor(input.shape)
        tiles = input.batch * ((output.height + 3) / 4) * ((output.width + 3) / 4)
      }
      let pixels = input.batch * input.shape.height * input.shape.width
      return outputChannels >= 16 && tiles >= 16 && (weightKept || pixels >= 1024)
    }
  }

  /// Number of samples per chunk so that the column buffer stays under `columnBufferLimit`.
  private func chunkSize(batch: Int, plane: Int) -> Int {
    let rows = outputChannels * kernelHeight * kernelWidth
    return max(1, min(batch, columnBufferLimit / max(1, rows * plane)))
  }

  func forward(_ input: Activation, training: Bool) -> Activation {
    forward(input, training: training, fusing: nil)
  }

  /// Runs the layer and, when `activation` is given, applies it to each output plane while
  /// the plane is still in cache.
  func forward(_ input: Activation, training: Bool, fusing activation: ActivationLayer.Kind?)
    -> Activation
  {
    if gemmBackend == .openBLAS {
      return forwardThroughColumns(input, fusing: activation)
    }
    if usesWinograd(for: input, weightKept: !training) {
      return forwardWinograd(input, training: training, fusing: activation)
    }
    return forwardInBlocks(input, training: training, fusing: activation)
  }

  /// Runs the layer with facesh_conv_transpose in CFaceBLAS, which multiplies and scatters
  /// a few output channels and input rows at a time.
  private func forwardInBlocks(
    _ input: Activation, training: Bool, fusing activation: ActivationLayer.Kind?
  ) -> Activation {
    let outShape = outputShapeFor(input.shape)
    let rows = outputChannels * kernelHeight * kernelWidth
    let packed: PackedMatrix
    if !training, let cached = packedWeight {
      packed = cached
    } else {
      packed = PackedMatrix(
        transposed: true, rows: rows, columns: inputChannels, weight.value, lda: rows)
      if !training { packedWeight = packed }
    }
    let count = outShape.count * input.batch
    // Every task writes its part of the output in full, starting from the bias.
    let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      packed.values.withUnsafeBufferPointer { weightPointer in
        input.data.withUnsafeBufferPointer { inputPointer in
          bias.value.withUnsafeBufferPointer { biasPointer in
            var plan = facesh_conv_transpose_plan()
            plan.packed_weight = weightPointer.baseAddress
            plan.input = inputPointer.baseAddress
            plan.bias = biasPointer.baseAddress
            plan.output = buffer.baseAddress
            (plan.input_channels, plan.output_channels, plan.batch) =
              (inputChannels, outputChannels, input.batch)
            (plan.height, plan.width) = (input.shape.height, input.shape.width)
            (plan.out_height, plan.out_width) = (outShape.height, outShape.width)
            (plan.kernel_height, plan.kernel_width) = (kernelHeight, kernelWidth)
            (plan.stride_y, plan.stride_x, plan.pad_y, plan.pad_x) = (strideY, strideX, padY, padX)
            (plan.activation, plan.slope) = Self.activationCode(activation)
            let tasks = facesh_conv_transpose_prepare(&plan)
            let work = rows * input.shape.count * input.batch
            withUnsafePointer(to: plan) { planPointer in
              parallelFor(tasks, work: work) {
                facesh_conv_transpose_run_task(planPointer, $0)
              }
            }
          }
        }
      }
      initialized = count
    }
    return Activation(shape: outShape, batch: input.batch, data: data)
  }

  /// Returns the weight as a CFaceBLAS Winograd transform writes it: `count` floats, with
  /// scratch of `workCount`·C·K floats.
  private func transformWeight(
    count: Int, workCount: Int,
    _ transform: (
      UnsafePointer<Float>?, Int, Int, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?
    ) -> Void
  ) -> [Float] {
    let scratch = workCount * inputChannels * outputChannels
    var work = [Float](unsafeUninitializedCapacity: scratch) { _, initialized in
      initialized = scratch
    }
    return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      transform(weight.value, inputChannels, outputChannels, &work, buffer.baseAddress!)
      initialized = count
    }
  }

  /// Runs the layer with facesh_winograd in CFaceBLAS: F(2×2, 2×2) on each of the four
  /// output parity classes, 9 multiplications where the GEMM and scatter do 16.
  private func forwardWinograd(
    _ input: Activation, training: Bool, fusing activation: ActivationLayer.Kind?
  ) -> Activation {
    let outShape = outputShapeFor(input.shape)
    let transformed: [Float]
    if !training, let cached = winogradWeight {
      transformed = cached
    } else {
      transformed = transformWeight(
        count: facesh_winograd_weight_count(inputChannels, outputChannels), workCount: 9,
        facesh_winograd_transform_weight)
      if !training { winogradWeight = transformed }
    }
    let count = outShape.count * input.batch
    var plan = facesh_winograd_plan()
    (plan.input_channels, plan.output_channels, plan.batch) =
      (inputChannels, outputChannels, input.batch)
    (plan.height, plan.width) = (input.shape.height, input.shape.width)
    (plan.out_height, plan.out_width) = (outShape.height, outShape.width)
    (plan.pad_y, plan.pad_x) = (padY, padX)
    (plan.activation, plan.slope) = Self.activationCode(activation)
    plan.threads = ProcessInfo.processInfo.activeProcessorCount
    // The tasks write every output pixel exactly once (WinogradTests checks it), so the
    // array needs no initial value.
    let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      transformed.withUnsafeBufferPointer { weightPointer in
        input.data.withUnsafeBufferPointer { inputPointer in
          bias.value.withUnsafeBufferPointer { biasPointer in
            plan.packed_weight = weightPointer.baseAddress
            plan.input = inputPointer.baseAddress
            plan.bias = biasPointer.baseAddress
            plan.output = buffer.baseAddress
            let tasks = facesh_winograd_prepare(&plan)
            let work = outputChannels * inputChannels * input.shape.count * input.batch
            withUnsafePointer(to: plan) { planPointer in
              parallelFor(tasks, work: work) {
                facesh_winograd_run_task(planPointer, $0)
              }
            }
          }
        }
      }
      initialized = count
    }
    return Activation(shape: outShape, batch: input.batch, data: data)
  }

  /// Returns facesh_conv_transpose_plan's `activation` and `slope` fields for `kind`.
  private static func activationCode(_ kind: ActivationLayer.Kind?) -> (Int32, Float) {
    switch kind {
    case nil: return (Int32(FACESH_ACTIVATION_NONE), 0)
    case .relu: return (Int32(FACESH_ACTIVATION_RELU), 0)
    case .leakyReLU(let slope): return (Int32(FACESH_ACTIVATION_LEAKY_RELU), slope)
    case .sigmoid: return (Int32(FACESH_ACTIVATION_SIGMOID), 0)
    case .tanh: return (Int32(FACESH_ACTIVATION_TANH), 0)
    }
  }

  /// Runs the layer as one OpenBLAS GEMM per chunk of samples into a column buffer, followed
  /// by a scatter; for comparison with `forwardInBlocks`.
  private func forwardThroughColumns(_ input: Activation, fusing activation: ActivationLayer.Kind?)
    -> Activation
  {
    let batch = input.batch
    let (height, width) = (input.shape.height, input.shape.width)
    let outShape = outputShapeFor(input.shape)
    let inputPlane = height * width
    let rows = outputChannels * kernelHeight * kernelWidth
    let chunk = chunkSize(batch: batch, plane: inputPlane)
    var cols = [Float](repeating: 0, count: rows * chunk * inputPlane)
    var output = Activation(zeros: outShape, batch: batch)
    let plane = outShape.height * outShape.width

    for first in stride(from: 0, to: batch, by: chunk) {
      let count = min(chunk, batch - first)
      let columns = count * inputPlane

      // cols (K·R·S, b·H·W) = Wᵀ (K·R·S, C) · x (C, b·H·W) for the chunk's b samples.
      input.data.withUnsafeBufferPointer { x in
        gemm(
          transposeA: true, transposeB: false, m: rows, n: columns, k: inputChannels,
          weight.value, x.baseAddress! + first * inputPlane, &cols, ldb: batch * inputPlane)
      }

      // Scatter each column entry to its output pixel, starting from the bias.
      cols.withUnsafeBufferPointer { colsPointer in
        output.data.withUnsafeMutableBufferPointer { outPointer in
          let colsBase = colsPointer.baseAddress!
          let outBase = outPointer.baseAddress!
          let biasValues = bias.value
          parallelFor(outputChannels * count, work: rows * columns) { task in
            let k = task / count
            let b = task % count
            let target = outBase + (k * batch + first + b) * plane
            target.update(repeating: biasValues[k], count: plane)
            self.scatter(
              colsBase, channel: k, sample: b, columns: columns, height: height, width: width,
              into: target, outHeight: outShape.height, outWidth: outShape.width)
            if let activation { ActivationLayer.apply(activation, target, count: plane) }
          }
        }
      }
    }
    return output
  }

  /// Adds the rows of channel `k` for sample `b` from `cols` into one output plane.
  @inline(__always)
  private func scatter(
    _ cols: UnsafePointer<Float>, channel k: Int, sample b: Int, columns: Int, height: Int,
    width: Int, into target: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int
  ) {
    for ky in 0..<kernelHeight {
      for kx in 0..<kernelWidth {
        let row = cols + ((k * kernelHeight + ky) * kernelWidth + kx) * columns + b * height * width
        let (xStart, xEnd) = validRange(
          kernel: kx, stride: strideX, pad: padX, inputSize: width, outputSize: outWidth)
        if xStart >= xEnd { continue }
        for iy in 0..<height {
          let oy = iy * strideY - padY + ky
          if oy < 0 || oy >= outHeight { continue }
          let source = row + iy * width
          let destination = target + oy * outWidth - padX + kx
          if strideX == 1 {
            for ix in xStart..<xEnd { destination[ix] += source[ix] }
          } else {
            for ix in xStart..<xEnd { destination[ix * strideX] += source[ix] }
          }
        }
      }
    }
  }

  /// Input columns `ix` whose output column `ix·stride − pad + kernel` lies inside the output.
  @inline(__always)
  private func validRange(kernel: Int, stride: Int, pad: Int, inputSize: Int, outputSize: Int)
    -> (Int, Int)
  {
    let low = pad - kernel
    let start = low <= 0 ? 0 : (low + stride - 1) / stride
    let high = outputSize - 1 + pad - kernel
    let end = high < 0 ? 0 : min(inputSize, high / stride + 1)
    return (start, end)
  }

  func backward(input: Activation, output: Activation, outputGradient: Activation) -> Activation {
    // The column matrix's indices are 32-bit.
    if gemmBackend != .openBLAS && outputGradient.data.count < Int(Int32.max) {
      return backwardInPlace(input: input, output: output, outputGradient: outputGradient)
    }
    return backwardThroughColumns(input: input, output: output, outputGradient: outputGradient)
  }

  /// Runs the backward pass's two GEMMs with facesh's SGEMM packing the column matrix
  /// straight from the output gradient, so that the matrix is never stored.
  private func backwardInPlace(
    input: Activation, output: Activation, outputGradient: Activation
  ) -> Activation {
    let batch = input.batch
    let pixels = batch * input.shape.height * input.shape.width
    let rows = outputChannels * kernelHeight * kernelWidth
    let outShape = output.shape
    let plane = outShape.height * outShape.width
    var dx = [Float](repeating: 0, count: inputChannels * pixels)
    outputGradient.data.withUnsafeBufferPointer { dy in
      var columns = facesh_conv_columns()
      columns.gradient = dy.baseAddress
      (columns.channels, columns.batch) = (outputChannels, batch)
      (columns.height, columns.width) = (input.shape.height, input.shape.width)
      (columns.out_height, columns.out_width) = (outShape.height, outShape.width)
      (columns.kernel_height, columns.kernel_width) = (kernelHeight, kernelWidth)
      (columns.stride_y, columns.stride_x, columns.pad_y, columns.pad_x) =
        (strideY, strideX, padY, padX)
      withUnsafePointer(to: columns) { columnsPointer in
        if !weight.frozen {
          input.data.withUnsafeBufferPointer { x in
            // dW (C, K·R·S) += x (C, B·H·W) · Dᵀ (B·H·W, K·R·S)
            gemm(
              transposeA: false, m: inputChannels, n: rows, k: pixels, x.baseAddress!,
              columns: columnsPointer, transposeColumns: true, &weight.gradient, beta: 1)
          }
        }
        if usesWinograd(for: input, inputGradient: true, weightKept: weight.frozen) {
          dx = inputGradientWinograd(dy.baseAddress!, input: input, outShape: outShape)
        } else {
          weight.value.withUnsafeBufferPointer { w in
            // dx (C, B·H·W) = W (C, K·R·S) · D (K·R·S, B·H·W)
            gemm(
              transposeA: false, m: inputChannels, n: pixels, k: rows, w.baseAddress!,
              columns: columnsPointer, transposeColumns: false, &dx)
          }
        }
      }
      // db (K) += Σ over B, P, Q of dy, one channel per task.
      if !bias.frozen {
        let base = dy.baseAddress!
        let length = batch * plane
        bias.gradient.withUnsafeMutableBufferPointer { db in
          let sums = db.baseAddress!
          parallelFor(outputChannels, work: outputChannels * length) { k in
            sums[k] += facesh_sum(base + k * length, length)
          }
        }
      }
    }
    return Activation(shape: input.shape, batch: batch, data: dx)
  }

  /// Computes the input gradient with facesh_winograd_backward in CFaceBLAS: F(2×2, 2×2)
  /// over the four classes of output pixels at once, 9 multiplications where the GEMM does
  /// 16. A frozen weight (fitting a photo) is transformed once and kept.
  private func inputGradientWinograd(
    _ dy: UnsafePointer<Float>, input: Activation, outShape: SampleShape
  ) -> [Float] {
    let transformed: [Float]
    if weight.frozen, let cached = winogradBackwardWeight {
      transformed = cached
    } else {
      transformed = transformWeight(
        count: facesh_winograd_backward_weight_count(inputChannels, outputChannels),
        workCount: 36, facesh_winograd_transform_weight_backward)
      if weight.frozen { winogradBackwardWeight = transformed }
    }
    let count = inputChannels * input.shape.height * input.shape.width * input.batch
    // The tasks write every value of dX exactly once (WinogradTests checks it).
    return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      transformed.withUnsafeBufferPointer { weightPointer in
        var plan = facesh_winograd_backward_plan()
        plan.packed_weight = weightPointer.baseAddress
        plan.gradient = dy
        plan.input_gradient = buffer.baseAddress
        (plan.input_channels, plan.output_channels, plan.batch) =
          (inputChannels, outputChannels, input.batch)
        (plan.height, plan.width) = (input.shape.height, input.shape.width)
        (plan.out_height, plan.out_width) = (outShape.height, outShape.width)
        (plan.pad_y, plan.pad_x) = (padY, padX)
        plan.threads = ProcessInfo.processInfo.activeProcessorCount
        let tasks = facesh_winograd_backward_prepare(&plan)
        let work = outputChannels * 16 * input.shape.count * input.batch
        withUnsafePointer(to: plan) { planPointer in
          parallelFor(tasks, work: work) { facesh_winograd_backward_run_task(planPointer, $0) }
        }
      }
      initialized = count
    }
  }

  /// Gathers the output gradient into a column buffer (im2col) a chunk of samples at a time
  /// and runs the two GEMMs on it; for the OpenBLAS backend.
  private func backwardThroughColumns(
    input: Activation, output: Activation, outputGradient: Activation
  ) -> Activation {
    let batch = input.batch
    let (height, width) = (input.shape.height, input.shape.width)
    let outShape = output.shape
    let inputPlane = height * width
    let rows = outputChannels * kernelHeight * kernelWidth
    let plane = outShape.height * outShape.width
    let chunk = chunkSize(batch: batch, plane: inputPlane)
    var dcols = [Float](repeating: 0, count: rows * chunk * inputPlane)
    var dx = [Float](repeating: 0, count: inputChannels * batch * inputPlane)

    for first in stride(from: 0, to: batch, by: chunk) {
      let count = min(chunk, batch - first)
      let columns = count * inputPlane

      // Gather the output gradient into columns (im2col): dcols (K·R·S, b·H·W).
      dcols.withUnsafeMutableBufferPointer { colsPointer in
        outputGradient.data.withUnsafeBufferPointer { gradientPointer in
          let colsBase = colsPointer.baseAddress!
          let gradientBase = gradientPointer.baseAddress!
          parallelFor(outputChannels * count, work: rows * columns) { task in
            let k = task / count
            let b = task % count
            self.gather(
              gradientBase + (k * batch + first + b) * plane, into: colsBase, channel: k,
              sample: b, columns: columns, height: height, width: width,
              outHeight: outShape.height, outWidth: outShape.width)
          }
        }
      }

      if !weight.frozen {
        input.data.withUnsafeBufferPointer { x in
          // dW (C, K·R·S) += x (C, b·H·W) · dcolsᵀ (b·H·W, K·R·S)
          gemm(
            transposeA: false, transposeB: true, m: inputChannels, n: rows, k: columns,
            x.baseAddress! + first * inputPlane, dcols, &weight.gradient, beta: 1,
            lda: batch * inputPlane)
        }
      }
      dx.withUnsafeMutableBufferPointer { target in
        // dx (C, b·H·W) = W (C, K·R·S) · dcols (K·R·S, b·H·W)
        gemm(
          transposeA: false, transposeB: false, m: inputChannels, n: columns, k: rows,
          weight.value, dcols, target.baseAddress! + first * inputPlane,
          ldc: batch * inputPlane)
      }
    }

    // db (K) += Σ over B, P, Q of dy
    outputGradient.data.withUnsafeBufferPointer { dy in
      for k in 0..<outputChannels where !bias.frozen {
        var sum: Float = 0
        let start = k * batch * plane
        for i in start..<(start + batch * plane) { sum += dy[i] }
        bias.gradient[k] += sum
      }
    }
    return Activation(shape: input.shape, batch: batch, data: dx)
  }

  /// Copies the output-gradient pixels that each kernel tap of channel `k` touched.
  @inline(__always)
  private func gather(
    _ gradient: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>, channel k: Int,
    sample b: Int, columns: Int, height: Int, width: Int, outHeight: Int, outWidth: Int
  ) {
    for ky in 0..<kernelHeight {
      for kx in 0..<kernelWidth {
        let row = cols + ((k * kernelHeight + ky) * kernelWidth + kx) * columns + b * height * width
        let (xStart, xEnd) = validRange(
          kernel: kx, stride: strideX, pad: padX, inputSize: width, outputSize: outWidth)
        if xStart >= xEnd { continue }
        for iy in 0..<height {
          let oy = iy * strideY - padY + ky
          if oy < 0 || oy >= outHeight { continue }
          let destination = row + iy * width
          let source = gradient + oy * outWidth - padX + kx
          for ix in xStart..<xEnd { destination[ix] = source[ix * strideX] }
        }
      }
    }
  }
}

// MARK: - Batch normalization

/// Batch normalization. Training uses the batch's statistics and updates the running ones
/// (momentum 0.1, unbiased variance, as PyTorch does); inference uses the running ones.
final class BatchNormLayer: Layer {
  let channels: Int
  let epsilon: Float
  let momentum: Float = 0.1
  /// (C) each
  let scale: Parameter
  let shift: Parameter
  var runningMean: [Float]
  var runningVariance: [Float]
  /// (C) batch statistics kept from the last training forward pass for the backward pass.
  private var batchMean: [Float] = []
  private var batchInverseDeviation: [Float] = []
  /// Whether the last forward pass normalized with the batch's statistics (training) or with
  /// the running ones (inference); the backward pass differentiates whichever was used.
  private var usedBatchStatistics = true
  var parameters: [Parameter] { [scale, shift] }

  init(
    channels: Int, epsilon: Float, scale: Parameter, shift: Parameter, runningMean: [Float],
    runningVariance: [Float]
  ) {
    self.channels = channels
    self.epsilon = epsilon
    self.scale = scale
    self.shift = shift
    self.runningMean = runningMean
    self.runningVariance = runningVariance
  }

  func forward(_ input: Activation, training: Bool) -> Activation {
    let count = input.batch * input.shape.height * input.shape.width
    var output = input
    usedBatchStatistics = training
    if training {
      batchMean = [Float](repeating: 0, count: channels)
      batchInverseDeviation = [Float](repeating: 0, count: channels)
    }
    output.data.withUnsafeMutableBufferPointer { y in
      for c in 0..<channels {
        let start = c * count
        var mean: Float
        var variance: Float
        if training {
          var sum: Double = 0
          for i in start..<(start + count) { sum += Double(y[i]) }
          mean = Float(sum / Double(count))
          var squares: Double = 0
          for i in start..<(start + count) {
            let d = Double(y[i] - mean)
            squares += d * d
          }
          variance = Float(squares / Double(count))
          let unbiased = count > 1 ? Float(squares / Double(count - 1)) : variance
          runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean
          runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * unbiased
        } else {
          mean = runningMean[c]
          variance = runningVariance[c]
        }
        let inverse = 1 / (variance + epsilon).squareRoot()
        if training {
          batchMean[c] = mean
          batchInverseDeviation[c] = inverse
        }
        let gain = scale.value[c] * inverse
        let offset = shift.value[c] - mean * gain
        for i in start..<(start + count) { y[i] = y[i] * gain + offset }
      }
    }
    return output
  }

  func backward(input: Activation, output: Activation, outputGradient: Activation) -> Activation {
    let count = input.batch * input.shape.height * input.shape.width
    let n = Float(count)
    var dx = outputGradient
    if !usedBatchStatistics {
      // With fixed statistics the layer is y = gain·x + offset per channel.
      dx.data.withUnsafeMutableBufferPointer { d in
        input.data.withUnsafeBufferPointer { x in
          for c in 0..<channels {
            let start = c * count
            let inverse = 1 / (runningVariance[c] + epsilon).squareRoot()
            var sumGradient: Float = 0
            var sumGradientNormalized: Float = 0
            for i in start..<(start + count) {
              sumGradient += d[i]
              sumGradientNormalized += d[i] * (x[i] - runningMean[c]) * inverse
            }
            if !scale.frozen { scale.gradient[c] += sumGradientNormalized }
            if !shift.frozen { shift.gradient[c] += sumGradient }
            let gain = scale.value[c] * inverse
            for i in start..<(start + count) { d[i] *= gain }
          }
        }
      }
      return dx
    }
    dx.data.withUnsafeMutableBufferPointer { d in
      input.data.withUnsafeBufferPointer { x in
        for c in 0..<channels {
          let start = c * count
          let mean = batchMean[c]
          let inverse = batchInverseDeviation[c]
          // Σ dy and Σ dy·x̂ give the shift and scale gradients and the two correction terms.
          var sumGradient: Float = 0
          var sumGradientNormalized: Float = 0
          for i in start..<(start + count) {
            sumGradient += d[i]
            sumGradientNormalized += d[i] * (x[i] - mean) * inverse
          }
          scale.gradient[c] += sumGradientNormalized
          shift.gradient[c] += sumGradient
          let gain = scale.value[c] * inverse / n
          for i in start..<(start + count) {
            let normalized = (x[i] - mean) * inverse
            d[i] = gain * (n * d[i] - sumGradient - normalized * sumGradientNormalized)
          }
        }
      }
    }
    return dx
  }
}

// MARK: - Activations

/// An element-wise activation; its derivative is computed from its input or output alone.
final class ActivationLayer: Layer {
  enum Kind {
    case relu
    case leakyReLU(Float)
    case sigmoid
    case tanh
  }

  let kind: Kind
  var parameters: [Parameter] { [] }

  init(_ kind: Kind) { self.kind = kind }

  /// Whether `backward` gives the same result when handed the layer's output as its input,
  /// which lets a training pass keep only the output. Leaky ReLU reads the sign of its
  /// input, which its output keeps only for a positive slope.
  var backwardAcceptsOutputAsInput: Bool {
    switch kind {
    case .relu, .sigmoid, .tanh: return true
    case .leakyReLU(let slope): return slope > 0
    }
  }

  func forward(_ input: Activation, training: Bool) -> Activation {
    var output = input
    applyInPlace(&output)
    return output
  }

  /// Applies the activation to a buffer the caller owns, on all cores for large buffers.
  func applyInPlace(_ activation: inout Activation) {
    let count = activation.data.count
    let kind = kind
    activation.data.withUnsafeMutableBufferPointer { y in
      let base = y.baseAddress!
      let chunks = max(1, min(16, count >> 14))
      let chunk = (count + chunks - 1) / chunks
      parallelFor(chunks, work: count * 4) { part in
        let start = part * chunk
        let end = min(count, start + chunk)
        guard start < end else { return }
        ActivationLayer.apply(kind, base + start, count: end - start)
      }
    }
  }

  /// Applies `kind` to `count` values in place with the C kernels. NaN stays NaN.
  static func apply(_ kind: Kind, _ values: UnsafeMutablePointer<Float>, count: Int) {
    switch kind {
    case .relu: facesh_relu(values, count)
    case .leakyReLU(let slope): facesh_leaky_relu(values, count, slope)
    case .sigmoid: facesh_sigmoid(values, count)
    case .tanh: facesh_tanh(values, count)
    }
  }

  func backward(input: Activation, output: Activation, outputGradient: Activation) -> Activation {
    var dx = outputGradient
    let count = dx.data.count
    let kind = kind
    dx.data.withUnsafeMutableBufferPointer { dPointer in
      output.data.withUnsafeBufferPointer { yPointer in
        input.data.withUnsafeBufferPointer { xPointer in
          let (d, y, x) = (dPointer.baseAddress!, yPointer.baseAddress!, xPointer.baseAddress!)
          let chunks = max(1, min(16, count >> 14))
          let chunk = (count + chunks - 1) / chunks
          parallelFor(chunks, work: count * 4) { part in
            let start = part * chunk
            let end = min(count, start + chunk)
            guard start < end else { return }
            let count = end - start
            switch kind {
            case .relu: facesh_relu_backward(d + start, y + start, count)
            case .leakyReLU(let slope):
              facesh_leaky_relu_backward(d + start, x + start, count, slope)
            case .sigmoid: facesh_sigmoid_backward(d + start, y + start, count)
            case .tanh: facesh_tanh_backward(d + start, y + start, count)
            }
          }
        }
      }
    }
    return dx
  }
}
