/// Adam optimizer settings: β₁ = 0.9, β₂ = 0.999, ε = 1e-8, with bias correction.
struct AdamSettings {
  var learningRate: Float
  var beta1: Float = 0.9
  var beta2: Float = 0.999
  var epsilon: Float = 1e-8
}

/// Adam state for one dense tensor: every element is updated at every step.
final class AdamState {
  var firstMoment: [Float]
  var secondMoment: [Float]
  var step: Int = 0

  init(count: Int) {
    firstMoment = [Float](repeating: 0, count: count)
    secondMoment = [Float](repeating: 0, count: count)
  }

  /// Applies one update to `values` from `gradient`.
  func update(_ values: inout [Float], gradient: [Float], settings: AdamSettings) {
    step += 1
    let correction1 = 1 - pow(settings.beta1, Float(step))
    let correction2 = 1 - pow(settings.beta2, Float(step))
    let rate = settings.learningRate / correction1
    let (b1, b2, eps) = (settings.beta1, settings.beta2, settings.epsilon)
    values.withUnsafeMutableBufferPointer { v in
      firstMoment.withUnsafeMutableBufferPointer { m in
        secondMoment.withUnsafeMutableBufferPointer { s in
          gradient.withUnsafeBufferPointer { g in
            for i in 0..<v.count {
              m[i] = b1 * m[i] + (1 - b1) * g[i]
              s[i] = b2 * s[i] + (1 - b2) * g[i] * g[i]
              v[i] -= rate * m[i] / ((s[i] / correction2).squareRoot() + eps)
            }
          }
        }
      }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
