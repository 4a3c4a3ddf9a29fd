import CFaceBLAS
import XCTest

@testable import FaceRuntime

/// Checks the SGEMM that packs a transposed convolution's column matrix straight from the
/// output gradient (`facesh_conv_columns`) against the same SGEMM on the stored matrix. Both
/// pack the same values and split the work the same way, so the results must be
/// bit-identical.
final class ConvColumnsTests: XCTestCase {
  override func tearDown() {
    facesh_sgemm_force_generic(0)
    gemmBackend = .automatic
    super.tearDown()
  }

  /// Builds the column matrix D (K·R·S, B·H·W) element by element from its definition.
  func columnMatrix(
    _ configuration: ConvTransposeBlockTests.Configuration, gradient: [Float],
    outHeight: Int, outWidth: Int
  ) -> [Float] {
    let (r, s) = configuration.kernel
    let (h, w) = configuration.input
    let (sy, sx) = configuration.stride
    let (py, px) = configuration.padding
    let batch = configuration.batch
    let pixels = batch * h * w
    var columns = [Float](repeating: 0, count: configuration.outputChannels * r * s * pixels)
    for k in 0..<configuration.outputChannels {
      for ky in 0..<r {
        for kx in 0..<s {
          let row = (k * r + ky) * s + kx
          for b in 0..<batch {
            for iy in 0..<h {
              for ix in 0..<w {
                let (oy, ox) = (iy * sy - py + ky, ix * sx - px + kx)
                guard oy >= 0, oy < outHeight, ox >= 0, ox < outWidth else { continue }
                columns[row * pixels + (b * h + iy) * w + ix] =
                  gradient[((k * batch + b) * outHeight + oy) * outWidth + ox]
              }
            }
          }
        }
      }
    }
    return columns
  }

  /// The block tests' shapes and the 64×64 decoder's: rows of 8 and 16 pixels, which the
  /// AVX2 packing reads with masked loads, and rows of 4, which it gathers.
  static let configurations =
    ConvTransposeBlockTests.configurations + [4, 8, 16].map { size in
      ConvTransposeBlockTests.Configuration(
        inputChannels: 6, outputChannels: 5, kernel: (4, 4), stride: (2, 2), padding: (1, 1),
        input: (size, size), batch: 3, activation: nil)
    }

  func check(generic: Bool) {
    var random = PortableRandom(seed: generic ? 31 : 32)
    facesh_sgemm_force_generic(generic ? 1 : 0)
    gemmBackend = .facesh
    for (index, configuration) in Self.configurations.enumerated() {
      let (r, s) = configuration.kernel
      let (h, w) = configuration.input
      let outHeight = (h - 1) * configuration.stride.0 - 2 * configuration.padding.0 + r
      let outWidth = (w - 1) * configuration.stride.1 - 2 * configuration.padding.1 + s
      let (c, k, batch) =
        (configuration.inputChannels, configuration.outputChannels, configuration.batch)
      let taps = k * r * s
      let pixels = batch * h * w
      func values(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float(random.nextGaussian()) }
      }
      let gradient = values(k * batch * outHeight * outWidth)
      let stored = columnMatrix(
        configuration, gradient: gradient, outHeight: outHeight, outWidth: outWidth)
      let weight = values(c * taps)
      let input = values(c * pixels)
      let start = values(c * taps)

      var description = facesh_conv_columns()
      (description.channels, description.batch) = (k, batch)
      (description.height, description.width) = (h, w)
      (description.out_height, description.out_width) = (outHeight, outWidth)
      (description.kernel_height, description.kernel_width) = (r, s)
      (description.stride_y, description.stride_x) = configuration.stride
      (description.pad_y, description.pad_x) = configuration.padding

      // dx (C, B·H·W) = W (C, K·R·S) · D, and dW (C, K·R·S) += x (C, B·H·W) · Dᵀ.
      var expectedInput = [Float](repeating: .nan, count: c * pixels)
      gemm(
        transposeA: false, transposeB: false, m: c, n: pixels, k: taps, weight, stored,
        &expectedInput)
      var expectedWeight = start
      gemm(
        transposeA: false, transposeB: true, m: c, n: taps, k: pixels, input, stored,
        &expectedWeight, beta: 1)

      var actualInput = [Float](repeating: .nan, count: c * pixels)
      var actualWeight = start
      gradient.withUnsafeBufferPointer { pointer in
        description.gradient = pointer.baseAddress
        withUnsafePointer(to: description) { columns in
          gemm(
            transposeA: false, m: c, n: pixels, k: taps, weight, columns: columns,
            transposeColumns: false, &actualInput)
          gemm(
            transposeA: false, m: c, n: taps, k: pixels, input, columns: columns,
            transposeColumns: true, &actualWeight, beta: 1)
        }
      }
      let inputMismatch = actualInput.indices.first { actualInput[$0] != expectedInput[$0] }
      XCTAssertNil(inputMismatch, "configuration \(index): input gradient differs")
      let weightMismatch = actualWeight.indices.first { actualWeight[$0] != expectedWeight[$0] }
      XCTAssertNil(weightMismatch, "configuration \(index): weight gradient differs")
    }
  }

  func testBestKernelMatchesStoredColumns() { check(generic: false) }

  func testGenericKernelMatchesStoredColumns() { check(generic: true) }

  /// The layer's backward pass with packed columns must agree with the OpenBLAS path through
  /// a stored column buffer to rounding.
  func testBackwardMatchesColumnBufferPath() {
    var random = PortableRandom(seed: 33)
    for (index, configuration) in ConvTransposeBlockTests.configurations.enumerated() {
      let (c, k) = (configuration.inputChannels, configuration.outputChannels)
      let (r, s) = configuration.kernel
      let weight = (0..<(c * k * r * s)).map { _ in Float(random.nextGaussian() * 0.2) }
      let layer = ConvTransposeLayer(
        inputChannels: c, outputChannels: k, kernel: configuration.kernel,
        stride: configuration.stride, padding: configuration.padding,
        weight: Parameter(name: "weight", shape: [c, k, r, s], value: weight),
        bias: Parameter(name: "bias", shape: [k], value: [Float](repeating: 0.1, count: k)))
      let shape = SampleShape(
        configuration.inputChannels, configuration.input.0, configuration.input.1)
      let input = Activation(
        shape: shape, batch: configuration.batch,
        data: (0..<(shape.count * configuration.batch)).map { _ in Float(random.nextGaussian()) })
      let output = layer.forward(input, training: true)
      let gradient = Activation(
        shape: output.shape, batch: output.batch,
        data: output.data.map { _ in Float(random.nextGaussian()) })

      var results: [([Float], [Float], [Float])] = []
      for backend in [GEMMBackend.openBLAS, .automatic] {
        gemmBackend = backend
        layer.weight.zeroGradient()
        layer.bias.zeroGradient()
        let dx = layer.backward(input: input, output: output, outputGradient: gradient)
        results.append((dx.data, layer.weight.gradient, layer.bias.gradient))
      }
      for (name, expected, actual) in [
        ("input", results[0].0, results[1].0), ("weight", results[0].1, results[1].1),
        ("bias", results[0].2, results[1].2),
      ] {
        XCTAssertEqual(expected.count, actual.count, "configuration \(index): \(name)")
        let scale = expected.map { abs($0) }.max() ?? 1
        let largest = zip(expected, actual).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(
          largest, 1e-5 * max(scale, 1), "configuration \(index): \(name) gradient")
      }
    }
  }
}
