import CFaceBLAS
import XCTest

@testable import FaceRuntime

/// Compares facesh's GEMM with OpenBLAS's cblas_sgemm on awkward shapes, with the AVX2 kernel
/// and with the portable one.
final class GEMMTests: XCTestCase {
  static let sizes = [1, 7, 17, 63, 65, 257]

  override func tearDown() {
    facesh_sgemm_force_generic(0)
    gemmBackend = .automatic
    super.tearDown()
  }

  func randomMatrix(_ count: Int, _ random: inout PortableRandom) -> [Float] {
    (0..<count).map { _ in Float(random.nextGaussian()) }
  }

  /// One product with its inputs and the OpenBLAS result.
  struct Case {
    var transposeA: Bool
    var transposeB: Bool
    var m: Int, n: Int, k: Int
    var lda: Int, ldb: Int, ldc: Int
    var alpha: Float = 1
    var beta: Float = 0
    var a: [Float], b: [Float], c: [Float]

    /// C as OpenBLAS computes it, and |alpha|·|op(A)|·|op(B)| for the error bound.
    func reference() -> (values: [Float], magnitude: [Float]) {
      var values = c
      cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a,
        Int32(lda), b, Int32(ldb), beta, &values, Int32(ldc))
      var magnitude = [Float](repeating: 0, count: c.count)
      let absoluteA = a.map { abs($0) }
      let absoluteB = b.map { abs($0) }
      cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), abs(alpha),
        absoluteA, Int32(lda), absoluteB, Int32(ldb), 0, &magnitude, Int32(ldc))
      return (values, magnitude)
    }
  }

  func makeCase(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, padding: Int = 0,
    _ random: inout PortableRandom
  ) -> Case {
    let lda = (transposeA ? m : k) + padding
    let ldb = (transposeB ? k : n) + padding
    let ldc = n + padding
    return Case(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, lda: lda, ldb: ldb,
      ldc: ldc, a: randomMatrix((transposeA ? k : m) * lda, &random),
      b: randomMatrix((transposeB ? n : k) * ldb, &random), c: randomMatrix(m * ldc, &random))
  }

  /// Runs facesh's GEMM on `test` and checks it against OpenBLAS. Each element may differ by
  /// 4·K·ε·(|alpha|·|op(A)|·|op(B)| + |beta·C|): the rounding bound of either side, twice.
  /// Entries of C outside the M×N matrix must not change.
  func check(_ test: Case, file: StaticString = #filePath, line: UInt = #line) {
    let (expected, magnitude) = test.reference()

    var actual = test.c
    gemmBackend = .facesh
    test.a.withUnsafeBufferPointer { a in
      test.b.withUnsafeBufferPointer { b in
        gemm(
          transposeA: test.transposeA, transposeB: test.transposeB, m: test.m, n: test.n,
          k: test.k, a.baseAddress!, b.baseAddress!, &actual, alpha: test.alpha,
          beta: test.beta, lda: test.lda, ldb: test.ldb, ldc: test.ldc)
      }
    }
    gemmBackend = .automatic

    // Find the element with the largest error relative to its bound.
    let transposes = (test.transposeA ? "T" : "N") + (test.transposeB ? "T" : "N")
    let shape =
      "\(transposes) m=\(test.m) n=\(test.n) k=\(test.k) alpha=\(test.alpha) beta=\(test.beta)"
    var worst: Float = 0
    var worstIndex = 0
    for i in 0..<test.m {
      for j in 0..<test.ldc {
        let index = i * test.ldc + j
        if j >= test.n {
          XCTAssertEqual(
            actual[index], test.c[index], "\(shape): padding at (\(i), \(j)) changed",
            file: file, line: line)
          continue
        }
        let scale = magnitude[index] + abs(test.beta * test.c[index]) + Float.leastNormalMagnitude
        let allowed = 4 * Float(max(test.k, 1)) * Float.ulpOfOne * scale
        let ratio = abs(actual[index] - expected[index]) / allowed
        if !(ratio <= worst) {
          worst = ratio
          worstIndex = index
        }
      }
    }

    let position = "(\(worstIndex / test.ldc), \(worstIndex % test.ldc))"
    XCTAssertLessThan(
      worst, 1,
      "\(shape): at \(position) facesh gave \(actual[worstIndex]), "
        + "OpenBLAS \(expected[worstIndex])",
      file: file, line: line)
  }

  func checkAllShapes(seed: UInt64) {
    var random = PortableRandom(seed: seed)
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        for m in Self.sizes {
          for n in Self.sizes {
            for k in Self.sizes {
              check(
                makeCase(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, &random))
            }
          }
        }
      }
    }
  }

  func testKernelSelection() {
    // On a CPU with AVX2 and FMA, the test below must run the AVX2 kernel, not the portable
    // one a second time.
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    if cpuinfo.contains(" avx2") && cpuinfo.contains(" fma") {
      XCTAssertEqual(String(cString: facesh_sgemm_kernel_name()), "avx2-fma")
    }
    facesh_sgemm_force_generic(1)
    XCTAssertEqual(String(cString: facesh_sgemm_kernel_name()), "generic")
  }

  func testBestKernelMatchesOpenBLAS() {
    checkAllShapes(seed: 11)
  }

  func testGenericKernelMatchesOpenBLAS() {
    facesh_sgemm_force_generic(1)
    checkAllShapes(seed: 12)
  }

  func testAlphaBetaAndStrides() {
    var random = PortableRandom(seed: 13)
    for generic in [0, 1] {
      facesh_sgemm_force_generic(Int32(generic))
      for (alpha, beta) in [(Float(1), Float(1)), (0.5, 0), (-2, 0.25), (1, -1)] {
        for transposeA in [false, true] {
          for transposeB in [false, true] {
            // K = 600 spans three depth blocks, which the later ones add to C.
            for (m, n, k) in [(13, 35, 600), (64, 16, 256), (1, 40, 3)] {
              var test = makeCase(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, padding: 5,
                &random)
              (test.alpha, test.beta) = (alpha, beta)
              check(test)
            }
          }
        }
      }
    }
  }

  func testZeroBetaIgnoresNaN() {
    var random = PortableRandom(seed: 14)
    var test = makeCase(transposeA: false, transposeB: false, m: 9, n: 21, k: 5, &random)
    test.c = [Float](repeating: .nan, count: test.c.count)
    let expectedTest = Case(
      transposeA: false, transposeB: false, m: 9, n: 21, k: 5, lda: test.lda, ldb: test.ldb,
      ldc: test.ldc, a: test.a, b: test.b, c: [Float](repeating: 0, count: test.c.count))
    let (expected, _) = expectedTest.reference()
    var actual = test.c
    gemmBackend = .facesh
    gemm(
      transposeA: false, transposeB: false, m: 9, n: 21, k: 5, test.a, test.b, &actual)
    for index in actual.indices {
      XCTAssertEqual(actual[index], expected[index], accuracy: 1e-5, "element \(index)")
    }
  }

  func testZeroDepthScalesC() {
    let a: [Float] = [1]
    let b: [Float] = [1]
    var c: [Float] = [2, 4, 6, 8]
    gemmBackend = .facesh
    gemm(transposeA: false, transposeB: false, m: 2, n: 2, k: 0, a, b, &c, beta: 0.5)
    XCTAssertEqual(c, [1, 2, 3, 4])
  }

  func testPackedMatchesUnpacked() {
    var random = PortableRandom(seed: 15)
    for generic in [0, 1] {
      facesh_sgemm_force_generic(Int32(generic))
      for (m, n, k) in [(2048, 16, 256), (65, 17, 257), (7, 63, 1)] {
        // A stored K×M and used transposed, as a transposed convolution's weight is.
        let a = randomMatrix(k * m, &random)
        let b = randomMatrix(k * n, &random)
        let packed = a.withUnsafeBufferPointer {
          PackedMatrix(transposed: true, rows: m, columns: k, $0.baseAddress!, lda: m)
        }
        var fromPacked = [Float](repeating: 0, count: m * n)
        var unpacked = [Float](repeating: 0, count: m * n)
        gemm(packed: packed, transposeB: false, n: n, b, &fromPacked)
        gemmBackend = .facesh
        gemm(transposeA: true, transposeB: false, m: m, n: n, k: k, a, b, &unpacked)
        gemmBackend = .automatic
        XCTAssertEqual(fromPacked, unpacked, "m=\(m) n=\(n) k=\(k) generic=\(generic)")
      }
    }
  }

  /// Every division into tasks must give bit-identical results.
  func testTaskDivisionDoesNotChangeResult() {
    var random = PortableRandom(seed: 16)
    let (m, n, k) = (301, 530, 700)
    let a = randomMatrix(m * k, &random)
    let b = randomMatrix(k * n, &random)
    func run(blockPanels: (Int, Int)?) -> [Float] {
      var c = [Float](repeating: 0, count: m * n)
      a.withUnsafeBufferPointer { aPointer in
        b.withUnsafeBufferPointer { bPointer in
          c.withUnsafeMutableBufferPointer { cPointer in
            var plan = facesh_sgemm_plan()
            (plan.m, plan.n, plan.k, plan.alpha, plan.beta) = (m, n, k, 1, 0)
            (plan.a, plan.lda) = (aPointer.baseAddress, k)
          (plan.b, plan.ldb) = (bPointer.baseAddress, n)
            (plan.c, plan.c_row_stride, plan.c_column_stride) = (cPointer.baseAddress, n, 1)
            var tasks = facesh_sgemm_prepare(&plan)
            if let (rowPanels, columnPanels) = blockPanels {
              plan.block_rows = rowPanels * Int(FACESH_SGEMM_MR)
              plan.block_columns = columnPanels * Int(FACESH_SGEMM_NR)
              plan.tasks_m = (m + plan.block_rows - 1) / plan.block_rows
              plan.tasks_n = (n + plan.block_columns - 1) / plan.block_columns
              tasks = plan.tasks_m * plan.tasks_n
            }
            let planCopy = plan
            withUnsafePointer(to: planCopy) { planPointer in
              DispatchQueue.concurrentPerform(iterations: tasks) {
                facesh_sgemm_run_task(planPointer, $0)
              }
            }
          }
        }
      }
      return c
    }
    let reference = run(blockPanels: nil)
    for blocks in [(1, 1), (51, 34), (3, 7), (2, 40)] {
      XCTAssertEqual(run(blockPanels: blocks), reference, "blocks of \(blocks) panels")
    }
  }

  /// The column-stride option writes a column-major C.
  func testColumnMajorOutput() {
    var random = PortableRandom(seed: 17)
    let (m, n, k) = (23, 9, 31)
    let a = randomMatrix(m * k, &random)
    let b = randomMatrix(k * n, &random)
    var rowMajor = [Float](repeating: 0, count: m * n)
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k),
      b, Int32(n), 0, &rowMajor, Int32(n))
    var columnMajor = [Float](repeating: 0, count: m * n)
    a.withUnsafeBufferPointer { aPointer in
      b.withUnsafeBufferPointer { bPointer in
        columnMajor.withUnsafeMutableBufferPointer { cPointer in
          var plan = facesh_sgemm_plan()
          (plan.m, plan.n, plan.k, plan.alpha, plan.beta) = (m, n, k, 1, 0)
          (plan.a, plan.lda) = (aPointer.baseAddress, k)
          (plan.b, plan.ldb) = (bPointer.baseAddress, n)
          (plan.c, plan.c_row_stride, plan.c_column_stride) = (cPointer.baseAddress, 1, m)
          let tasks = facesh_sgemm_prepare(&plan)
          for task in 0..<tasks { facesh_sgemm_run_task(&plan, task) }
        }
      }
    }
    for i in 0..<m {
      for j in 0..<n {
        XCTAssertEqual(columnMajor[j * m + i], rowMajor[i * n + j], accuracy: 1e-4, "(\(i), \(j))")
      }
    }
  }
}
