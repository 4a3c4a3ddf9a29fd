import FaceRuntime
import LatentLang

/// A face: a point in the model's latent space.
///
/// A face keeps its latent vector, its PCA coordinates, or both. Coordinates are in σ units
/// on axes whose σ is above zero and raw projections on the others. Editing a coordinate
/// updates the coordinates and drops the latent vector, which is rebuilt with
/// `PCABasis.latent(fromProjections:)` only when something needs it, such as decoding. A run
/// of edits and reads therefore costs O(1) each instead of two D×D products.
///
/// A face's latent vector and its coordinates are always finite in single precision, because
/// the initializer rejects other vectors and `setCoordinate(at:to:)` rejects edits that would
/// overflow. Edits check this in O(1) against a bound on the face's distance from the mean,
/// and compute the latent vector only when the bound comes near the largest `Float`.
public struct Face: Sendable {
  var storage: FaceStorage

  /// Makes a face from a latent vector, or returns nil when a value of the vector is NaN or
  /// infinite or the face's coordinates would overflow single precision.
  init?(latent: [Float], basis: FaceBasis) {
    guard let length = basis.checkedLength(ofLatent: latent) else { return nil }
    storage = FaceStorage(basis: basis, latent: latent, coordinates: nil, length: length)
  }

  /// The latent vector, one entry per latent dimension.
  public var latent: [Float] {
    let data = storage.data.pointee
    if let latent = data.latent { return latent }
    return storage.basis.latent(fromCoordinates: data.coordinates!)
  }

  /// The coordinates in σ units on axes with σ above zero, raw projections on the others.
  var coordinates: [Double] {
    let data = storage.data.pointee
    if let coordinates = data.coordinates { return coordinates }
    return storage.basis.coordinates(ofLatent: data.latent!)
  }

  var basis: FaceBasis { storage.basis }

  /// Returns the coordinate on axis `index` if the coordinates are stored, without computing
  /// them.
  @inline(__always)
  func storedCoordinate(at index: Int) -> Double? {
    storage.data.pointee.coordinates?[index]
  }

  /// Makes the storage unique before a change, so copies of this face keep their values.
  private mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&storage) {
      let data = storage.data.pointee
      storage = FaceStorage(
        basis: storage.basis, latent: data.latent, coordinates: data.coordinates,
        length: data.length)
    }
  }

  /// Computes and keeps the coordinates if only the latent vector is stored.
  mutating func cacheCoordinates() {
    guard storage.data.pointee.coordinates == nil else { return }
    makeUnique()
    let coordinates = storage.basis.coordinates(ofLatent: storage.data.pointee.latent!)
    storage.data.pointee.coordinates = coordinates
  }

  /// Computes and keeps the latent vector if only the coordinates are stored.
  mutating func cacheLatent() {
    guard storage.data.pointee.latent == nil else { return }
    makeUnique()
    let latent = storage.basis.latent(fromCoordinates: storage.data.pointee.coordinates!)
    storage.data.pointee.latent = latent
  }

  /// Returns the coordinate on axis `index` (0-based) in σ units. The caller checks that
  /// σ > 0.
  mutating func coordinate(at index: Int) -> Double {
    cacheCoordinates()
    return storage.data.pointee.coordinates![index]
  }

  /// Sets the coordinate on axis `index` (0-based) to `value` σ; the caller checks that σ > 0.
  /// Returns false and leaves the face as it was when the latent vector or a coordinate
  /// would be NaN or infinite in single precision.
  mutating func setCoordinate(at index: Int, to value: Double) -> Bool {
    cacheCoordinates()
    let basis = storage.basis
    let sigma = basis.sigma[index]
    let change = abs(value - storage.data.pointee.coordinates![index]) * sigma
    // Moving along one axis by `change` moves the latent vector by at most
    // `change * axisGain`, so staying inside `safeLength` needs no latent vector.
    var length = storage.data.pointee.length + change * basis.axisGain
    if !(length <= basis.safeLength && abs(value) * sigma <= basis.safeLength) {
      var coordinates = storage.data.pointee.coordinates!
      coordinates[index] = value
      guard let exact = basis.checkedLength(ofCoordinates: coordinates) else { return false }
      length = exact
    }
    makeUnique()
    storage.data.pointee.latent = nil
    storage.data.pointee.coordinates![index] = value
    storage.data.pointee.length = length
    return true
  }

  /// Returns the range of values that axis `index` (0-based, σ > 0) can take with the other
  /// coordinates as they are, keeping the latent vector finite in single precision.
  func coordinateRange(at index: Int) -> ClosedRange<Double> {
    var coordinates = self.coordinates
    coordinates[index] = 0
    let basis = storage.basis
    let largest = Double(Float.greatestFiniteMagnitude)
    let sigma = basis.sigma[index]
    // Stay a little inside the exact limits, which rounding can move.
    let margin = 0.999
    let base = basis.exactLatent(fromCoordinates: coordinates)
    var low = -largest / sigma * margin
    var high = largest / sigma * margin
    let axis = basis.pca.axes[index]
    for i in 0..<basis.dimension where axis[i] != 0 {
      let step = sigma * Double(axis[i])
      let bounds = [(-largest * margin - base[i]) / step, (largest * margin - base[i]) / step]
      low = max(low, bounds.min()!)
      high = min(high, bounds.max()!)
    }
    return low...max(low, high)
  }
}

/// The shared, copy-on-write contents of a `Face`. At least one of the two fields is set.
///
/// The fields sit behind a pointer instead of in stored properties, because Swift checks
/// exclusive access to a class's stored `var`s at run time, which cost more than the edit.
final class FaceStorage: @unchecked Sendable {
  struct Data {
    var latent: [Float]?
    var coordinates: [Double]?
    /// An upper bound on ‖latent − mean‖, the face's distance from the mean face.
    var length: Double
  }

  let basis: FaceBasis
  let data: UnsafeMutablePointer<Data>

  init(basis: FaceBasis, latent: [Float]?, coordinates: [Double]?, length: Double) {
    self.basis = basis
    data = .allocate(capacity: 1)
    data.initialize(to: Data(latent: latent, coordinates: coordinates, length: length))
  }

  deinit {
    data.deinitialize(count: 1)
    data.deallocate()
  }
}

/// A model's PCA basis with the conversions that faces need.
final class FaceBasis: Sendable {
  let pca: PCABasis
  /// σ of each axis as a Double.
  let sigma: [Double]
  /// Latent size D.
  let dimension: Int
  /// The length of the longest axis, which is 1 up to rounding because the axes are
  /// orthonormal.
  let axisGain: Double
  /// A distance from the mean face within which a face's latent vector and projections
  /// are surely finite in single precision. It is half the room that the mean and the axes
  /// leave below the largest Float.
  let safeLength: Double

  init(pca: PCABasis) {
    self.pca = pca
    self.sigma = pca.sigma.map(Double.init)
    self.dimension = pca.dimension
    let largest = Double(Float.greatestFiniteMagnitude)
    let meanSize = pca.mean.reduce(0) { max($0, abs(Double($1))) }
    axisGain = pca.axes.reduce(0) { longest, axis in
      max(longest, axis.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot())
    }
    safeLength = min(largest - meanSize, largest / max(axisGain, 1)) / 2
  }

  /// Returns ‖latent − mean‖ when every value of `latent` is finite and so are its
  /// projections in single precision, or nil otherwise.
  func checkedLength(ofLatent latent: [Float]) -> Double? {
    guard latent.count == dimension else { return nil }
    let mean = pca.mean
    var sum = 0.0
    for i in 0..<dimension {
      let offset = Double(latent[i]) - Double(mean[i])
      sum += offset * offset
    }
    // A NaN or infinite value makes the sum NaN or infinite.
    guard sum.isFinite else { return nil }
    let length = sum.squareRoot()
    if length <= safeLength { return length }
    let projections = pca.exactProjections(of: latent)
    guard projections.allSatisfy({ Float($0).isFinite }) else { return nil }
    return length
  }

  /// Returns the distance from the mean of the face with `coordinates` when its projections
  /// and latent vector are finite in single precision, or nil otherwise.
  func checkedLength(ofCoordinates coordinates: [Double]) -> Double? {
    for k in 0..<dimension {
      let raw = sigma[k] > 0 ? coordinates[k] * sigma[k] : coordinates[k]
      guard Float(raw).isFinite else { return nil }
    }
    return checkedLength(ofLatent: latent(fromCoordinates: coordinates))
  }

  /// Returns `mean + Σ p[k]·axes[k]` in double precision, for limits near the largest Float.
  func exactLatent(fromCoordinates coordinates: [Double]) -> [Double] {
    var latent = pca.mean.map(Double.init)
    for k in 0..<dimension {
      let raw = sigma[k] > 0 ? coordinates[k] * sigma[k] : coordinates[k]
      if raw == 0 { continue }
      let axis = pca.axes[k]
      for i in 0..<dimension { latent[i] += raw * Double(axis[i]) }
    }
    return latent
  }

  /// Makes the error for an operation that would give a face or direction (`kind`) whose
  /// latent vector `vector` or whose coordinates are NaN or infinite. `hint` suggests a fix.
  func nonFiniteError(
    _ operation: String, making kind: String, from vector: [Float], hint: String? = nil
  ) -> ScriptError {
    var message = "\(operation) would make \(kind) with NaN or infinite coordinates: "
    if let bad = vector.firstIndex(where: { !$0.isFinite }) {
      message += "its latent value \(bad) is \(NumberFormat.format(Double(vector[bad])))"
    } else {
      message += "its coordinates are beyond single precision's range of about ±3.4e38"
    }
    if let hint { message += "; " + hint }
    return ScriptError(message)
  }

  /// Converts a latent vector to coordinates: σ units where σ > 0, raw projections elsewhere.
  func coordinates(ofLatent latent: [Float]) -> [Double] {
    let projections = pca.projections(of: latent)
    var coordinates = [Double](repeating: 0, count: dimension)
    for k in 0..<dimension {
      let raw = Double(projections[k])
      coordinates[k] = sigma[k] > 0 ? raw / sigma[k] : raw
    }
    return coordinates
  }

  /// Converts coordinates back to a latent vector through `PCABasis.latent(fromProjections:)`.
  func latent(fromCoordinates coordinates: [Double]) -> [Float] {
    var projections = [Float](repeating: 0, count: dimension)
    for k in 0..<dimension {
      let raw = sigma[k] > 0 ? coordinates[k] * sigma[k] : coordinates[k]
      projections[k] = Float(raw)
    }
    return pca.latent(fromProjections: projections)
  }

  /// Expresses a latent-space offset in σ units along each axis (raw where σ = 0).
  func coordinates(ofDirection direction: [Float]) -> [Double] {
    var coordinates = [Double](repeating: 0, count: dimension)
    for k in 0..<dimension {
      var sum = 0.0
      let axis = pca.axes[k]
      for i in 0..<dimension { sum += Double(axis[i]) * Double(direction[i]) }
      coordinates[k] = sigma[k] > 0 ? sum / sigma[k] : sum
    }
    return coordinates
  }
}
