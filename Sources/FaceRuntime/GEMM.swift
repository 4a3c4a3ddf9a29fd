import CFaceBLAS
import Foundation

/// The implementation behind the decoder's matrix products.
package enum GEMMBackend: String, CaseIterable {
  /// facesh's own SGEMM (`facesh_sgemm` in CFaceBLAS) and blocked transposed convolution,
  /// with OpenBLAS for matrix-vector products.
  case automatic
  /// OpenBLAS for every product, and transposed convolutions through a full column buffer.
  case openBLAS = "openblas"
  /// facesh's SGEMM for every product, matrix-vector ones included.
  case facesh
}

/// Backend every `gemm` call and transposed convolution uses; tests and benchmarks change it.
/// Not synchronized: set it only while no decoder is running.
nonisolated(unsafe) package var gemmBackend = GEMMBackend.automatic

/// The method for transposed convolutions with a 4×4 kernel and stride 2.
package enum TransposedConvolutionMethod: String, CaseIterable {
  /// Winograd's F(2×2, 2×2) where it saves time, GEMM and scatter elsewhere.
  case automatic
  /// GEMM and scatter for every layer.
  case direct
  /// Winograd's F(2×2, 2×2) for every layer it applies to, however small.
  case winograd
}

/// Method every eligible transposed convolution uses; tests and benchmarks change it. Not
/// synchronized: set it only while no decoder is running.
nonisolated(unsafe) package var transposedConvolutionMethod = TransposedConvolutionMethod.automatic

/// Row-major single-precision GEMM: C = alpha·op(A)·op(B) + beta·C with op(A) M×K, op(B) K×N.
/// Leading dimensions default to tightly packed matrices.
///
/// With beta = 0 the old contents of C are not read. facesh's SGEMM gives bit-identical
/// results from run to run for the same inputs, however many threads it uses. The two
/// backends round differently, so their results differ in the last bits.
func gemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
  alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
) {
  let lda = lda ?? (transposeA ? m : k)
  let ldb = ldb ?? (transposeB ? k : n)
  let ldc = ldc ?? n
  if usesOpenBLAS(m: m, n: n, k: k) {
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
      transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a,
      Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    return
  }
  var plan = facesh_sgemm_plan()
  plan.transpose_a = transposeA ? 1 : 0
  plan.transpose_b = transposeB ? 1 : 0
  (plan.m, plan.n, plan.k) = (m, n, k)
  (plan.alpha, plan.beta) = (alpha, beta)
  (plan.a, plan.lda) = (a, lda)
  (plan.b, plan.ldb) = (b, ldb)
  (plan.c, plan.c_row_stride, plan.c_column_stride) = (c, ldc, 1)
  runSGEMM(&plan)
}

/// Multiplies a matrix packed by `PackedMatrix` with op(B): C = op(A)·op(B) + beta·C.
func gemm(
  packed a: PackedMatrix, transposeB: Bool, n: Int, _ b: UnsafePointer<Float>,
  _ c: UnsafeMutablePointer<Float>, beta: Float = 0, ldb: Int? = nil, ldc: Int? = nil
) {
  a.values.withUnsafeBufferPointer { packed in
    var plan = facesh_sgemm_plan()
    plan.transpose_b = transposeB ? 1 : 0
    (plan.m, plan.n, plan.k) = (a.rows, n, a.columns)
    (plan.alpha, plan.beta) = (1, beta)
    plan.packed_a = packed.baseAddress
    (plan.b, plan.ldb) = (b, ldb ?? (transposeB ? a.columns : n))
    (plan.c, plan.c_row_stride, plan.c_column_stride) = (c, ldc ?? n, 1)
    runSGEMM(&plan)
  }
}

/// Multiplies op(A) by a transposed convolution's column matrix D read in place from the
/// output gradient (see `facesh_conv_columns`): C = op(A)·op(D) + beta·C, with op(D) = Dᵀ
/// when `transposeColumns` is set. Always runs facesh's SGEMM; D is K·R·S × B·H·W.
func gemm(
  transposeA: Bool, m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>,
  columns: UnsafePointer<facesh_conv_columns>, transposeColumns: Bool,
  _ c: UnsafeMutablePointer<Float>, beta: Float = 0, lda: Int? = nil, ldc: Int? = nil
) {
  var plan = facesh_sgemm_plan()
  plan.transpose_a = transposeA ? 1 : 0
  plan.transpose_b = transposeColumns ? 1 : 0
  (plan.m, plan.n, plan.k) = (m, n, k)
  (plan.alpha, plan.beta) = (1, beta)
  (plan.a, plan.lda) = (a, lda ?? (transposeA ? m : k))
  plan.columns = columns
  (plan.c, plan.c_row_stride, plan.c_column_stride) = (c, ldc ?? n, 1)
  runSGEMM(&plan)
}

/// op(A) stored in facesh_sgemm's panel order, for a matrix that many GEMMs reuse (the
/// weights of a decoder that only decodes).
struct PackedMatrix {
  let rows: Int
  let columns: Int
  let values: [Float]

  /// Packs op(A), a `rows`×`columns` matrix, read from `a` with leading dimension `lda`.
  init(transposed: Bool, rows: Int, columns: Int, _ a: UnsafePointer<Float>, lda: Int) {
    self.rows = rows
    self.columns = columns
    let count = facesh_sgemm_packed_a_count(rows, columns)
    values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      facesh_sgemm_pack_a(transposed ? 1 : 0, rows, columns, a, lda, buffer.baseAddress!)
      initialized = count
    }
  }
}

/// Runs the plan's tasks, on all cores when the product is large enough to share.
private func runSGEMM(_ plan: inout facesh_sgemm_plan) {
  let tasks = facesh_sgemm_prepare(&plan)
  let work = plan.m * plan.n * plan.k
  withUnsafePointer(to: plan) { planPointer in
    if tasks > 1 && work >= 1 << 17 {
      DispatchQueue.concurrentPerform(iterations: tasks) { facesh_sgemm_run_task(planPointer, $0) }
    } else {
      for task in 0..<tasks { facesh_sgemm_run_task(planPointer, task) }
    }
  }
}

/// Returns true when OpenBLAS computes an M×N×K product under the current backend.
private func usesOpenBLAS(m: Int, n: Int, k: Int) -> Bool {
  switch gemmBackend {
  case .openBLAS: return true
  case .facesh: return false
  case .automatic:
    // A matrix-vector product pads one of its sides to a whole kernel tile, which wastes
    // most of the tile's multiplications.
    return m < 2 || n < 2
  }
}
