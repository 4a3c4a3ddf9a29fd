import Foundation

/// Settings for `FaceFitter`: how much time to spend looking for a photo's latent vector.
public struct FitOptions: Sendable, Equatable {
  /// Gradient steps. Time grows about linearly with them; 50 gives a rough likeness quickly,
  /// 200 is the default and 1000 fits closer.
  public var steps: Int
  /// How many of the best starting points are optimised side by side for the first third
  /// of the steps. After that only the one with the lowest loss goes on.
  public var starts: Int
  /// How many training faces, spread evenly through the latent table, are decoded together
  /// with the mean face and compared with the photo to choose the starting points.
  public var candidates: Int
  /// Weight of the prior term, `priorWeight · mean(z²)`, where z are the coordinates in σ
  /// units. It pulls the fit towards typical faces, so that later pc edits behave as they do
  /// on training faces. 0 turns it off.
  public var priorWeight: Double
  /// Adam's step size in σ units at the start; it falls along a cosine to a tenth of that.
  public var learningRate: Double
  /// Whether every step is projected back into the region the training faces cover: each
  /// coordinate within the training faces' range on its axis, and the distance from the
  /// mean face within the furthest training face's. `TrainingFaces.typicality(of:)` then
  /// finds every fit inside. Models without training faces are not confined.
  public var staysTypical: Bool

  /// Creates options. With the defaults, a fit to the default 64×64 model takes about two
  /// seconds on two cores (bench/fit.sh).
  public init(
    steps: Int = 200, starts: Int = 4, candidates: Int = 256, priorWeight: Double = 1e-4,
    learningRate: Double = 0.1, staysTypical: Bool = true
  ) {
    self.staysTypical = staysTypical
    self.steps = steps
    self.starts = starts
    self.candidates = candidates
    self.priorWeight = priorWeight
    self.learningRate = learningRate
  }
}

/// The state of a fit after one step.
public struct FitProgress: Sendable {
  /// Steps done, 1 to `steps`.
  public let step: Int
  public let steps: Int
  /// PSNR in dB of the best candidate so far against the framed photo.
  public let psnr: Double
}

/// The outcome of `FaceFitter.fit`.
public struct FitResult: Sendable {
  /// The fitted latent vector.
  public let latent: [Float]
  /// PSNR in dB between the fitted face's decoding and the framed photo.
  public let psnr: Double
  /// PSNR in dB of the starting point that won, before any gradient step.
  public let startPSNR: Double
  /// The training face the winning start came from, or nil when it was the mean face.
  public let startIndex: Int?
  /// The framed photo the fit was measured against, at the model's image size.
  public let target: RGBImage
}

/// The reason a fit stopped early: the progress callback asked it to.
public struct FitCancelled: Error {}

/// An error in the options or the photo of a fit.
public struct FitError: Error, CustomStringConvertible {
  public let message: String
  public var description: String { message }
}

/// Finds the latent vector whose decoding best matches a photo.
///
/// Models in this project have no encoder, so fitting searches. It decodes `candidates`
/// training faces and the mean face and keeps the `starts` closest to the photo. Then it
/// runs Adam on their PCA coordinates (in σ units) through the decoder's backward pass. The
/// loss is the mean squared error against the photo plus `priorWeight · mean(z²)`, the
/// negative log of a Gaussian prior in the whitened PCA space. Only axes with σ above zero
/// are searched. The others stay at the mean, where every training face lies.
///
/// The fitter keeps its own copy of the decoder with its weights frozen, so fitting does not
/// wait for the model decoder's lock. Use one fitter from one thread at a time.
public final class FaceFitter {
  public let model: FaceModel
  private let decoder: Decoder
  /// Columns σ_k·a_k of the map from coordinates z to latent offsets, stored by axis:
  /// `scaledAxes[j]` is the column for `trainingFaces.axes[j]`.
  private let scaledAxes: [[Double]]
  /// The training faces, for the region that `FitOptions.staysTypical` confines fits to.
  public let trainingFaces: TrainingFaces

  /// Creates a fitter for `model`.
  ///
  /// - Parameter trainingFaces: The model's training-face table, when the caller already
  ///   has one; otherwise the fitter builds its own.
  public init(model: FaceModel, trainingFaces: TrainingFaces? = nil) throws {
    self.model = model
    self.trainingFaces = trainingFaces ?? TrainingFaces(model: model)
    let tensors = Dictionary(
      model.decoder.namedTensors().map { ($0.name, $0.values) }, uniquingKeysWith: { a, _ in a })
    decoder = try Decoder(architecture: model.architecture) { name, _ in tensors[name]! }
    for layer in decoder.layers {
      for parameter in layer.parameters { parameter.frozen = true }
    }
    let pca = model.pca
    scaledAxes = self.trainingFaces.axes.map { k in pca.axes[k].map { Double($0) * Double(pca.sigma[k]) } }
  }

  /// Centre-crops `photo` to the model's aspect ratio and area-downscales it to the model's
  /// size, as training framed its photos.
  public static func frame(_ photo: RGBImage, for model: FaceModel) -> RGBImage {
    let width = model.imageWidth
    let height = model.imageHeight
    let cropped = ImageOps.centerCrop(photo, aspect: Double(width) / Double(height))
    if cropped.width == width && cropped.height == height { return cropped }
    return ImageOps.resizeArea(cropped, width: width, height: height)
  }

  /// Fits a latent vector to `photo`.
  ///
  /// - Parameters:
  ///   - photo: Any size; it is framed with `frame(_:for:)` first.
  ///   - options: Time against quality.
  ///   - progress: Called after each step; return false to stop, which throws `FitCancelled`.
  /// - Throws: `FitError` for options out of range, `FitCancelled` when stopped.
  public func fit(
    photo: RGBImage, options: FitOptions = FitOptions(),
    progress: ((FitProgress) -> Bool)? = nil
  ) throws -> FitResult {
    guard options.steps >= 0, options.steps <= 1_000_000 else {
      throw FitError(message: "steps must be 0 to 1000000, got \(options.steps)")
    }
    guard options.starts >= 1, options.candidates >= 0 else {
      throw FitError(
        message: "a fit needs at least 1 start and 0 or more candidates, got \(options.starts) "
          + "and \(options.candidates)")
    }
    guard options.priorWeight >= 0, options.priorWeight.isFinite,
      options.learningRate > 0, options.learningRate.isFinite
    else {
      throw FitError(
        message: "the prior weight must be 0 or more and the learning rate above 0, got "
          + "\(options.priorWeight) and \(options.learningRate)")
    }
    let framed = FaceFitter.frame(photo, for: model)
    let target = framed.planarFloats()
    let dimension = model.latentSize
    let size = target.count

    // Starting points: the mean face and training faces spread through the table.
    let trainingCount = model.trainingFaceCount
    let candidateCount = min(options.candidates, trainingCount)
    var startLatents: [[Float]] = [model.pca.mean]
    var startIndices: [Int?] = [nil]
    for i in 0..<candidateCount {
      let index = i * trainingCount / candidateCount
      startLatents.append(model.trainingLatent(at: index))
      startIndices.append(index)
    }
    var startErrors: [Double] = []
    for first in stride(from: 0, to: startLatents.count, by: 64) {
      let group = Array(startLatents[first..<min(first + 64, startLatents.count)])
      let output = decoder.decode(group.flatMap { $0 }, batch: group.count)
      for row in 0..<group.count {
        startErrors.append(FaceFitter.meanSquaredError(output, row: row, target: target))
      }
    }
    let order = startErrors.indices.sorted {
      startErrors[$0] != startErrors[$1] ? startErrors[$0] < startErrors[$1] : $0 < $1
    }
    var chosen = Array(order.prefix(options.starts))
    var z = chosen.map { trainingFaces.whitened(startLatents[$0]) }
    let rank = scaledAxes.count
    var firstMoment = [[Double]](repeating: [Double](repeating: 0, count: rank), count: z.count)
    var secondMoment = firstMoment
    var losses = [Double](repeating: .infinity, count: z.count)
    var errors = chosen.map { startErrors[$0] }

    let confine = options.staysTypical && model.trainingFaceCount > 0
    let narrowStep = options.starts > 1 ? max(1, options.steps / 3) : 0
    let (beta1, beta2, epsilon) = (0.9, 0.999, 1e-8)
    for step in 0..<options.steps {
      if step == narrowStep && z.count > 1 {
        let best = losses.indices.min { losses[$0] != losses[$1] ? losses[$0] < losses[$1] : $0 < $1 }!
        chosen = [chosen[best]]
        z = [z[best]]
        firstMoment = [firstMoment[best]]
        secondMoment = [secondMoment[best]]
        losses = [losses[best]]
        errors = [errors[best]]
      }
      let batch = z.count
      let latents = z.flatMap { latent(fromWhitened: $0) }
      let activations = decoder.forwardForTraining(latents, batch: batch, training: false)
      let output = activations.last!
      // Output gradient of each sample's own mean squared error, channel-major like `output`.
      var gradient = Activation(zeros: output.shape, batch: batch)
      let plane = output.shape.height * output.shape.width
      let channels = output.shape.channels
      var squares = [Double](repeating: 0, count: batch)
      output.data.withUnsafeBufferPointer { y in
        gradient.data.withUnsafeMutableBufferPointer { g in
          let scale = Float(2) / Float(size)
          for c in 0..<channels {
            for b in 0..<batch {
              let offset = (c * batch + b) * plane
              var sum = 0.0
              for p in 0..<plane {
                let difference = y[offset + p] - target[c * plane + p]
                sum += Double(difference * difference)
                g[offset + p] = scale * difference
              }
              squares[b] += sum
            }
          }
        }
      }
      let latentGradient = decoder.backward(activations, outputGradient: gradient)

      // Adam on z with the prior's gradient added.
      let fraction = Double(step) / Double(max(1, options.steps - 1))
      let rate = options.learningRate * (0.1 + 0.45 * (1 + cos(Double.pi * fraction)))
      let priorScale = options.priorWeight / Double(max(rank, 1))
      let correction1 = 1 - pow(beta1, Double(step + 1))
      let correction2 = 1 - pow(beta2, Double(step + 1))
      for b in 0..<batch {
        var prior = 0.0
        for j in 0..<rank { prior += z[b][j] * z[b][j] }
        errors[b] = squares[b] / Double(size)
        losses[b] = errors[b] + priorScale * prior
        for j in 0..<rank {
          var g = 2 * priorScale * z[b][j]
          let column = scaledAxes[j]
          for i in 0..<dimension {
            g += column[i] * Double(latentGradient[b * dimension + i])
          }
          firstMoment[b][j] = beta1 * firstMoment[b][j] + (1 - beta1) * g
          secondMoment[b][j] = beta2 * secondMoment[b][j] + (1 - beta2) * g * g
          let m = firstMoment[b][j] / correction1
          let v = secondMoment[b][j] / correction2
          z[b][j] -= rate * m / (v.squareRoot() + epsilon)
        }
        if confine { confineToTrainingFaces(&z[b]) }
      }
      if let progress {
        let best = errors.min() ?? .infinity
        let report = FitProgress(
          step: step + 1, steps: options.steps, psnr: FaceFitter.psnr(meanSquaredError: best))
        if !progress(report) { throw FitCancelled() }
      }
    }

    // The final vector is measured after its last step, the way it will be decoded.
    let finalLatents = z.map { latent(fromWhitened: $0) }
    let output = decoder.decode(finalLatents.flatMap { $0 }, batch: finalLatents.count)
    var bestRow = 0
    var bestError = Double.infinity
    for row in 0..<finalLatents.count {
      let error = FaceFitter.meanSquaredError(output, row: row, target: target)
      if error < bestError {
        bestError = error
        bestRow = row
      }
    }
    return FitResult(
      latent: finalLatents[bestRow], psnr: FaceFitter.psnr(meanSquaredError: bestError),
      startPSNR: FaceFitter.psnr(meanSquaredError: startErrors[chosen[bestRow]]),
      startIndex: startIndices[chosen[bestRow]], target: framed)
  }

  /// Returns the PSNR in dB between `latent`'s decoding and `photo` framed for the model.
  public func psnr(of latent: [Float], against photo: RGBImage) -> Double {
    let target = FaceFitter.frame(photo, for: model).planarFloats()
    let output = decoder.decode(latent, batch: 1)
    return FaceFitter.psnr(meanSquaredError: FaceFitter.meanSquaredError(output, row: 0, target: target))
  }

  /// Moves coordinates z into the training faces' range on every axis, then scales them
  /// down if they lie further from the mean face than the furthest training face.
  private func confineToTrainingFaces(_ z: inout [Double]) {
    let lows = trainingFaces.lows
    let highs = trainingFaces.highs
    var sum = 0.0
    for j in 0..<z.count {
      z[j] = min(max(z[j], lows[j]), highs[j])
      sum += z[j] * z[j]
    }
    let limit = trainingFaces.maximumDistance
    let length = sum.squareRoot()
    if length > limit && length > 0 {
      let factor = limit / length
      for j in 0..<z.count { z[j] *= factor }
    }
  }

  /// `mean + Σ_j z_j σ_j a_j`.
  private func latent(fromWhitened z: [Double]) -> [Float] {
    var out = model.pca.mean.map(Double.init)
    for (j, column) in scaledAxes.enumerated() {
      let value = z[j]
      for i in 0..<out.count { out[i] += value * column[i] }
    }
    return out.map { Float($0) }
  }

  /// Mean squared error of sample `row` of decoder output (B, 3, P, Q) against `target`,
  /// with outputs clamped to [0, 1] and NaN read as 0, as saved images show them.
  static func meanSquaredError(_ output: [Float], row: Int, target: [Float]) -> Double {
    let size = target.count
    var sum = 0.0
    for i in 0..<size {
      let value = output[row * size + i]
      let shown = value.isNaN ? 0 : min(max(value, 0), 1)
      let difference = Double(shown) - Double(target[i])
      sum += difference * difference
    }
    return sum / Double(size)
  }

  /// PSNR in dB for images in [0, 1]; an exact match counts as 100 dB, as in `facesh eval`.
  public static func psnr(meanSquaredError: Double) -> Double {
    meanSquaredError > 0 ? min(100, 10 * log10(1 / meanSquaredError)) : 100
  }
}
