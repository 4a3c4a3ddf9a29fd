import CFaceBLAS
import FaceRuntime
import Foundation

// Times the decoder and the trainer against OpenBLAS sgemm on this machine. It also writes
// the model and output files that bench/onnx_decoder.py uses to compare the decoder with
// ONNX Runtime. `usage` below lists the modes and options. Lines that start with `RESULT`
// are for scripts: a kind, then space-separated `key=value` fields.

let usage = """
  usage: facesh-bench [MODE] [OPTIONS]

  modes:
    all            sgemm, decode, then the square64 training step (the default)
    sgemm          time OpenBLAS sgemm on 1024×1024 matrices
    decode         time decoding at batch 1 and 64
    train          time training steps of square64 (batch 64) and codeparade (batch 16)
    profile        time each decoder layer (codeparade unless --model is given)
    profile-train  time the training forward and backward pass of each square64 layer
                   (batch 64, or the first --batch)
    export         write a model file with seeded random weights and 16 random latents
    decode-dump    decode seeded random latents and write them with the decoded images

  options:
    --model PATH      model file to decode or profile. decode takes several, and without
                      any it times random codeparade and square64 decoders
    --seconds S       time spent on each measurement, in seconds (default 3)
    --threads N       number of OpenBLAS threads (default: OpenBLAS's own choice). facesh's
                      own SGEMM runs on Dispatch threads, one per core
    --gemm NAME       matrix products: automatic (facesh's SGEMM and blocked transposed
                      convolution, the default), openblas (OpenBLAS and a full column
                      buffer, as before the SGEMM existed) or facesh (facesh's SGEMM only)
    --convolution M   4×4 stride-2 transposed convolutions: automatic (Winograd's F(2×2, 2×2)
                      where it is faster, the default), direct (GEMM and scatter) or winograd
    --sgemm-gflops G  use G GFLOP/s as the sgemm reference instead of measuring it
    --batch N         batch size. profile takes several (default 1 and 8), decode-dump
                      takes one (default 4)
    --arch NAME       architecture to export: codeparade, squareN (N a power of two, at
                      least 8) or all-layers (a small decoder that uses every layer type)
    --out PATH        file that export and decode-dump write
    --seed N          seed of export's random weights and latents (default 1)
  """

/// A command line that cannot run. Its message goes to standard error, with exit status 2.
struct UsageError: Error {
  let message: String
}

/// Settings read from the command line.
struct Options {
  var mode = "all"
  var modelPaths: [String] = []
  var seconds = 3.0
  var threads: Int?
  var sgemmGFLOPS: Double?
  var gemm = GEMMBackend.automatic
  var convolution = TransposedConvolutionMethod.automatic
  var batches: [Int] = []
  var architectureName: String?
  var outputPath: String?
  var seed: UInt64 = 1
}

let modes: Set = [
  "all", "sgemm", "decode", "train", "profile", "profile-train", "export", "decode-dump",
]

func parseOptions(_ arguments: [String]) throws -> Options {
  var options = Options()
  var rest = arguments[...]
  var modeSeen = false

  func value(for option: String) throws -> String {
    guard let next = rest.popFirst() else { throw UsageError(message: "\(option) needs a value") }
    return next
  }
  func number<T: LosslessStringConvertible & Comparable>(for option: String, minimum: T) throws
    -> T
  {
    let text = try value(for: option)
    guard let parsed = T(text), parsed >= minimum else {
      throw UsageError(
        message: "invalid value '\(text)' for \(option); expected at least \(minimum)")
    }
    return parsed
  }

  while let argument = rest.popFirst() {
    switch argument {
    case "--model": options.modelPaths.append(try value(for: argument))
    case "--seconds": options.seconds = try number(for: argument, minimum: 0.0)
    case "--threads": options.threads = try number(for: argument, minimum: 1)
    case "--sgemm-gflops": options.sgemmGFLOPS = try number(for: argument, minimum: 1e-9)
    case "--gemm":
      let name = try value(for: argument)
      guard let backend = GEMMBackend(rawValue: name) else {
        let names = GEMMBackend.allCases.map(\.rawValue).joined(separator: ", ")
        throw UsageError(message: "invalid value '\(name)' for --gemm; expected one of \(names)")
      }
      options.gemm = backend
    case "--convolution":
      let name = try value(for: argument)
      guard let method = TransposedConvolutionMethod(rawValue: name) else {
        let names = TransposedConvolutionMethod.allCases.map(\.rawValue).joined(separator: ", ")
        throw UsageError(
          message: "invalid value '\(name)' for --convolution; expected one of \(names)")
      }
      options.convolution = method
    case "--batch": options.batches.append(try number(for: argument, minimum: 1))
    case "--arch": options.architectureName = try value(for: argument)
    case "--out": options.outputPath = try value(for: argument)
    case "--seed": options.seed = try number(for: argument, minimum: 0)
    case "-h", "--help":
      print(usage)
      exit(0)
    default:
      guard !argument.hasPrefix("-") else {
        throw UsageError(message: "unknown option '\(argument)'")
      }
      guard !modeSeen else {
        throw UsageError(message: "unexpected argument '\(argument)' after mode '\(options.mode)'")
      }
      guard modes.contains(argument) else {
        throw UsageError(message: "unknown mode '\(argument)'")
      }
      options.mode = argument
      modeSeen = true
    }
  }
  return options
}

// MARK: Timing

func now() -> Double {
  var spec = timespec()
  clock_gettime(CLOCK_MONOTONIC, &spec)
  return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}

/// Runs `body` until `seconds` pass (at least 3 times) and returns the best time per call.
func measure(seconds: Double, _ body: () -> Void) -> Double {
  body()
  var best = Double.infinity
  let start = now()
  var runs = 0
  while runs < 3 || now() - start < seconds {
    let t0 = now()
    body()
    best = min(best, now() - t0)
    runs += 1
  }
  return best
}

/// Measures sgemm GFLOP/s on square 1024 matrices, the peak the decoder is compared with.
func sgemmPeak(seconds: Double) -> Double {
  let n = 1024
  let a = [Float](repeating: 0.5, count: n * n)
  let b = [Float](repeating: 0.25, count: n * n)
  var c = [Float](repeating: 0, count: n * n)
  let time = measure(seconds: seconds) {
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b,
      Int32(n), 0, &c, Int32(n))
  }
  return 2 * Double(n * n * n) / time / 1e9
}

/// Makes `text` usable as one `key=value` field of a RESULT line.
func resultField(_ text: String) -> String {
  String(text.map { $0.isWhitespace || $0 == "=" ? "_" : $0 })
}

/// Returns the file name of `path` without its extension, the name a model's results carry.
func modelName(path: String) -> String {
  resultField(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
}

/// Returns `batch` latent vectors, (B, D), drawn from N(0, 1) with a fixed seed, so that
/// decode, decode-dump and profile all decode the same inputs.
func seededLatents(batch: Int, latentSize: Int) -> [Float] {
  var random = PortableRandom(seed: 9)
  return (0..<(batch * latentSize)).map { _ in Float(random.nextGaussian()) }
}

func benchDecode(_ name: String, decoder: Decoder, peak: Double, seconds: Double) {
  let flops = decoder.architecture.flopsPerSample()
  for batch in [1, 64] {
    let latents = seededLatents(batch: batch, latentSize: decoder.architecture.latentSize)
    let time = measure(seconds: seconds) { _ = decoder.decode(latents, batch: batch) }
    let perFace = time / Double(batch)
    let gflops = flops / perFace / 1e9
    print(
      String(
        format: "decode %@ batch %d: %.2f ms/face, %.1f GFLOP/s, %.2f of sgemm", name, batch,
        perFace * 1000, gflops, gflops / peak))
    print(
      String(
        format:
          "RESULT decode name=%@ batch=%d threads=%d ms_per_face=%.4f gflops=%.3f"
          + " sgemm_gflops=%.3f ratio=%.4f",
        name, batch, openblas_get_num_threads(), perFace * 1000, gflops, peak, gflops / peak))
  }
}

func benchTrain(
  _ name: String, architecture: Architecture, batch: Int, peak: Double, seconds: Double
) throws {
  let shape = try architecture.outputShape()
  var random = PortableRandom(seed: 4)
  let images = (0..<(batch * 4)).map { _ -> RGBImage in
    var image = RGBImage(width: shape.width, height: shape.height)
    for i in 0..<image.pixels.count { image.pixels[i] = UInt8(random.nextInt(below: 256)) }
    return image
  }
  let dataset = TrainingDataset(images: images, width: shape.width, height: shape.height)
  var options = TrainingOptions(architecture: architecture)
  options.batchSize = batch
  options.epochs = 1000
  let trainer = try Trainer(options: options, dataset: dataset)

  // Two warm-up steps, then at least three timed steps and until `seconds` pass.
  let warmUpSteps = 2
  var steps = 0
  var warm = 0.0
  _ = try trainer.run(
    checkpointInterval: .infinity,
    progress: { _ in
      steps += 1
      if steps == warmUpSteps { warm = now() }
    },
    checkpoint: {}, shouldStop: { steps >= warmUpSteps + 3 && now() - warm > seconds })
  let time = (now() - warm) / Double(steps - warmUpSteps)
  let imagesPerSecond = Double(batch) / time
  // A training step costs about three forward passes: forward, input gradient, weight gradient.
  let gflops = 3 * architecture.flopsPerSample() * imagesPerSecond / 1e9
  print(
    String(
      format: "train %@ batch %d: %.1f images/s, %.1f GFLOP/s, %.2f of sgemm", name, batch,
      imagesPerSecond, gflops, gflops / peak))
  print(
    String(
      format:
        "RESULT train name=%@ batch=%d threads=%d images_per_s=%.3f gflops=%.3f"
        + " sgemm_gflops=%.3f ratio=%.4f",
      name, batch, openblas_get_num_threads(), imagesPerSecond, gflops, peak, gflops / peak))
}

// MARK: Profiles

/// Prints each layer's forward time for each batch size: the best over `seconds` of runs, at
/// least 5, after a warm-up run, as `measure` does for whole decodes.
func profileDecode(_ name: String, decoder: Decoder, batches: [Int], seconds: Double) {
  for batch in batches {
    let latents = seededLatents(batch: batch, latentSize: decoder.architecture.latentSize)
    _ = decoder.profileLayers(latents, batch: batch)
    var best = decoder.profileLayers(latents, batch: batch)
    let start = now()
    var runs = 1
    while runs < 5 || now() - start < seconds {
      for (index, entry) in decoder.profileLayers(latents, batch: batch).enumerated() {
        best[index].1 = min(best[index].1, entry.1)
      }
      runs += 1
    }
    let total = best.reduce(0) { $0 + $1.1 }
    for (layer, time) in best {
      print(String(format: "%@ batch %d %@: %.3f ms", name, batch, layer, time * 1000))
    }
    print(
      String(
        format: "%@ batch %d all layers: %.3f ms (best of %d runs)", name, batch, total * 1000,
        runs))
  }
}

func profileTraining(batch: Int, seconds: Double) throws {
  let decoder = try Decoder(randomWeightsFor: .square(size: 64), seed: 1)
  let latents = [Float](repeating: 0.3, count: 80 * batch)
  // Each layer's best time over repeated passes, for about `seconds` in all.
  var best = decoder.profileTraining(latents, batch: batch)
  let start = DispatchTime.now().uptimeNanoseconds
  var passes = 1
  while passes < 3 || Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 < seconds {
    for (index, times) in decoder.profileTraining(latents, batch: batch).enumerated() {
      best[index].1 = min(best[index].1, times.1)
      best[index].2 = min(best[index].2, times.2)
    }
    passes += 1
  }
  print("square64 training pass, batch \(batch), best of \(passes) passes per layer")
  for (name, f, b) in best {
    print(String(format: "%@: forward %.2f ms, backward %.2f ms", name, f * 1000, b * 1000))
  }
  let forward = best.reduce(0) { $0 + $1.1 }, backward = best.reduce(0) { $0 + $1.2 }
  print(String(format: "all layers: forward %.2f ms, backward %.2f ms", forward * 1000, backward * 1000))
}

// MARK: Files for the ONNX Runtime comparison

/// Returns the architecture that `export --arch NAME` writes.
func architecture(named name: String) throws -> Architecture {
  if name == "codeparade" { return .codeparade() }
  if name == "all-layers" { return allLayersArchitecture() }
  if name.hasPrefix("square"), let size = Int(name.dropFirst("square".count)), size >= 8,
    size & (size - 1) == 0
  {
    return .square(size: size)
  }
  throw UsageError(
    message:
      "unknown architecture '\(name)'; expected codeparade, squareN (N a power of two, at"
      + " least 8) or all-layers")
}

/// Returns a small decoder that uses every layer type, non-square kernels, strides and
/// paddings, and a linear layer after a spatial one, so that one comparison covers the whole
/// ONNX translation. It makes 3×28×19 images from 16 latents.
func allLayersArchitecture() -> Architecture {
  Architecture(
    name: "all-layers", latentSize: 16,
    layers: [
      .linear(inFeatures: 16, outFeatures: 48),
      .reshape(channels: 12, height: 2, width: 2),
      .relu,
      .linear(inFeatures: 48, outFeatures: 192),
      .reshape(channels: 32, height: 3, width: 2),
      .batchNorm(channels: 32, epsilon: 1e-3),
      .leakyReLU(slope: 0.2),
      .convTranspose2d(
        inChannels: 32, outChannels: 16, kernel: (3, 4), stride: (2, 1), padding: (1, 0)),
      .tanh,
      .convTranspose2d(
        inChannels: 16, outChannels: 8, kernel: (4, 4), stride: (2, 2), padding: (1, 1)),
      .batchNorm(channels: 8, epsilon: 1e-5),
      .relu,
      .convTranspose2d(
        inChannels: 8, outChannels: 3, kernel: (5, 3), stride: (3, 2), padding: (2, 1)),
      .sigmoid,
    ])
}

/// Writes a model with the weights of `Decoder(randomWeightsFor:seed:)`, 16 random training
/// latents and their PCA basis. Biases and batch normalization statistics are random too,
/// because their defaults (0 and the identity) would let a wrong translation of them pass
/// the comparison with ONNX Runtime.
func exportModel(architecture: Architecture, seed: UInt64, to path: String) throws {
  let initial = try Decoder(randomWeightsFor: architecture, seed: seed)
  var weights: [String: [Float]] = [:]
  for tensor in initial.namedTensors() { weights[tensor.name] = tensor.values }
  var random = PortableRandom(seed: seed &+ 1)
  func uniform(_ count: Int, _ low: Double, _ high: Double) -> [Float] {
    (0..<count).map { _ in Float(low + (high - low) * random.nextUniform()) }
  }
  let decoder = try Decoder(architecture: architecture) { name, shape in
    let count = shape.reduce(1, *)
    let parts = name.split(separator: ".")
    switch (parts[2], architecture.layers[Int(parts[1])!]) {
    case ("bias", _), ("running_mean", _): return uniform(count, -0.1, 0.1)
    case ("running_var", _), ("weight", .batchNorm): return uniform(count, 0.5, 1.5)
    default: return weights[name]!
    }
  }
  let faces = 16
  let latents = (0..<(faces * architecture.latentSize)).map { _ in Float(random.nextGaussian()) }
  let pca = try PCABasis.fit(latents: latents, rows: faces, dimension: architecture.latentSize)
  try FaceModel(decoder: decoder, latents: latents, pca: pca).write(to: path)
  let shape = decoder.outputShape
  print("wrote \(path): \(architecture.name), \(architecture.latentSize) latents → \(shape)")
}

/// Decodes `batch` seeded latents with the model at `modelPath` and writes a safetensors file
/// with `latents` (B, D) and `images` (B, 3, P, Q), the decoder's output before it is clamped
/// and rounded to 8 bits.
func dumpDecode(modelPath: String, batch: Int, to path: String) throws {
  let model = try FaceModel.load(path: modelPath)
  let latentSize = model.latentSize
  let latents = seededLatents(batch: batch, latentSize: latentSize)
  let images = model.decoder.decode(latents, batch: batch)
  let shape = model.decoder.outputShape
  var writer = SafetensorsWriter()
  writer.metadata["model"] = modelPath
  writer.add("latents", shape: [batch, latentSize], values: latents)
  writer.add("images", shape: [batch, shape.channels, shape.height, shape.width], values: images)
  try writer.write(to: path)
  print("wrote \(path): \(batch) latents and images decoded by \(modelPath)")
}

// MARK: Main

func run(_ options: Options) throws {
  if let threads = options.threads { openblas_set_num_threads(Int32(threads)) }
  gemmBackend = options.gemm
  transposedConvolutionMethod = options.convolution
  switch options.mode {
  case "profile-train":
    try profileTraining(batch: options.batches.first ?? 64, seconds: options.seconds)
    return
  case "profile":
    let batches = options.batches.isEmpty ? [1, 8] : options.batches
    if let path = options.modelPaths.first {
      let model = try FaceModel.load(path: path)
      profileDecode(
        modelName(path: path), decoder: model.decoder, batches: batches, seconds: options.seconds)
    } else {
      let decoder = try Decoder(randomWeightsFor: .codeparade(), seed: 1)
      profileDecode("codeparade", decoder: decoder, batches: batches, seconds: options.seconds)
    }
    return
  case "export":
    guard let name = options.architectureName, let path = options.outputPath else {
      throw UsageError(message: "export needs --arch NAME and --out PATH")
    }
    try exportModel(architecture: try architecture(named: name), seed: options.seed, to: path)
    return
  case "decode-dump":
    guard let modelPath = options.modelPaths.first, let path = options.outputPath else {
      throw UsageError(message: "decode-dump needs --model PATH and --out PATH")
    }
    guard options.batches.count <= 1 else {
      throw UsageError(message: "decode-dump takes one --batch")
    }
    try dumpDecode(modelPath: modelPath, batch: options.batches.first ?? 4, to: path)
    return
  default:
    break
  }

  let seconds = options.seconds
  let peak: Double
  if let given = options.sgemmGFLOPS {
    peak = given
    print(String(format: "sgemm reference: %.1f GFLOP/s (given)", peak))
  } else {
    peak = sgemmPeak(seconds: seconds)
    let threads = openblas_get_num_threads()
    print(String(format: "sgemm 1024×1024: %.1f GFLOP/s with %d threads", peak, threads))
    print(String(format: "RESULT sgemm threads=%d gflops=%.3f", threads, peak))
  }
  if options.mode == "decode" || options.mode == "all" {
    if options.modelPaths.isEmpty {
      let codeparade = try Decoder(randomWeightsFor: .codeparade(), seed: 1)
      benchDecode("codeparade", decoder: codeparade, peak: peak, seconds: seconds)
      let square = try Decoder(randomWeightsFor: .square(size: 64), seed: 1)
      benchDecode("square64", decoder: square, peak: peak, seconds: seconds)
    }
    for path in options.modelPaths {
      let model = try FaceModel.load(path: path)
      benchDecode(modelName(path: path), decoder: model.decoder, peak: peak, seconds: seconds)
    }
  }
  if options.mode == "train" || options.mode == "all" {
    try benchTrain(
      "square64", architecture: .square(size: 64), batch: 64, peak: peak, seconds: seconds * 3)
    if options.mode == "train" {
      try benchTrain(
        "codeparade", architecture: .codeparade(), batch: 16, peak: peak, seconds: seconds * 3)
    }
  }
}

do {
  try run(try parseOptions(Array(CommandLine.arguments.dropFirst())))
} catch let error as UsageError {
  let hint = "run 'facesh-bench --help' for the modes and options"
  FileHandle.standardError.write(Data("facesh-bench: \(error.message)\n\(hint)\n".utf8))
  exit(2)
} catch {
  FileHandle.standardError.write(Data("facesh-bench: \(error)\n".utf8))
  exit(1)
}
