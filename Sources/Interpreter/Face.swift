import FaceRuntime

/// A face: a point in the model's latent space.
///
/// A face keeps its latent vector, its PCA coordinates, or both. Coordinates are in σ units
/// on axes whose σ is above zero and raw projections on the others. Editing a coordinate
/// updates the coordinates and drops the latent vector, which is rebuilt with
/// `PCABasis.latent(fromProjections:)` only when something needs it, such as decoding. A run
/// of edits and reads therefore costs O(1) each instead of two D×D products.
public struct Face: Sendable {
  var storage: FaceStorage

  init(latent: [Float], basis: FaceBasis) {
    storage = FaceStorage(basis: basis, latent: latent, coordinates: nil)
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
        basis: storage.basis, latent: data.latent, coordinates: data.coordinates)
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
  mutating func setCoordinate(at index: Int, to value: Double) {
    cacheCoordinates()
    makeUnique()
    storage.data.pointee.latent = nil
    storage.data.pointee.coordinates![index] = value
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
  }

  let basis: FaceBasis
  let data: UnsafeMutablePointer<Data>

  init(basis: FaceBasis, latent: [Float]?, coordinates: [Double]?) {
    self.basis = basis
    data = .allocate(capacity: 1)
    data.initialize(to: Data(latent: latent, coordinates: coordinates))
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

  init(pca: PCABasis) {
    self.pca = pca
    self.sigma = pca.sigma.map(Double.init)
    self.dimension = pca.dimension
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
