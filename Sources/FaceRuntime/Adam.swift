import CFaceBLAS

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
    let count = values.count
    // Ranges of 64 Ki elements on all cores; each element's update is the same wherever
    // the ranges fall.
    let chunk = 1 << 16
    values.withUnsafeMutableBufferPointer { v in
      firstMoment.withUnsafeMutableBufferPointer { m in
        secondMoment.withUnsafeMutableBufferPointer { s in
          gradient.withUnsafeBufferPointer { g in
            let (vBase, mBase, sBase, gBase) =
              (v.baseAddress!, m.baseAddress!, s.baseAddress!, g.baseAddress!)
            parallelFor((count + chunk - 1) / chunk, work: count) { part in
              let start = part * chunk
              facesh_adam_update(
                vBase + start, mBase + start, sBase + start, gBase + start,
                min(chunk, count - start), b1, b2, eps, rate, correction2)
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
