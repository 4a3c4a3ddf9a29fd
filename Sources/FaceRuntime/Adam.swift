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

/// Lazy Adam for the latent table: only the rows in the current batch are updated.
///
/// A row outside the batch keeps its value and its moments unchanged (no decay), and each row
/// counts its own steps for bias correction. This matches how a per-image latent vector only
/// receives gradient when its image is in the batch, and makes an epoch's cost independent of
/// the table size.
final class LazyAdamTable {
  let dimension: Int
  var firstMoment: [Float]
  var secondMoment: [Float]
  /// (N) number of updates each row has received.
  var rowSteps: [Int32]

  init(rows: Int, dimension: Int) {
    self.dimension = dimension
    firstMoment = [Float](repeating: 0, count: rows * dimension)
    secondMoment = [Float](repeating: 0, count: rows * dimension)
    rowSteps = [Int32](repeating: 0, count: rows)
  }

  /// Updates row `row` of `table` with its gradient `gradient[offset..<offset+dimension]`.
  func update(
    _ table: inout [Float], row: Int, gradient: [Float], offset: Int, settings: AdamSettings
  ) {
    rowSteps[row] += 1
    let step = Float(rowSteps[row])
    let correction1 = 1 - pow(settings.beta1, step)
    let correction2 = 1 - pow(settings.beta2, step)
    let rate = settings.learningRate / correction1
    let (b1, b2, eps) = (settings.beta1, settings.beta2, settings.epsilon)
    let base = row * dimension
    for i in 0..<dimension {
      let g = gradient[offset + i]
      let m = b1 * firstMoment[base + i] + (1 - b1) * g
      let s = b2 * secondMoment[base + i] + (1 - b2) * g * g
      firstMoment[base + i] = m
      secondMoment[base + i] = s
      table[base + i] -= rate * m / ((s / correction2).squareRoot() + eps)
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
