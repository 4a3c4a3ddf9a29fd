import CFaceBLAS
import Foundation

/// Settings for training a decoder and its latent table.
public struct TrainingOptions: Sendable {
  public var architecture: Architecture
  public var epochs: Int = 40
  public var batchSize: Int = 64
  public var decoderLearningRate: Float = 1e-3
  public var latentLearningRate: Float = 1e-2
  /// Number of final epochs over which both learning rates fall geometrically to a tenth:
  /// the k-th of these d epochs uses the rates times 0.1^(k/d). 0 keeps them constant.
  public var decayEpochs: Int = 0
  public var seed: UInt64 = 1
  /// Standard deviation of the initial latent vectors.
  public var latentInitScale: Float = 0.1

  public init(architecture: Architecture) {
    self.architecture = architecture
  }
}

/// The trainer's report after each step.
public struct TrainingProgress: Sendable {
  public var epoch: Int
  public var epochs: Int
  public var step: Int
  public var stepsPerEpoch: Int
  /// Mean loss over the epoch so far.
  public var loss: Double
  public var imagesPerSecond: Double
  public var secondsLeft: Double
}

/// The way a call to `Trainer.run` ended.
public enum TrainingOutcome: Sendable {
  case finished
  /// Stopped on request after writing a checkpoint.
  case interrupted
}

/// An error that stops training.
public struct TrainingError: Error, CustomStringConvertible {
  public let message: String
  public var description: String { message }
}

/// Trains a decoder and one latent vector per training image to minimise the mean squared
/// error between decoded images and photos, with Adam on the decoder weights and on the latent
/// table.
///
/// The latent table uses dense Adam, as PyTorch's `Adam` does for an `nn.Embedding` with
/// dense gradients: every step updates every row. A row outside the batch has gradient 0, so
/// its moments decay and it keeps moving along its momentum until that fades. Each latent
/// vector is therefore corrected many times per epoch instead of once, which trains the
/// table much faster than lazy Adam, which would update only the batch's rows.
public final class Trainer {
  public let options: TrainingOptions
  public let dataset: TrainingDataset
  public let decoder: Decoder
  /// (N, D)
  public internal(set) var latents: [Float]
  /// Mean loss of each finished epoch.
  public private(set) var lossHistory: [Float] = []
  /// Seconds spent in `run` so far, summed over every resumed part of the run.
  public private(set) var trainingSeconds: Double = 0
  /// Next epoch to run, 0-based, and the next step within it.
  public private(set) var epoch = 0
  public private(set) var step = 0
  private var decoderStates: [AdamState]
  private var latentState: AdamState
  /// (N) number of batches each training image has been in during this process's run.
  private(set) var batchesPerImage: [Int32]
  /// (N, D) gradient of the whole latent table, zero outside the current batch.
  private var latentGradient: [Float]
  /// Sum of losses of the current epoch's finished steps, for resuming mid-epoch.
  private var epochLossSum: Double = 0

  /// Starts a new training run with random weights and latents from `options.seed`.
  ///
  /// - Throws: `TrainingError` when the architecture's image size differs from the data's.
  public init(options: TrainingOptions, dataset: TrainingDataset) throws {
    let decoder = try Decoder(randomWeightsFor: options.architecture, seed: options.seed)
    let shape = decoder.outputShape
    guard shape.width == dataset.width && shape.height == dataset.height else {
      throw TrainingError(
        message: "the architecture produces \(shape.width)×\(shape.height) images, but the photos were prepared at \(dataset.width)×\(dataset.height)")
    }
    guard options.batchSize > 0, options.epochs > 0 else {
      throw TrainingError(message: "batch size and epochs must be positive")
    }
    self.options = options
    self.dataset = dataset
    self.decoder = decoder
    let dimension = options.architecture.latentSize
    var random = PortableRandom(seed: options.seed &+ 0x5EED)
    latents = (0..<(dataset.count * dimension)).map { _ in
      Float(random.nextGaussian()) * options.latentInitScale
    }
    decoderStates = decoder.parameters.map { AdamState(count: $0.value.count) }
    latentState = AdamState(count: dataset.count * dimension)
    batchesPerImage = [Int32](repeating: 0, count: dataset.count)
    latentGradient = [Float](repeating: 0, count: dataset.count * dimension)
  }

  /// Number of steps in one epoch; the last batch may be smaller than the batch size.
  public var stepsPerEpoch: Int { (dataset.count + options.batchSize - 1) / options.batchSize }

  /// Returns the image order of `epoch`: a shuffle seeded by the run's seed and the epoch.
  func order(ofEpoch epoch: Int) -> [Int] {
    var indices = Array(0..<dataset.count)
    var random = PortableRandom(seed: options.seed ^ (UInt64(epoch + 1) &* 0x9E37_79B9_7F4A_7C15))
    random.shuffle(&indices)
    return indices
  }

  /// Trains until all epochs are done or `shouldStop` returns true.
  ///
  /// `checkpoint` is called every `checkpointInterval` seconds and before returning
  /// `.interrupted`; the caller writes the checkpoint (see `writeCheckpoint(to:)`).
  ///
  /// - Throws: `TrainingError` when the loss becomes NaN or infinite; the weights are then
  ///   left as they were before the failing step's update.
  public func run(
    checkpointInterval: TimeInterval = 300,
    progress: (TrainingProgress) -> Void,
    checkpoint: () throws -> Void,
    shouldStop: () -> Bool
  ) throws -> TrainingOutcome {
    let start = Date()
    let secondsBefore = trainingSeconds
    defer { trainingSeconds = secondsBefore + Date().timeIntervalSince(start) }
    var lastCheckpoint = Date()
    var imagesSeen = 0
    let totalSteps = options.epochs * stepsPerEpoch
    while epoch < options.epochs {
      let order = order(ofEpoch: epoch)
      while step < stepsPerEpoch {
        if shouldStop() {
          trainingSeconds = secondsBefore + Date().timeIntervalSince(start)
          try checkpoint()
          return .interrupted
        }
        let first = step * options.batchSize
        let batch = Array(order[first..<min(first + options.batchSize, dataset.count)])
        let loss = try trainStep(batch)
        epochLossSum += loss
        step += 1
        imagesSeen += batch.count
        let elapsed = Date().timeIntervalSince(start)
        let done = epoch * stepsPerEpoch + step
        let rate = Double(imagesSeen) / max(elapsed, 1e-9)
        let stepsLeft = Double(totalSteps - done)
        progress(
          TrainingProgress(
            epoch: epoch + 1, epochs: options.epochs, step: step, stepsPerEpoch: stepsPerEpoch,
            loss: epochLossSum / Double(step), imagesPerSecond: rate,
            secondsLeft: stepsLeft * Double(options.batchSize) / max(rate, 1e-9)))
        if Date().timeIntervalSince(lastCheckpoint) >= checkpointInterval {
          trainingSeconds = secondsBefore + Date().timeIntervalSince(start)
          try checkpoint()
          lastCheckpoint = Date()
        }
      }
      lossHistory.append(Float(epochLossSum / Double(stepsPerEpoch)))
      epochLossSum = 0
      step = 0
      epoch += 1
    }
    return .finished
  }

  /// Runs one forward and backward pass over `batch` (image indices) and updates the weights
  /// and those images' latent rows. Returns the batch's mean squared error.
  func trainStep(_ batch: [Int]) throws -> Double {
    let dimension = options.architecture.latentSize
    let (loss, latentGradient) = lossAndLatentGradient(batch: batch, latents: latents)
    guard loss.isFinite else {
      throw TrainingError(
        message: "the loss became \(loss.isNaN ? "NaN" : "infinite") at epoch \(epoch + 1), step \(step + 1); lower the learning rates (--lr, --latent-lr) and resume from the last checkpoint")
    }

    // Adam on every decoder tensor and on the whole latent table.
    let factor = learningRateFactor(epoch: epoch)
    let decoderSettings = AdamSettings(learningRate: options.decoderLearningRate * factor)
    for (parameter, state) in zip(decoder.parameters, decoderStates) {
      state.update(&parameter.value, gradient: parameter.gradient, settings: decoderSettings)
    }
    decoder.weightsChanged()
    for (row, index) in batch.enumerated() {
      batchesPerImage[index] += 1
      for i in 0..<dimension {
        self.latentGradient[index * dimension + i] = latentGradient[row * dimension + i]
      }
    }
    latentState.update(
      &latents, gradient: self.latentGradient,
      settings: AdamSettings(learningRate: options.latentLearningRate * factor))
    for index in batch {
      for i in 0..<dimension { self.latentGradient[index * dimension + i] = 0 }
    }
    return loss
  }

  /// Returns the multiplier of both learning rates in `epoch` (0-based).
  func learningRateFactor(epoch: Int) -> Float {
    let decay = min(options.decayEpochs, options.epochs)
    let first = options.epochs - decay
    guard decay > 0, epoch >= first else { return 1 }
    return pow(0.1, Float(epoch - first + 1) / Float(decay))
  }

  /// Returns the mean squared error of `batch` decoded from `latents` (N, D), and its
  /// gradient with respect to the batch's latent rows, (B, D). Leaves the decoder's parameter
  /// gradients in `Parameter.gradient`.
  func lossAndLatentGradient(batch: [Int], latents: [Float]) -> (Double, [Float]) {
    let dimension = options.architecture.latentSize
    let size = batch.count
    let shape = decoder.outputShape

    // Gather the batch's latents (B, D) and photos (B, 3, P, Q).
    var inputs = [Float](repeating: 0, count: size * dimension)
    for (row, index) in batch.enumerated() {
      for i in 0..<dimension { inputs[row * dimension + i] = latents[index * dimension + i] }
    }
    var targets = [Float](repeating: 0, count: size * shape.count)
    targets.withUnsafeMutableBufferPointer { buffer in
      for (row, index) in batch.enumerated() {
        dataset.write(index, into: buffer.baseAddress! + row * shape.count)
      }
    }
    let targetActivation = decoder.channelMajor(targets, shape: shape, batch: size)

    // Forward pass and loss: mean over B·3·P·Q of (output − photo)².
    decoder.zeroGradients()
    let activations = decoder.forwardForTraining(inputs, batch: size)
    let output = activations.last!
    var gradient = Activation(zeros: shape, batch: size)
    let count = output.data.count
    var sum = 0.0
    output.data.withUnsafeBufferPointer { y in
      targetActivation.data.withUnsafeBufferPointer { t in
        gradient.data.withUnsafeMutableBufferPointer { g in
          let scale = 2 / Float(count)
          for i in 0..<count {
            let difference = y[i] - t[i]
            sum += Double(difference * difference)
            g[i] = scale * difference
          }
        }
      }
    }

    // Backward pass through every layer to the latent inputs.
    let latentGradient = decoder.backward(activations, outputGradient: gradient)
    return (sum / Double(count), latentGradient)
  }

  // MARK: Results

  /// Builds the finished model: the decoder, the latent table and its PCA basis.
  ///
  /// - Throws: `TrainingError` when a weight or latent is NaN or infinite.
  public func makeModel(metadata: [String: String] = [:]) throws -> FaceModel {
    for tensor in decoder.namedTensors() where !tensor.values.allSatisfy({ $0.isFinite }) {
      throw TrainingError(message: "tensor '\(tensor.name)' contains NaN or infinite values, so the model is not written; lower the learning rates and train again")
    }
    let dimension = options.architecture.latentSize
    let pca: PCABasis
    do {
      pca = try PCABasis.fit(latents: latents, rows: dataset.count, dimension: dimension)
    } catch {
      throw TrainingError(message: "cannot fit the PCA basis: \(error)")
    }
    var info = metadata
    info["training_images"] = String(dataset.count)
    info["training_epochs"] = String(epoch)
    if let last = lossHistory.last { info["training_final_loss"] = String(last) }
    return FaceModel(decoder: decoder, latents: latents, pca: pca, metadata: info)
  }

  // MARK: Checkpoints

  /// Writes everything needed to resume: weights, latents, optimizer state and position.
  /// The write is atomic, so an interrupted write leaves the previous checkpoint intact.
  ///
  /// - Throws: `TrainingError` when the state contains NaN, or `FileWriteError`.
  public func writeCheckpoint(to path: String) throws {
    var writer = SafetensorsWriter()
    writer.metadata = [
      "format": "facesh-checkpoint", "format_version": "1",
      "architecture": options.architecture.jsonText(), "epoch": String(epoch),
      "step": String(step), "epochs": String(options.epochs),
      "batch_size": String(options.batchSize), "seed": String(options.seed),
      "decoder_lr": String(options.decoderLearningRate),
      "latent_lr": String(options.latentLearningRate),
      "decay_epochs": String(options.decayEpochs),
      "images": String(dataset.count), "epoch_loss_sum": String(epochLossSum),
      "training_seconds": String(trainingSeconds),
      "image_width": String(dataset.width), "image_height": String(dataset.height),
      "mirrored": dataset.mirrored ? "1" : "0",
    ]
    for tensor in decoder.namedTensors() {
      guard tensor.values.allSatisfy({ $0.isFinite }) else {
        throw TrainingError(message: "tensor '\(tensor.name)' contains NaN, so no checkpoint is written; resume from the previous checkpoint with lower learning rates")
      }
      writer.add(tensor.name, shape: tensor.shape, values: tensor.values)
    }
    for (parameter, state) in zip(decoder.parameters, decoderStates) {
      writer.add("adam.\(parameter.name).m", shape: parameter.shape, values: state.firstMoment)
      writer.add("adam.\(parameter.name).v", shape: parameter.shape, values: state.secondMoment)
      writer.add("adam.\(parameter.name).step", shape: [1], values: [Float(state.step)])
    }
    let dimension = options.architecture.latentSize
    writer.add("latents", shape: [dataset.count, dimension], values: latents)
    writer.add("adam.latents.m", shape: [dataset.count, dimension], values: latentState.firstMoment)
    writer.add("adam.latents.v", shape: [dataset.count, dimension], values: latentState.secondMoment)
    writer.add("adam.latents.step", shape: [1], values: [Float(latentState.step)])
    writer.add("loss_history", shape: [lossHistory.count], values: lossHistory)
    try writer.write(to: path)
  }

  /// Resumes a run from a checkpoint written by `writeCheckpoint(to:)`.
  ///
  /// `epochs` may be raised to train longer than first planned, and `decayEpochs` changed;
  /// the other settings come from the checkpoint.
  ///
  /// - Throws: `ModelFileError` for a bad file, `TrainingError` when the checkpoint does not
  ///   match the photos.
  public convenience init(
    resumingFrom path: String, dataset: TrainingDataset, epochs: Int? = nil,
    decayEpochs: Int? = nil
  ) throws {
    let file = try SafetensorsFile(path: path)
    let meta = file.metadata
    guard meta["format"] == "facesh-checkpoint" else {
      throw ModelFileError(path: path, reason: "not a facesh training checkpoint")
    }
    func number(_ key: String) throws -> String {
      guard let value = meta[key] else {
        throw ModelFileError(path: path, reason: "checkpoint metadata has no '\(key)'")
      }
      return value
    }
    let architecture = try Architecture.parse(json: try number("architecture"))
    var options = TrainingOptions(architecture: architecture)
    let plannedEpochs = Int(try number("epochs")) ?? 1
    options.epochs = epochs ?? plannedEpochs
    options.batchSize = Int(try number("batch_size")) ?? 64
    options.seed = UInt64(try number("seed")) ?? 1
    options.decoderLearningRate = Float(try number("decoder_lr")) ?? 1e-3
    options.latentLearningRate = Float(try number("latent_lr")) ?? 1e-2
    options.decayEpochs = decayEpochs ?? Int(meta["decay_epochs"] ?? "0") ?? 0
    guard Int(try number("images")) == dataset.count else {
      throw TrainingError(
        message: "checkpoint '\(path)' was made for \(meta["images"] ?? "?") training images, but the folder now gives \(dataset.count); resume with the same photos and options")
    }
    try self.init(options: options, dataset: dataset)
    for (index, parameter) in decoder.parameters.enumerated() {
      parameter.value = try file.floats(parameter.name, shape: parameter.shape)
      decoderStates[index].firstMoment = try file.floats("adam.\(parameter.name).m", shape: parameter.shape)
      decoderStates[index].secondMoment = try file.floats("adam.\(parameter.name).v", shape: parameter.shape)
      decoderStates[index].step = Int(try file.floats("adam.\(parameter.name).step", shape: [1])[0])
    }
    decoder.weightsChanged()
    for (index, layer) in decoder.layers.enumerated() {
      guard let norm = layer as? BatchNormLayer else { continue }
      norm.runningMean = try file.floats("decoder.\(index).running_mean", shape: [norm.channels])
      norm.runningVariance = try file.floats("decoder.\(index).running_var", shape: [norm.channels])
    }
    let dimension = architecture.latentSize
    latents = try file.floats("latents", shape: [dataset.count, dimension])
    latentState.firstMoment = try file.floats("adam.latents.m", shape: [dataset.count, dimension])
    latentState.secondMoment = try file.floats("adam.latents.v", shape: [dataset.count, dimension])
    latentState.step = Int(try file.floats("adam.latents.step", shape: [1])[0])
    if let info = file.tensors["loss_history"] {
      lossHistory = try file.floats("loss_history", shape: info.shape)
    }
    epoch = Int(try number("epoch")) ?? 0
    step = Int(try number("step")) ?? 0
    epochLossSum = Double(meta["epoch_loss_sum"] ?? "0") ?? 0
    trainingSeconds = Double(meta["training_seconds"] ?? "0") ?? 0
  }
}
