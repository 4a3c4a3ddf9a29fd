import FaceRuntime
import Foundation

// Times fitting photos into a model's latent space and reports the PSNR it reaches.
//
// Two measurements. Photos: the training photos at evenly spread positions in sorted order
// (so each one's trained latent vector is known), fitted and compared with the PSNR of that
// trained latent vector's decoding. Self: faces the model itself decoded from seeded random
// latent vectors, saved as 8-bit images and fitted back. Lines that start with RESULT are
// for scripts.

let usage = """
  usage: fit-bench --model PATH [--photos DIR] [--count N] [--self N] [--steps N]
                   [--starts N] [--candidates N] [--prior W] [--rate R]

  --model PATH      the model to fit into
  --photos DIR      the folder the model was trained on, read in sorted order as training
                    reads it; without it only self-decoded faces are fitted
  --count N         how many training photos to fit (default 20)
  --self N          how many self-decoded faces to fit (default 10)
  --steps, --starts, --candidates, --prior, --rate
                    fitting options (defaults are those of fit() in the face language)
  """

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data((message + "\n").utf8))
  exit(2)
}

var modelPath: String?
var photosPath: String?
var photoCount = 20
var selfCount = 10
var options = FitOptions()
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
  let flag = arguments.removeFirst()
  if flag == "-h" || flag == "--help" {
    print(usage)
    exit(0)
  }
  guard !arguments.isEmpty else { fail("\(flag) needs a value\n\n\(usage)") }
  let value = arguments.removeFirst()
  func integer() -> Int {
    guard let number = Int(value), number >= 0 else { fail("\(flag) needs a whole number, got '\(value)'") }
    return number
  }
  func real() -> Double {
    guard let number = Double(value), number >= 0 else { fail("\(flag) needs a number, got '\(value)'") }
    return number
  }
  switch flag {
  case "--model": modelPath = value
  case "--photos": photosPath = value
  case "--count": photoCount = integer()
  case "--self": selfCount = integer()
  case "--steps": options.steps = integer()
  case "--starts": options.starts = max(1, integer())
  case "--candidates": options.candidates = integer()
  case "--prior": options.priorWeight = real()
  case "--rate": options.learningRate = real()
  default: fail("unknown option '\(flag)'\n\n\(usage)")
  }
}
guard let modelPath else { fail(usage) }

let model: FaceModel
do {
  model = try FaceModel.load(path: modelPath)
} catch {
  fail("\(error)")
}
let fitter = try FaceFitter(model: model)
let faces = TrainingFaces(model: model)
print(
  "model \(modelPath): \(model.imageWidth)x\(model.imageHeight), \(model.trainingFaceCount) training faces; "
    + "steps \(options.steps), starts \(options.starts), candidates \(options.candidates), "
    + "prior \(options.priorWeight), rate \(options.learningRate)")

func seconds(_ body: () throws -> Void) rethrows -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  try body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
}

func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

if let photosPath, photoCount > 0 {
  let paths = try TrainingDataset.listPhotos(in: photosPath)
  let total = min(paths.count, model.trainingFaceCount)
  var fitted: [Double] = []
  var trained: [Double] = []
  var times: [Double] = []
  var distances: [Double] = []
  print("photo  index  trained dB  fitted dB  start dB  seconds  distance σ")
  for i in 0..<min(photoCount, total) {
    // Offset from the evenly spaced candidates, so no photo starts from its own vector.
    let index = (i * total / photoCount + 7) % total
    let photo = try ImageIO.read(path: paths[index])
    var result: FitResult!
    let time = try seconds { result = try fitter.fit(photo: photo, options: options) }
    let reference = fitter.psnr(of: model.trainingLatent(at: index), against: photo)
    let distance = faces.typicality(of: result.latent).distance
    fitted.append(result.psnr)
    trained.append(reference)
    times.append(time)
    distances.append(distance)
    print(
      String(
        format: "%5d  %5d  %10.2f  %9.2f  %8.2f  %7.2f  %10.2f", i, index, reference, result.psnr,
        result.startPSNR, time, distance))
  }
  print(
    String(
      format: "RESULT fit-photos count=%d trained_psnr=%.2f fitted_psnr=%.2f gap=%.2f seconds=%.2f distance=%.2f",
      fitted.count, mean(trained), mean(fitted), mean(trained) - mean(fitted), mean(times),
      mean(distances)))
}

if selfCount > 0 {
  var fitted: [Double] = []
  var times: [Double] = []
  print("self   seed  fitted dB  start dB  seconds")
  for i in 0..<selfCount {
    let latent = model.pca.randomLatent(seed: UInt64(1000 + i))
    let image = model.decode(latent)
    var result: FitResult!
    let time = try seconds { result = try fitter.fit(photo: image, options: options) }
    fitted.append(result.psnr)
    times.append(time)
    print(String(format: "%5d  %5d  %9.2f  %8.2f  %7.2f", i, 1000 + i, result.psnr, result.startPSNR, time))
  }
  print(
    String(
      format: "RESULT fit-self count=%d fitted_psnr=%.2f minimum_psnr=%.2f seconds=%.2f",
      fitted.count, mean(fitted), fitted.min() ?? 0, mean(times)))
}
