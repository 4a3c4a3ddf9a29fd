import CFaceBLAS
import FaceRuntime
import Foundation

// Times the decoder and the trainer against OpenBLAS sgemm on this machine.
// Usage: facesh-bench [decode|train|all] [--model PATH] [--seconds S]

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

func benchDecode(_ name: String, decoder: Decoder, peak: Double, seconds: Double) {
  let flops = decoder.architecture.flopsPerSample()
  for batch in [1, 64] {
    var random = PortableRandom(seed: 9)
    let latents = (0..<(batch * decoder.architecture.latentSize)).map { _ in
      Float(random.nextGaussian())
    }
    let time = measure(seconds: seconds) { _ = decoder.decode(latents, batch: batch) }
    let perFace = time / Double(batch)
    let gflops = flops / perFace / 1e9
    print(
      String(
        format: "decode %@ batch %d: %.2f ms/face, %.1f GFLOP/s, %.2f of sgemm", name, batch,
        perFace * 1000, gflops, gflops / peak))
  }
}

func benchTrain(_ name: String, architecture: Architecture, batch: Int, peak: Double, seconds: Double) throws {
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
  var steps = 0
  let start = now()
  var warm = 0.0
  _ = try trainer.run(
    checkpointInterval: .infinity, progress: { _ in steps += 1; if steps == 2 { warm = now() } },
    checkpoint: {}, shouldStop: { steps >= 2 && now() - start > seconds })
  let time = (now() - warm) / Double(steps - 2)
  let imagesPerSecond = Double(batch) / time
  // A training step costs about three forward passes: forward, input gradient, weight gradient.
  let gflops = 3 * architecture.flopsPerSample() * imagesPerSecond / 1e9
  print(
    String(
      format: "train %@ batch %d: %.1f images/s, %.1f GFLOP/s, %.2f of sgemm", name, batch,
      imagesPerSecond, gflops, gflops / peak))
}

var arguments = Array(CommandLine.arguments.dropFirst())
var modelPath: String? = nil
var seconds = 3.0
var mode = "all"
while !arguments.isEmpty {
  let argument = arguments.removeFirst()
  switch argument {
  case "--model": modelPath = arguments.isEmpty ? nil : arguments.removeFirst()
  case "--seconds": seconds = Double(arguments.isEmpty ? "3" : arguments.removeFirst()) ?? 3
  default: mode = argument
  }
}
if mode == "profile-train" {
  let decoder = try Decoder(randomWeightsFor: .square(size: 64), seed: 1)
  let latents = [Float](repeating: 0.3, count: 80 * 64)
  _ = decoder.profileTraining(latents, batch: 64)
  for (name, f, b) in decoder.profileTraining(latents, batch: 64) {
    print(String(format: "%@: forward %.2f ms, backward %.2f ms", name, f * 1000, b * 1000))
  }
  exit(0)
}
if mode == "profile" {
  let decoder = try Decoder(randomWeightsFor: .codeparade(), seed: 1)
  for batch in [1, 8] {
    let latents = [Float](repeating: 0.3, count: 80 * batch)
    _ = decoder.profileLayers(latents, batch: batch)
    for (name, time) in decoder.profileLayers(latents, batch: batch) {
      print(String(format: "batch %d %@: %.2f ms", batch, name, time * 1000))
    }
  }
  exit(0)
}
let peak = sgemmPeak(seconds: seconds)
print(String(format: "sgemm 1024×1024: %.1f GFLOP/s with %d threads", peak, openblas_get_num_threads()))
if mode == "decode" || mode == "all" {
  benchDecode("codeparade", decoder: try Decoder(randomWeightsFor: .codeparade(), seed: 1), peak: peak, seconds: seconds)
  if let modelPath {
    let model = try FaceModel.load(path: modelPath)
    benchDecode("default", decoder: model.decoder, peak: peak, seconds: seconds)
  } else {
    benchDecode("square64", decoder: try Decoder(randomWeightsFor: .square(size: 64), seed: 1), peak: peak, seconds: seconds)
  }
}
if mode == "train" || mode == "all" {
  try benchTrain("square64", architecture: .square(size: 64), batch: 64, peak: peak, seconds: seconds * 3)
  if mode == "train" {
    try benchTrain("codeparade", architecture: .codeparade(), batch: 16, peak: peak, seconds: seconds * 3)
  }
}
