import XCTest

@testable import FaceRuntime

/// Checks the vectorized, multi-threaded Adam step against the update written out in Swift.
final class AdamTests: XCTestCase {
  func testUpdateMatchesScalarFormula() {
    var random = PortableRandom(seed: 5)
    // Two full ranges of 64 Ki elements and a partial one.
    let count = (1 << 17) + 1001
    let settings = AdamSettings(learningRate: 3e-3)
    let state = AdamState(count: count)
    var values = (0..<count).map { _ in Float(random.nextGaussian()) }
    var expected = values
    var first = [Float](repeating: 0, count: count)
    var second = [Float](repeating: 0, count: count)
    for step in 1...3 {
      let gradient = (0..<count).map { _ in Float(random.nextGaussian()) }
      state.update(&values, gradient: gradient, settings: settings)

      let correction1 = 1 - pow(settings.beta1, Float(step))
      let correction2 = 1 - pow(settings.beta2, Float(step))
      let rate = settings.learningRate / correction1
      let (b1, b2) = (settings.beta1, settings.beta2)
      for i in 0..<count {
        first[i] = b1 * first[i] + (1 - b1) * gradient[i]
        second[i] = b2 * second[i] + (1 - b2) * gradient[i] * gradient[i]
        expected[i] -= rate * first[i] / ((second[i] / correction2).squareRoot() + settings.epsilon)
      }
      XCTAssertEqual(state.firstMoment, first, "step \(step): first moment")
      XCTAssertEqual(state.secondMoment, second, "step \(step): second moment")
      XCTAssertEqual(values, expected, "step \(step): values")
    }
  }
}
