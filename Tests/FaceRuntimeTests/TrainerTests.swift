import Foundation
import XCTest

@testable import FaceRuntime

final class TrainerTests: XCTestCase {
  var folder = ""

  override func setUp() { folder = temporaryFolder() }
  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  /// Small synthetic photos: coloured gradients with a bright square that moves per image.
  func syntheticImages(_ count: Int, size: Int = 8) -> [RGBImage] {
    (0..<count).map { index in
      var image = RGBImage(width: size, height: size)
      for y in 0..<size {
        for x in 0..<size {
          let i = (y * size + x) * 3
          let inSquare = abs(x - index % size) < 2 && abs(y - (index * 3) % size) < 2
          image.pixels[i] = UInt8((x * 255) / size)
          image.pixels[i + 1] = inSquare ? 240 : UInt8((y * 200) / size)
          image.pixels[i + 2] = UInt8((index * 60) % 256)
        }
      }
      return image
    }
  }

  func smallOptions(batch: Int = 4, epochs: Int = 1) -> TrainingOptions {
    var options = TrainingOptions(architecture: .square(size: 8, latentSize: 4, width: 32))
    options.batchSize = batch
    options.epochs = epochs
    options.latentLearningRate = 0.05
    options.decoderLearningRate = 0.01
    return options
  }

  func run(_ trainer: Trainer) throws -> TrainingOutcome {
    try trainer.run(progress: { _ in }, checkpoint: {}, shouldStop: { false })
  }

  func testTinyModelReachesLowLoss() throws {
    let dataset = TrainingDataset(images: syntheticImages(6), width: 8, height: 8)
    let trainer = try Trainer(options: smallOptions(batch: 3, epochs: 300), dataset: dataset)
    XCTAssertEqual(try run(trainer), .finished)
    let first = trainer.lossHistory.first!
    let last = trainer.lossHistory.last!
    XCTAssertGreaterThan(first, 0.02, "the untrained decoder should be far from the photos")
    XCTAssertLessThan(last, 0.002, "loss went from \(first) to \(last)")
    let model = try trainer.makeModel()
    XCTAssertGreaterThan(TrainingReport.meanPSNR(model: model, dataset: dataset), 27)
  }

  func rows(_ trainer: Trainer) -> [[Float]] {
    (0..<trainer.dataset.count).map { Array(trainer.latents[($0 * 4)..<($0 * 4 + 4)]) }
  }

  func testDenseAdamMovesRowsWithMomentum() throws {
    let dataset = TrainingDataset(images: syntheticImages(5), width: 8, height: 8)
    let trainer = try Trainer(options: smallOptions(), dataset: dataset)
    let start = rows(trainer)
    _ = try trainer.trainStep([1, 3])
    let afterFirst = rows(trainer)
    for row in [1, 3] { XCTAssertNotEqual(afterFirst[row], start[row], "batch row \(row) moves") }
    for row in [0, 2, 4] {
      XCTAssertEqual(afterFirst[row], start[row], "row \(row) has no gradient and no momentum yet")
    }

    // Rows 1 and 3 are outside the next batch but keep moving on their momentum.
    _ = try trainer.trainStep([0])
    let afterSecond = rows(trainer)
    XCTAssertNotEqual(afterSecond[0], afterFirst[0])
    XCTAssertNotEqual(afterSecond[1], afterFirst[1], "dense Adam updates rows outside the batch")
    XCTAssertNotEqual(afterSecond[3], afterFirst[3], "dense Adam updates rows outside the batch")
    XCTAssertEqual(afterSecond[2], start[2])
    XCTAssertEqual(afterSecond[4], start[4])
  }

  func testTrainedDecoderMatchesSavedModel() throws {
    let dataset = TrainingDataset(images: syntheticImages(4), width: 8, height: 8)
    let trainer = try Trainer(options: smallOptions(batch: 2, epochs: 3), dataset: dataset)
    _ = try run(trainer)
    let model = try trainer.makeModel()
    let path = folder + "/trained.safetensors"
    try model.write(to: path)
    let loaded = try FaceModel.load(path: path)
    // The decoder used during training must decode with its final weights, as the file does.
    XCTAssertEqual(
      model.decoder.decode(model.latents, batch: 4), loaded.decoder.decode(loaded.latents, batch: 4))
    XCTAssertEqual(
      TrainingReport.meanPSNR(model: model, dataset: dataset),
      TrainingReport.meanPSNR(model: loaded, dataset: dataset))
  }

  func testEveryImageTrainsEveryEpochWithPartialBatch() throws {
    let dataset = TrainingDataset(images: syntheticImages(7), width: 8, height: 8)
    let trainer = try Trainer(options: smallOptions(batch: 3, epochs: 2), dataset: dataset)
    XCTAssertEqual(trainer.stepsPerEpoch, 3)
    XCTAssertEqual(try run(trainer), .finished)
    XCTAssertEqual(trainer.batchesPerImage, [Int32](repeating: 2, count: 7))
    XCTAssertEqual(trainer.order(ofEpoch: 0).sorted(), Array(0..<7))
    XCTAssertNotEqual(trainer.order(ofEpoch: 0), trainer.order(ofEpoch: 1))
  }

  func testLearningRateDecaysOverFinalEpochs() throws {
    var options = smallOptions(epochs: 10)
    options.decayEpochs = 4
    let trainer = try Trainer(options: options, dataset: TrainingDataset(images: syntheticImages(2), width: 8, height: 8))
    XCTAssertEqual(trainer.learningRateFactor(epoch: 5), 1)
    XCTAssertEqual(trainer.learningRateFactor(epoch: 6), pow(0.1, 0.25), accuracy: 1e-6)
    XCTAssertEqual(trainer.learningRateFactor(epoch: 9), 0.1, accuracy: 1e-6)
  }

  func testNaNLossStopsTraining() throws {
    let dataset = TrainingDataset(images: syntheticImages(4), width: 8, height: 8)
    let trainer = try Trainer(options: smallOptions(), dataset: dataset)
    trainer.latents[0] = .nan
    let weights = trainer.decoder.namedTensors().map { $0.values }
    XCTAssertThrowsError(try run(trainer)) { error in
      XCTAssertTrue("\(error)".contains("loss became NaN"), "\(error)")
    }
    XCTAssertEqual(trainer.decoder.namedTensors().map { $0.values }, weights, "no update after NaN")
    XCTAssertThrowsError(try trainer.makeModel(), "NaN latents must not become a model")
  }

  func testResumedRunMatchesUninterruptedRun() throws {
    let dataset = TrainingDataset(images: syntheticImages(5), width: 8, height: 8)
    var options = smallOptions(batch: 2, epochs: 3)
    options.decayEpochs = 2
    let straight = try Trainer(options: options, dataset: dataset)
    XCTAssertEqual(try run(straight), .finished)

    // Stop after four steps (mid-epoch), write a checkpoint, resume from the file.
    let path = folder + "/run.checkpoint"
    let first = try Trainer(options: options, dataset: dataset)
    var steps = 0
    let outcome = try first.run(
      progress: { _ in steps += 1 }, checkpoint: { try first.writeCheckpoint(to: path) },
      shouldStop: { steps >= 4 })
    XCTAssertEqual(outcome, .interrupted)
    XCTAssertEqual(first.epoch, 1)
    XCTAssertEqual(first.step, 1)
    let resumed = try Trainer(resumingFrom: path, dataset: dataset)
    let storedSeconds = resumed.trainingSeconds
    XCTAssertGreaterThan(storedSeconds, 0, "the checkpoint keeps the first part's time")
    XCTAssertEqual(try run(resumed), .finished)
    XCTAssertEqual(resumed.latents, straight.latents)
    XCTAssertEqual(
      resumed.decoder.namedTensors().map { $0.values }, straight.decoder.namedTensors().map { $0.values })
    XCTAssertEqual(resumed.lossHistory, straight.lossHistory)
    XCTAssertGreaterThan(
      resumed.trainingSeconds, storedSeconds, "resumed time adds to the first part's")
  }

  func testCheckpointWithNaNWeightsIsNotWritten() throws {
    let dataset = TrainingDataset(images: syntheticImages(3), width: 8, height: 8)
    let trainer = try Trainer(options: smallOptions(), dataset: dataset)
    let path = folder + "/nan.checkpoint"
    trainer.decoder.parameters[0].value[0] = .nan
    XCTAssertThrowsError(try trainer.writeCheckpoint(to: path)) { error in
      XCTAssertTrue("\(error)".contains("contains NaN, so no checkpoint is written"), "\(error)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: path))
  }

  func testCheckpointForOtherPhotosIsRejected() throws {
    let path = folder + "/run.checkpoint"
    let trainer = try Trainer(options: smallOptions(), dataset: TrainingDataset(images: syntheticImages(5), width: 8, height: 8))
    try trainer.writeCheckpoint(to: path)
    let other = TrainingDataset(images: syntheticImages(6), width: 8, height: 8)
    XCTAssertThrowsError(try Trainer(resumingFrom: path, dataset: other)) { error in
      XCTAssertTrue("\(error)".contains("made for 5 training images"), "\(error)")
    }
  }

  func testFewerPhotosThanLatentDimensions() throws {
    var options = smallOptions(batch: 2, epochs: 2)
    options.architecture = .square(size: 8, latentSize: 10, width: 32)
    let trainer = try Trainer(options: options, dataset: TrainingDataset(images: syntheticImages(3), width: 8, height: 8))
    _ = try run(trainer)
    let model = try trainer.makeModel()
    XCTAssertEqual(model.pca.spannedAxisCount, 2)
  }

  func testFolderLoadingSkipsBadFilesAndSortsPaths() throws {
    let images = syntheticImages(3, size: 12)
    try FileManager.default.createDirectory(atPath: folder + "/b", withIntermediateDirectories: true)
    try ImageIO.writePNG(images[0], to: folder + "/b/z.png")
    try ImageIO.writePNG(images[1], to: folder + "/a.png")
    try ImageIO.writePNG(images[2], to: folder + "/b/c.PNG")
    XCTAssertTrue(
      FileManager.default.createFile(atPath: folder + "/broken.jpg", contents: Data([0xFF, 0xD8, 0xFF])))
    XCTAssertTrue(
      FileManager.default.createFile(atPath: folder + "/notes.txt", contents: Data("x".utf8)))
    let dataset = try TrainingDataset.load(folder: folder, width: 8, height: 8)
    XCTAssertEqual(dataset.paths.map { ($0 as NSString).lastPathComponent }, ["a.png", "c.PNG", "z.png"])
    XCTAssertEqual(dataset.skipped.count, 1)
    XCTAssertTrue(dataset.skipped[0].path.hasSuffix("broken.jpg"))
  }

  func testFolderOfUnreadableFilesNamesOne() throws {
    XCTAssertTrue(
      FileManager.default.createFile(atPath: folder + "/fake.png", contents: Data("text".utf8)))
    XCTAssertThrowsError(try TrainingDataset.load(folder: folder, width: 8, height: 8)) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains("none of the 1 files"), message)
      XCTAssertTrue(message.contains("fake.png"), message)
    }
  }

  func testLossCurveDrawsTitleAndLine() {
    let image = TrainingReport.lossCurve([0.05, 0.02, 0.01])
    XCTAssertEqual(image.width, 480)
    XCTAssertEqual(image.height, 240)
    func isDark(_ x: Int, _ y: Int) -> Bool { image.pixels[(y * 480 + x) * 3] < 128 }
    let titleInk = (8..<20).contains { y in (8..<300).contains { x in isDark(x, y) } }
    XCTAssertTrue(titleInk, "the title must be drawn above the plot")
    // The first epoch is the highest loss: top left of the plot; the last is bottom right.
    let blue = { (x: Int, y: Int) -> Bool in
      let i = (y * 480 + x) * 3
      return image.pixels[i + 2] > 150 && image.pixels[i] < 100
    }
    XCTAssertTrue((24..<40).contains { blue(10, $0) }, "line starts near the top")
    XCTAssertTrue((200..<236).contains { blue(469, $0) }, "line ends near the bottom")
  }

  func testMissingAndEmptyFoldersAreClearErrors() throws {
    XCTAssertThrowsError(try TrainingDataset.load(folder: folder + "/nope", width: 8, height: 8)) {
      XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
    }
    XCTAssertThrowsError(try TrainingDataset.load(folder: folder, width: 8, height: 8)) {
      XCTAssertTrue("\($0)".contains("no PNG or JPEG photos found"), "\($0)")
    }
  }
}
