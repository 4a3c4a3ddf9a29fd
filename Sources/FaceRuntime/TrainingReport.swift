import Foundation

/// Pictures that go beside a trained model: the loss curve, reconstructions and samples.
public enum TrainingReport {
  /// Draws the loss of each epoch as a line on a log scale, 480×240 pixels, with the first
  /// and last values written as labels.
  public static func lossCurve(_ losses: [Float]) -> RGBImage {
    let (width, height) = (480, 240)
    let (left, right, top, bottom) = (8, 8, 24, 8)
    var image = RGBImage(width: width, height: height, fill: (255, 255, 255))
    func plot(_ x: Int, _ y: Int, _ colour: (UInt8, UInt8, UInt8)) {
      guard x >= 0, x < width, y >= 0, y < height else { return }
      let i = (y * width + x) * 3
      image.pixels[i] = colour.0
      image.pixels[i + 1] = colour.1
      image.pixels[i + 2] = colour.2
    }
    // Frame.
    for x in left..<(width - right) {
      plot(x, top, (200, 200, 200))
      plot(x, height - bottom, (200, 200, 200))
    }
    for y in top...(height - bottom) {
      plot(left, y, (200, 200, 200))
      plot(width - right - 1, y, (200, 200, 200))
    }
    let finite = losses.filter { $0.isFinite && $0 > 0 }
    guard finite.count >= 1 else { return image }
    let logs = finite.map { log10(Double($0)) }
    let low = logs.min()!
    let high = max(logs.max()!, low + 1e-6)
    func point(_ index: Int) -> (Int, Int) {
      let fraction = finite.count == 1 ? 0.5 : Double(index) / Double(finite.count - 1)
      let x = left + 2 + Int(fraction * Double(width - left - right - 5))
      let y = top + 2 + Int((high - logs[index]) / (high - low) * Double(height - top - bottom - 5))
      return (x, y)
    }
    for index in 0..<finite.count {
      let (x1, y1) = point(index)
      let (x0, y0) = index == 0 ? (x1, y1) : point(index - 1)
      let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
      for s in 0...steps {
        let x = x0 + (x1 - x0) * s / steps
        let y = y0 + (y1 - y0) * s / steps
        plot(x, y, (30, 80, 200))
        plot(x, y + 1, (30, 80, 200))
      }
    }
    let title = String(
      format: "loss per epoch (log scale): %.5f to %.5f over %d epochs", Double(finite.first!),
      Double(finite.last!), finite.count)
    BitmapFont.draw(title, into: &image, x: left, y: 8, color: (40, 40, 40))
    return image
  }

  /// Returns a sheet of photo/reconstruction pairs for the first `count` training images.
  public static func reconstructions(model: FaceModel, dataset: TrainingDataset, count: Int = 16)
    -> RGBImage
  {
    let shown = min(count, dataset.count, model.trainingFaceCount)
    var images: [RGBImage] = []
    var labels: [String] = []
    let step = max(1, dataset.count / max(shown, 1))
    let decoded = model.decode((0..<shown).map { model.trainingLatent(at: $0 * step) })
    for i in 0..<shown {
      images.append(dataset.image(at: i * step))
      labels.append("photo \(i * step)")
      images.append(decoded[i])
      labels.append("decoded")
    }
    return ContactSheet.render(images, columns: 8, labels: labels, title: "photos and their reconstructions")
  }

  /// Returns a sheet of random faces from the PCA distribution, seeds 1 to `count`.
  public static func samples(model: FaceModel, count: Int = 32) -> RGBImage {
    let seeds = (1...max(count, 1)).map { UInt64($0) }
    let faces = model.decode(seeds.map { model.pca.randomLatent(seed: $0) })
    return ContactSheet.render(
      faces, columns: 8, labels: seeds.map { "seed \($0)" }, title: "random faces, seeds 1 to \(count)")
  }

  /// Returns the mean peak signal-to-noise ratio in dB between each training image and its
  /// decoded latent vector, over images scaled to [0, 1]. An exact match counts as 100 dB.
  public static func meanPSNR(model: FaceModel, dataset: TrainingDataset, batchSize: Int = 64)
    -> Double
  {
    let count = min(dataset.count, model.trainingFaceCount)
    guard count > 0 else { return 0 }
    let size = 3 * dataset.width * dataset.height
    var total = 0.0
    var target = [Float](repeating: 0, count: size)
    for first in stride(from: 0, to: count, by: batchSize) {
      let indices = Array(first..<min(first + batchSize, count))
      let latents = indices.flatMap { model.trainingLatent(at: $0) }
      let output = model.decoder.decode(latents, batch: indices.count)
      for (row, index) in indices.enumerated() {
        target.withUnsafeMutableBufferPointer { dataset.write(index, into: $0.baseAddress!) }
        let error = FaceFitter.meanSquaredError(output, row: row, target: target)
        total += FaceFitter.psnr(meanSquaredError: error)
      }
    }
    return total / Double(count)
  }
}
