import CFaceBLAS
import Foundation

/// The principal axes of a model's training latents: the coordinate system users edit in.
///
/// Axes are orthonormal and sorted by variance, largest first, so `axes[0]` is `pc[1]`. The
/// coordinate of a latent vector on axis k is its projection `(latent − mean)·axes[k]`; in σ
/// units it is that projection divided by `sigma[k]`, which is defined only where σ > 0.
public struct PCABasis: Sendable, Equatable {
  /// (D)
  public let mean: [Float]
  /// D unit vectors of length D.
  public let axes: [[Float]]
  /// (D) standard deviation of the training latents along each axis; 0 for an axis the data
  /// does not span.
  public let sigma: [Float]

  /// Creates a basis from its parts; `axes` must be D vectors of length D.
  public init(mean: [Float], axes: [[Float]], sigma: [Float]) {
    precondition(axes.count == mean.count && sigma.count == mean.count)
    precondition(axes.allSatisfy { $0.count == mean.count })
    self.mean = mean
    self.axes = axes
    self.sigma = sigma
  }

  /// Latent size D.
  public var dimension: Int { mean.count }

  /// Returns the projection of `latent` on every axis.
  public func projections(of latent: [Float]) -> [Float] {
    exactProjections(of: latent).map { Float($0) }
  }

  /// Returns the projections of `latent` in double precision. They stay finite for latents
  /// near the largest Float, where the Float projections overflow to infinity.
  public func exactProjections(of latent: [Float]) -> [Double] {
    precondition(latent.count == dimension, "latent has \(latent.count) values, expected \(dimension)")
    var centered = [Double](repeating: 0, count: dimension)
    for i in 0..<dimension { centered[i] = Double(latent[i]) - Double(mean[i]) }
    return axes.map { axis in
      var sum = 0.0
      for i in 0..<dimension { sum += Double(axis[i]) * centered[i] }
      return sum
    }
  }

  /// Returns `mean + Σ p[k]·axes[k]`, the inverse of `projections(of:)`.
  public func latent(fromProjections projections: [Float]) -> [Float] {
    precondition(projections.count == dimension)
    var out = mean.map(Double.init)
    for (k, axis) in axes.enumerated() {
      let p = Double(projections[k])
      if p == 0 { continue }
      for i in 0..<dimension { out[i] += p * Double(axis[i]) }
    }
    return out.map { Float($0) }
  }

  /// Number of axes with σ above zero.
  public var spannedAxisCount: Int { sigma.filter { $0 > 0 }.count }

  /// Returns a random face's latent: each coordinate is drawn from N(0, σ_k²), scaled by
  /// `truncation`, with `PortableRandom(seed:)` supplying the draws in axis order.
  public func randomLatent(seed: UInt64, truncation: Float = 1) -> [Float] {
    var random = PortableRandom(seed: seed)
    var projections = [Float](repeating: 0, count: dimension)
    for k in 0..<dimension {
      projections[k] = Float(random.nextGaussian()) * sigma[k] * truncation
    }
    return latent(fromProjections: projections)
  }

  /// Fits the basis to `rows` latent vectors stored row by row, (N, D).
  ///
  /// The covariance (divided by N − 1, or by 1 when N = 1) is decomposed by LAPACK's symmetric
  /// solver `dsyevd` in double precision. Eigenvalues are clamped at 0 before the square root
  /// and sorted in descending order; each axis is flipped so that its entry of largest
  /// magnitude is positive (the first such entry on a tie), so the same data always gives the
  /// same directions whatever the row order.
  ///
  /// - Throws: `PCAError` when there are no rows or the solver fails.
  public static func fit(latents: [Float], rows: Int, dimension: Int) throws -> PCABasis {
    guard rows > 0, dimension > 0 else { throw PCAError(message: "cannot fit PCA to no latent vectors") }
    precondition(latents.count == rows * dimension)
    guard latents.allSatisfy({ $0.isFinite }) else {
      throw PCAError(message: "the latent table contains NaN or infinite values; retrain with lower learning rates")
    }
    var mean = [Double](repeating: 0, count: dimension)
    for r in 0..<rows {
      for i in 0..<dimension { mean[i] += Double(latents[r * dimension + i]) }
    }
    for i in 0..<dimension { mean[i] /= Double(rows) }
    var centered = [Double](repeating: 0, count: rows * dimension)
    for r in 0..<rows {
      for i in 0..<dimension {
        centered[r * dimension + i] = Double(latents[r * dimension + i]) - mean[i]
      }
    }

    // covariance (D, D) = centeredᵀ · centered / (N − 1), summed row by row in a fixed
    // order: axes with σ = 0 may be any basis of the directions the data does not span, so
    // they follow every rounding, and a threaded GEMM would make them depend on the thread
    // count.
    var covariance = [Double](repeating: 0, count: dimension * dimension)
    let divisor = Double(max(rows - 1, 1))
    centered.withUnsafeBufferPointer { values in
      covariance.withUnsafeMutableBufferPointer { sums in
        for r in 0..<rows {
          let row = values.baseAddress! + r * dimension
          for i in 0..<dimension {
            let value = row[i]
            if value == 0 { continue }
            for j in i..<dimension { sums[i * dimension + j] += value * row[j] }
          }
        }
        for i in 0..<dimension {
          for j in i..<dimension {
            sums[i * dimension + j] /= divisor
            sums[j * dimension + i] = sums[i * dimension + j]
          }
        }
      }
    }

    let (eigenvalues, eigenvectors) = try symmetricEigen(covariance, dimension: dimension)
    let order = (0..<dimension).sorted { eigenvalues[$0] > eigenvalues[$1] }
    var axes: [[Float]] = []
    var sigma: [Float] = []
    for index in order {
      // Column-major output: eigenvector `index` is contiguous.
      var axis = Array(eigenvectors[(index * dimension)..<((index + 1) * dimension)])
      var largest = 0
      for i in 1..<dimension where abs(axis[i]) > abs(axis[largest]) + 1e-12 { largest = i }
      if axis[largest] < 0 { axis = axis.map { -$0 } }
      axes.append(axis.map { Float($0) })
      sigma.append(Float(max(eigenvalues[index], 0).squareRoot()))
    }
    // Round-off leaves tiny positive eigenvalues on axes the data does not span.
    let largestSigma = sigma.first ?? 0
    let cutoff = largestSigma * 1e-5
    sigma = sigma.map { $0 <= cutoff ? 0 : $0 }
    return PCABasis(mean: mean.map { Float($0) }, axes: axes, sigma: sigma)
  }

  /// Returns eigenvalues and column-major eigenvectors of a symmetric matrix.
  ///
  /// OpenBLAS runs the solver on one thread, so that the result does not depend on its
  /// thread count.
  static func symmetricEigen(_ matrix: [Double], dimension: Int) throws -> ([Double], [Double]) {
    let threads = openblas_get_num_threads()
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(threads) }
    var a = matrix
    var n = Int32(dimension)
    var lda = n
    var w = [Double](repeating: 0, count: dimension)
    var jobz = Int8(UInt8(ascii: "V"))
    var uplo = Int8(UInt8(ascii: "U"))
    var info: Int32 = 0
    var workSize: Double = 0
    var iworkSize: Int32 = 0
    var query: Int32 = -1
    dsyevd_(&jobz, &uplo, &n, &a, &lda, &w, &workSize, &query, &iworkSize, &query, &info)
    guard info == 0 else { throw PCAError(message: "the eigensolver rejected its input (info \(info))") }
    var lwork = Int32(workSize)
    var liwork = iworkSize
    var work = [Double](repeating: 0, count: Int(lwork))
    var iwork = [Int32](repeating: 0, count: Int(liwork))
    dsyevd_(&jobz, &uplo, &n, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
    guard info == 0 else {
      throw PCAError(message: "the eigensolver did not converge (info \(info))")
    }
    return (w, a)
  }
}

/// A failure to fit a PCA basis.
public struct PCAError: Error, CustomStringConvertible {
  public let message: String
  public var description: String { message }
}
