import CFaceBLAS
import Foundation

/// A face's distance from the model's training faces, and the axes on which it leaves
/// their range.
public struct Typicality: Sendable {
  /// An axis on which the face lies outside every training face.
  public struct AxisExcess: Sendable {
    /// 0-based axis index: 0 is `pc[1]`.
    public let axis: Int
    /// The face's coordinate in σ units.
    public let value: Double
    /// The lowest and highest coordinate of the training faces on this axis, in σ units.
    public let low: Double
    public let high: Double

    public init(axis: Int, value: Double, low: Double, high: Double) {
      self.axis = axis
      self.value = value
      self.low = low
      self.high = high
    }
  }

  /// The Mahalanobis distance from the mean face in σ: the length of the coordinate vector
  /// in σ units over the axes with σ above zero.
  public let distance: Double
  /// The fraction of training faces that lie closer to the mean face, 0 to 1.
  public let percentile: Double
  /// The largest distance of any training face; infinity for a model without training
  /// faces, which has no region to leave.
  public let trainingMaximum: Double
  /// Axes on which the face is beyond the training faces' range, in axis order.
  public let excesses: [AxisExcess]

  public init(distance: Double, percentile: Double, trainingMaximum: Double, excesses: [AxisExcess]) {
    self.distance = distance
    self.percentile = percentile
    self.trainingMaximum = trainingMaximum
    self.excesses = excesses
  }

  /// Whether the face lies outside the region the training faces cover: further from the
  /// mean than any of them, or beyond their range on some axis. A face with a NaN or
  /// infinite coordinate is outside.
  public var isOutside: Bool {
    !distance.isFinite || distance > trainingMaximum + 1e-3 || !excesses.isEmpty
  }
}

/// The training faces of a model in whitened PCA coordinates, for nearest-neighbour search
/// and typicality.
///
/// Whitened coordinates are the PCA coordinates in σ units on the axes with σ above zero.
/// Distances in them are Mahalanobis distances under the training latents' covariance.
/// Building the table costs one (N × D) · (D × D) product.
public final class TrainingFaces: @unchecked Sendable {
  public let model: FaceModel
  /// Indices of the axes with σ above zero.
  public let axes: [Int]
  /// (N, r) whitened coordinates of the training faces, r = `axes.count`.
  private let coordinates: [Float]
  /// Each training face's distance from the mean face, sorted ascending.
  private let sortedDistances: [Double]
  /// The lowest and highest coordinate of any training face on each of `axes`, in σ units.
  let lows: [Double]
  let highs: [Double]

  /// The largest distance of any training face from the mean face, in σ.
  var maximumDistance: Double { sortedDistances.last ?? 0 }

  /// Builds the table for `model`.
  public init(model: FaceModel) {
    self.model = model
    let pca = model.pca
    let dimension = pca.dimension
    let count = model.trainingFaceCount
    let axes = (0..<dimension).filter { pca.sigma[$0] > 0 }
    self.axes = axes
    let rank = axes.count

    // Centered latents (N, D) times whitening (D, r): column j is a_k / σ_k for k = axes[j].
    var centered = [Float](repeating: 0, count: count * dimension)
    for row in 0..<count {
      for i in 0..<dimension {
        centered[row * dimension + i] = model.latents[row * dimension + i] - pca.mean[i]
      }
    }
    var whitening = [Float](repeating: 0, count: dimension * rank)
    for (j, k) in axes.enumerated() {
      for i in 0..<dimension { whitening[i * rank + j] = pca.axes[k][i] / pca.sigma[k] }
    }
    var coordinates = [Float](repeating: 0, count: count * rank)
    if count > 0 && rank > 0 {
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(rank), Int32(dimension),
        1, centered, Int32(dimension), whitening, Int32(rank), 0, &coordinates, Int32(rank))
    }
    self.coordinates = coordinates

    var distances = [Double](repeating: 0, count: count)
    var lows = [Double](repeating: 0, count: rank)
    var highs = [Double](repeating: 0, count: rank)
    for row in 0..<count {
      var sum = 0.0
      for j in 0..<rank {
        let value = Double(coordinates[row * rank + j])
        sum += value * value
        if row == 0 || value < lows[j] { lows[j] = value }
        if row == 0 || value > highs[j] { highs[j] = value }
      }
      distances[row] = sum.squareRoot()
    }
    sortedDistances = distances.sorted()
    self.lows = lows
    self.highs = highs
  }

  /// Returns the coordinates of `latent` in σ units on `axes`.
  public func whitened(_ latent: [Float]) -> [Double] {
    let projections = model.pca.exactProjections(of: latent)
    return axes.map { projections[$0] / Double(model.pca.sigma[$0]) }
  }

  /// Returns the Mahalanobis distance between two latent vectors in σ.
  public func distance(_ a: [Float], _ b: [Float]) -> Double {
    let u = whitened(a)
    let v = whitened(b)
    var sum = 0.0
    for j in 0..<u.count { sum += (u[j] - v[j]) * (u[j] - v[j]) }
    return sum.squareRoot()
  }

  /// Returns the `count` training faces nearest to `latent`, nearest first; equal distances
  /// are ordered by index.
  public func nearest(to latent: [Float], count: Int) -> [(index: Int, distance: Double)] {
    let query = whitened(latent)
    let rank = axes.count
    let total = model.trainingFaceCount
    let requested = min(max(count, 0), total)
    guard requested > 0 else { return [] }
    var distances = [Double](repeating: 0, count: total)
    coordinates.withUnsafeBufferPointer { table in
      for row in 0..<total {
        var sum = 0.0
        let base = row * rank
        for j in 0..<rank {
          let d = Double(table[base + j]) - query[j]
          sum += d * d
        }
        distances[row] = sum
      }
    }
    // A bounded insertion list: k is small next to N.
    var best: [(index: Int, distance: Double)] = []
    best.reserveCapacity(requested + 1)
    for row in 0..<total {
      let value = distances[row]
      if best.count == requested && value >= best[requested - 1].distance { continue }
      var position = best.count
      while position > 0 && best[position - 1].distance > value { position -= 1 }
      best.insert((row, value), at: position)
      if best.count > requested { best.removeLast() }
    }
    // The table is single precision; the distances returned are recomputed as `distance`
    // computes them, so that the two agree exactly.
    return best.map { ($0.index, distance(latent, model.trainingLatent(at: $0.index))) }
      .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
  }

  /// Measures how typical `latent` is.
  public func typicality(of latent: [Float]) -> Typicality {
    let z = whitened(latent)
    var sum = 0.0
    var excesses: [Typicality.AxisExcess] = []
    for (j, value) in z.enumerated() {
      sum += value * value
      if !sortedDistances.isEmpty && (value < lows[j] - 1e-3 || value > highs[j] + 1e-3) {
        excesses.append(
          Typicality.AxisExcess(axis: axes[j], value: value, low: lows[j], high: highs[j]))
      }
    }
    let distance = sum.squareRoot()
    // The number of training faces at or below `distance`, by binary search.
    var low = 0
    var high = sortedDistances.count
    while low < high {
      let middle = (low + high) / 2
      if sortedDistances[middle] <= distance { low = middle + 1 } else { high = middle }
    }
    let percentile = sortedDistances.isEmpty ? 0 : Double(low) / Double(sortedDistances.count)
    return Typicality(
      distance: distance, percentile: percentile,
      trainingMaximum: sortedDistances.last ?? .infinity, excesses: excesses)
  }
}
