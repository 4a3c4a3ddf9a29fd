import FaceRuntime
import Foundation

/// `facesh eval MODEL PHOTOS_DIR`: mean reconstruction PSNR over the photos a model was
/// trained on.
enum EvalCommand {
  static let usage = """
    usage: facesh eval MODEL.safetensors PHOTOS_DIR [--limit N] [--flip]

    Decodes each training face's latent vector and compares it with its photo, read and
    prepared the way 'facesh train' read it (sorted path order, centre crop, area
    downscale). Prints the mean PSNR in dB over all photos. Give the same --limit and
    --flip as for training.
    """

  static func run(_ arguments: [String]) throws -> ExitCode {
    if arguments.contains("--help") || arguments.contains("-h") {
      Console.output(usage + "\n")
      return .success
    }
    let options = try OptionParser(arguments, valued: ["--limit"], switches: ["--flip"])
    guard options.positionals.count == 2 else {
      throw UsageError(message: "eval needs a model file and a photo folder\n\n" + usage)
    }
    let model = try ModelLocator.load(
      ModelLocator.Location(path: options.positionals[0], origin: .argument))
    let limit = options.string("--limit") == nil ? nil : try options.int("--limit", default: 0, range: 1...Int(Int32.max))
    let dataset = try TrainingDataset.load(
      folder: options.positionals[1], width: model.imageWidth, height: model.imageHeight,
      mirrored: options.has("--flip"), limit: limit)
    guard dataset.count == model.trainingFaceCount else {
      throw TrainingDataError(
        message: "the model has \(model.trainingFaceCount) training faces but the folder gives \(dataset.count) images; use the folder and --limit/--flip the model was trained with")
    }
    let psnr = TrainingReport.meanPSNR(model: model, dataset: dataset)
    Console.output(String(format: "mean PSNR %.2f dB over %d images\n", psnr, dataset.count))
    return .success
  }
}
