import CFaceBLAS
import XCTest

@testable import FaceRuntime

final class PCATests: XCTestCase {
  /// Orthonormal directions in 3-D: a rotation of the standard basis.
  let directions: [[Double]] = {
    let a = 1 / 2.0.squareRoot()
    let b = 1 / 6.0.squareRoot()
    let c = 1 / 3.0.squareRoot()
    return [[a, -a, 0], [b, b, -2 * b], [c, c, c]]
  }()

  /// Returns all sign combinations of 3·u1 ± 2·u2 ± 1·u3 plus an offset: a known covariance.
  func knownData(offset: [Double] = [1, -2, 0.5]) -> [[Float]] {
    var rows: [[Float]] = []
    for s1 in [-1.0, 1.0] {
      for s2 in [-1.0, 1.0] {
        for s3 in [-1.0, 1.0] {
          rows.append(
            (0..<3).map { i in
              Float(
                offset[i] + 3 * s1 * directions[0][i] + 2 * s2 * directions[1][i] + s3
                  * directions[2][i])
            })
        }
      }
    }
    return rows
  }

  func testKnownAxesAndSigmas() throws {
    let rows = knownData()
    let pca = try PCABasis.fit(latents: rows.flatMap { $0 }, rows: rows.count, dimension: 3)
    let scale = (8.0 / 7.0).squareRoot()  // sample covariance divides by N − 1 = 7
    XCTAssertEqual(Double(pca.sigma[0]), 3 * scale, accuracy: 1e-5)
    XCTAssertEqual(Double(pca.sigma[1]), 2 * scale, accuracy: 1e-5)
    XCTAssertEqual(Double(pca.sigma[2]), 1 * scale, accuracy: 1e-5)
    XCTAssertEqual(pca.mean[0], 1, accuracy: 1e-6)
    XCTAssertEqual(pca.mean[1], -2, accuracy: 1e-6)
    for k in 0..<3 {
      // The sign rule makes the entry of largest magnitude positive.
      var expected = directions[k]
      let largest = expected.indices.max { abs(expected[$0]) < abs(expected[$1]) - 1e-12 }!
      if expected[largest] < 0 { expected = expected.map { -$0 } }
      for i in 0..<3 {
        XCTAssertEqual(Double(pca.axes[k][i]), expected[i], accuracy: 1e-5, "axis \(k) entry \(i)")
      }
    }
  }

  func testShuffledRowsGiveTheSameAxes() throws {
    var random = PortableRandom(seed: 3)
    var rows = (0..<50).map { _ in (0..<6).map { _ in Float(random.nextGaussian()) } }
    let first = try PCABasis.fit(latents: rows.flatMap { $0 }, rows: 50, dimension: 6)
    for round in 0..<5 {
      random.shuffle(&rows)
      let again = try PCABasis.fit(latents: rows.flatMap { $0 }, rows: 50, dimension: 6)
      for k in 0..<6 {
        for i in 0..<6 {
          XCTAssertEqual(again.axes[k][i], first.axes[k][i], accuracy: 1e-5, "round \(round)")
        }
      }
    }
  }

  func testFewerRowsThanDimensionsReportsZeroSigma() throws {
    var random = PortableRandom(seed: 8)
    let rows = (0..<3 * 5).map { _ in Float(random.nextGaussian()) }
    let pca = try PCABasis.fit(latents: rows, rows: 3, dimension: 5)
    XCTAssertEqual(pca.spannedAxisCount, 2, "3 points span 2 dimensions: \(pca.sigma)")
    XCTAssertEqual(pca.sigma[2], 0)
    XCTAssertEqual(pca.sigma[4], 0)
    XCTAssertTrue(pca.sigma.allSatisfy { $0.isFinite })
    let single = try PCABasis.fit(latents: [1, 2, 3], rows: 1, dimension: 3)
    XCTAssertEqual(single.sigma, [0, 0, 0])
  }

  /// Axes with σ = 0 are any basis of the directions the data does not span, so they depend
  /// on every rounding of the covariance and the solver. They must still come out the same
  /// for every OpenBLAS thread count, or a model's file and hash would depend on it.
  func testUnspannedAxesDoNotDependOnThreads() throws {
    var random = PortableRandom(seed: 9)
    let rows = 20, dimension = 80
    let latents = (0..<(rows * dimension)).map { _ in Float(random.nextGaussian()) }
    let threads = openblas_get_num_threads()
    defer { openblas_set_num_threads(threads) }
    openblas_set_num_threads(1)
    let one = try PCABasis.fit(latents: latents, rows: rows, dimension: dimension)
    for count in [2, 4, 8] {
      openblas_set_num_threads(Int32(count))
      let other = try PCABasis.fit(latents: latents, rows: rows, dimension: dimension)
      XCTAssertEqual(other.sigma, one.sigma, "\(count) threads")
      let differing = (0..<dimension).filter { other.axes[$0] != one.axes[$0] }
      XCTAssertEqual(differing, [], "axes that differ with \(count) threads")
      XCTAssertEqual(other.mean, one.mean, "\(count) threads")
    }
  }

  func testProjectionRoundTripIsExact() throws {
    let model = FaceModel.makeRandom(latentSize: 12, trainingFaces: 40, seed: 4)
    for index in 0..<5 {
      let latent = model.trainingLatent(at: index)
      let back = model.pca.latent(fromProjections: model.pca.projections(of: latent))
      for i in 0..<12 { XCTAssertEqual(back[i], latent[i], accuracy: 1e-5) }
    }
  }

  func testNaNLatentsAreRejected() {
    XCTAssertThrowsError(try PCABasis.fit(latents: [1, .nan, 3, 4], rows: 2, dimension: 2))
  }

  func testPortableRandomSequenceIsFixed() {
    var random = PortableRandom(seed: 42)
    let first = (0..<3).map { _ in random.next() }
    var again = PortableRandom(seed: 42)
    XCTAssertEqual((0..<3).map { _ in again.next() }, first)
    // Values pinned so a change to the generator, which would change every seeded face, fails.
    var pinned = PortableRandom(seed: 0)
    XCTAssertEqual(pinned.next(), 0x99EC_5F36_CB75_F2B4)
    var gaussian = PortableRandom(seed: 7)
    let samples = (0..<20_000).map { _ in gaussian.nextGaussian() }
    let mean = samples.reduce(0, +) / Double(samples.count)
    let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
    XCTAssertEqual(mean, 0, accuracy: 0.03)
    XCTAssertEqual(variance, 1, accuracy: 0.05)
  }

  func testRandomLatentFollowsSigmaAndSeed() {
    let model = FaceModel.makeRandom(latentSize: 6, trainingFaces: 30, seed: 2)
    XCTAssertEqual(model.pca.randomLatent(seed: 5), model.pca.randomLatent(seed: 5))
    XCTAssertNotEqual(model.pca.randomLatent(seed: 5), model.pca.randomLatent(seed: 6))
    let zero = model.pca.randomLatent(seed: 5, truncation: 0)
    for i in 0..<6 { XCTAssertEqual(zero[i], model.pca.mean[i], accuracy: 1e-6) }
  }
}
