import CFaceBLAS
import XCTest

@testable import FaceRuntime

/// Checks facesh_sum, which sums the bias gradients, against a sum in double precision.
final class SumTests: XCTestCase {
  func testSumMatchesDoubleSum() {
    var random = PortableRandom(seed: 7)
    // Empty, shorter than one group of 32, whole groups and a partial group.
    for count in [0, 1, 31, 32, 64, 1000, 65_537] {
      let values = (0..<count).map { _ in Float(random.nextGaussian()) }
      let expected = values.reduce(0.0) { $0 + Double($1) }
      let magnitude = values.reduce(0.0) { $0 + Double(abs($1)) }
      let actual = values.withUnsafeBufferPointer { facesh_sum($0.baseAddress, count) }
      XCTAssertEqual(
        Double(actual), expected, accuracy: 1e-6 * magnitude + 1e-30, "count \(count)")
    }
  }
}
