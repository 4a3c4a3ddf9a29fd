import CFaceBLAS
import FaceRuntime
import Foundation

/// `facesh train PHOTOS_DIR -o MODEL`: learns a decoder and a latent table from photos.
enum TrainCommand {
  static let usage = """
    usage: facesh train PHOTOS_DIR -o MODEL.safetensors [options]

    Learns a face decoder and one latent vector per photo (no encoder), then fits the PCA
    basis and writes one model file. Beside it go MODEL-loss.png, MODEL-reconstructions.png
    and MODEL-samples.png. Ctrl-C writes a checkpoint and stops; --resume continues.

    options:
      -o, --output PATH        model file to write (required)
      --arch NAME              decoder preset: square (default) or codeparade (144×192)
      --size N                 image size in pixels for the square preset (default 64)
      --width N                channels of the square preset's first layer (default 256)
      --latent N               latent size (default 80)
      --epochs N               passes over all photos (default 40)
      --batch N                images per step (default 64)
      --lr X                   Adam learning rate of the decoder (default 0.001)
      --latent-lr X            Adam learning rate of the latent table (default 0.01)
      --lr-decay-epochs N      lower both learning rates geometrically to a tenth over the
                               last N epochs (default: an eighth of the epochs; 0 keeps
                               the rates constant)
      --latent-init X          standard deviation of the initial latent vectors (default 0.1)
      --seed N                 seed for initialisation and shuffling (default 1)
      --flip                   also train on every photo mirrored (doubles the images)
      --threads N              worker threads (default: all cores)
      --limit N                use only the first N photos in sorted path order
      --checkpoint PATH        checkpoint file (default: the model path plus .checkpoint);
                               kept after training so --resume --epochs can go further
      --checkpoint-minutes X   minutes between checkpoints (default 5)
      --resume PATH            continue from a checkpoint; --epochs may raise the total

    example:
      facesh train ~/photos -o faces.safetensors --epochs 20
    """

  static func run(_ arguments: [String]) throws -> ExitCode {
    if arguments.contains("--help") || arguments.contains("-h") {
      Console.output(usage + "\n")
      return .success
    }
    let options = try OptionParser(
      arguments.map { $0 == "-o" ? "--output" : $0 },
      valued: [
        "--output", "--arch", "--size", "--width", "--latent", "--epochs", "--batch", "--lr",
        "--latent-lr", "--lr-decay-epochs", "--latent-init", "--seed", "--threads", "--limit", "--checkpoint", "--checkpoint-minutes",
        "--resume",
      ],
      switches: ["--flip"])
    guard options.positionals.count == 1 else {
      throw UsageError(message: "train needs exactly one photo folder\n\n" + usage)
    }
    guard let output = options.string("--output") else {
      throw UsageError(message: "train needs an output model file: -o MODEL.safetensors")
    }
    let folder = options.positionals[0]
    let threads = try options.int("--threads", default: 0, range: 0...256)
    if threads > 0 { openblas_set_num_threads(Int32(threads)) }

    let latentSize = try options.int("--latent", default: 80, range: 1...4096)
    let architecture: Architecture
    switch options.string("--arch") ?? "square" {
    case "square":
      let size = try options.int("--size", default: 64, range: 8...1024)
      guard size & (size - 1) == 0 else {
        throw UsageError(message: "--size must be a power of two (8, 16, 32, 64, 128, ...), not \(size)")
      }
      let width = try options.int("--width", default: 256, range: 16...2048)
      architecture = .square(size: size, latentSize: latentSize, width: width)
    case "codeparade":
      architecture = .codeparade(latentSize: latentSize)
    case let other:
      throw UsageError(message: "unknown architecture '\(other)'; use square or codeparade")
    }
    let shape = try architecture.outputShape()

    // Check every number before the slow photo reading starts.
    let epochs = options.string("--epochs") == nil ? nil : try options.int("--epochs", default: 40, range: 1...100_000)
    let decay = options.string("--lr-decay-epochs") == nil ? nil : try options.int("--lr-decay-epochs", default: 0, range: 0...100_000)
    var settings = TrainingOptions(architecture: architecture)
    settings.epochs = epochs ?? 40
    settings.decayEpochs = decay ?? settings.epochs / 8
    settings.batchSize = try options.int("--batch", default: 64, range: 1...65536)
    settings.decoderLearningRate = Float(try options.double("--lr", default: 1e-3, range: 1e-9...10))
    settings.latentLearningRate = Float(try options.double("--latent-lr", default: 1e-2, range: 1e-9...10))
    settings.latentInitScale = Float(try options.double("--latent-init", default: 0.1, range: 0...100))
    settings.seed = UInt64(try options.int("--seed", default: 1, range: 0...Int.max))
    let minutes = try options.double("--checkpoint-minutes", default: 5, range: 0.05...1440)
    let limit = options.string("--limit") == nil ? nil : try options.int("--limit", default: 0, range: 1...Int(Int32.max))

    // Photos.
    let start = Date()
    let log = ProgressLog()
    log.line("reading photos under \(folder) at \(shape.width)×\(shape.height)")
    let dataset = try TrainingDataset.load(
      folder: folder, width: shape.width, height: shape.height, mirrored: options.has("--flip"),
      limit: limit
    ) { done, total in log.status("reading photos: \(done)/\(total)") }
    for (path, reason) in dataset.skipped { log.line("skipped \(path): \(reason)") }
    log.line(
      "read \(dataset.paths.count) photos in \(Console.duration(Date().timeIntervalSince(start)))"
        + (dataset.skipped.isEmpty ? "" : ", skipped \(dataset.skipped.count) that could not be read")
        + (dataset.mirrored ? ", \(dataset.count) training images with mirrored copies" : ""))

    // Trainer: new, or resumed from a checkpoint.
    let trainer: Trainer
    if let resume = options.string("--resume") {
      trainer = try Trainer(resumingFrom: resume, dataset: dataset, epochs: epochs, decayEpochs: decay)
      log.line("resumed \(resume) at epoch \(trainer.epoch + 1), step \(trainer.step)")
    } else {
      trainer = try Trainer(options: settings, dataset: dataset)
    }
    let checkpointPath = options.string("--checkpoint") ?? output + ".checkpoint"
    let used = trainer.options
    log.line(
      "training \(used.architecture.name) (\(used.architecture.latentSize) latents) for \(used.epochs) epochs, batch \(used.batchSize), lr \(used.decoderLearningRate), latent lr \(used.latentLearningRate), decay over the last \(used.decayEpochs) epochs, seed \(used.seed)")

    Interrupt.install()
    let outcome = try trainer.run(
      checkpointInterval: minutes * 60,
      progress: { log.progress($0) },
      checkpoint: {
        try trainer.writeCheckpoint(to: checkpointPath)
        log.line("checkpoint written to \(checkpointPath) (epoch \(trainer.epoch + 1), step \(trainer.step))")
      },
      shouldStop: { Interrupt.requested })
    if case .interrupted = outcome {
      log.line("stopped; resume with: facesh train \(folder) -o \(output) --resume \(checkpointPath)")
      return .interrupted
    }
    try trainer.writeCheckpoint(to: checkpointPath)
    // Includes the time of earlier parts when the run was resumed from a checkpoint.
    let trainingTime = trainer.trainingSeconds

    // The model file and the pictures beside it.
    var metadata = [
      "training_command": (["facesh"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
      "training_seconds": String(Int(trainingTime)),
    ]
    if let threads = Optional(openblas_get_num_threads()) { metadata["training_threads"] = String(threads) }
    let model = try trainer.makeModel(metadata: metadata)
    try model.write(to: output)
    log.line("wrote \(output): \(model.trainingFaceCount) faces, \(model.pca.spannedAxisCount) axes with σ > 0")
    let base = output.hasSuffix(".safetensors") ? String(output.dropLast(12)) : output
    try ImageIO.writePNG(TrainingReport.lossCurve(trainer.lossHistory), to: base + "-loss.png")
    try ImageIO.writePNG(
      TrainingReport.reconstructions(model: model, dataset: dataset), to: base + "-reconstructions.png")
    try ImageIO.writePNG(TrainingReport.samples(model: model), to: base + "-samples.png")
    let psnr = TrainingReport.meanPSNR(model: model, dataset: dataset)
    log.line(
      String(
        format: "final loss %.5f, mean reconstruction PSNR %.2f dB, training time %@",
        Double(trainer.lossHistory.last ?? .nan), psnr, Console.duration(trainingTime)))
    log.line("wrote \(base)-loss.png, \(base)-reconstructions.png, \(base)-samples.png")
    return .success
  }
}

/// Progress output: a redrawn status line on a terminal, plain log lines otherwise.
final class ProgressLog {
  let terminal = Console.errorIsTerminal
  private var lastLine = Date.distantPast
  private var statusShown = false

  func line(_ text: String) {
    if statusShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    statusShown = false
    Console.error(text)
  }

  func status(_ text: String) {
    if terminal {
      FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
      statusShown = true
    } else if Date().timeIntervalSince(lastLine) > 30 {
      Console.error(text)
      lastLine = Date()
    }
  }

  func progress(_ p: TrainingProgress) {
    let text = String(
      format: "epoch %d/%d step %d/%d  %.0f img/s  loss %.5f  %@ left", p.epoch, p.epochs, p.step,
      p.stepsPerEpoch, p.imagesPerSecond, p.loss, Console.duration(p.secondsLeft))
    if terminal {
      let width = 20
      let filled = width * p.step / max(p.stepsPerEpoch, 1)
      let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
      status("\(bar) " + text)
      if p.step == p.stepsPerEpoch { line(text) }
    } else if p.step == p.stepsPerEpoch || Date().timeIntervalSince(lastLine) > 30 {
      Console.error(text)
      lastLine = Date()
    }
  }
}
