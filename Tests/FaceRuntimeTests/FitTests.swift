import Foundation
import XCTest

@testable import FaceRuntime

/// A small model trained once for every fitting test: 16 synthetic 8×8 photos, 6 latent
/// dimensions.
enum FitFixture {
  static let photos: [RGBImage] = (0..<16).map { index in
    var image = RGBImage(width: 8, height: 8)
    for y in 0..<8 {
      for x in 0..<8 {
        let i = (y * 8 + x) * 3
        let inSquare = abs(x - index % 8) < 2 && abs(y - (index * 3) % 8) < 2
        image.pixels[i] = UInt8((x * 255) / 8)
        image.pixels[i + 1] = inSquare ? 240 : UInt8((y * 200) / 8)
        image.pixels[i + 2] = UInt8((index * 37) % 256)
      }
    }
    return image
  }

  static let model: FaceModel = {
    var options = TrainingOptions(architecture: .square(size: 8, latentSize: 6, width: 32))
    options.batchSize = 4
    options.epochs = 250
    options.latentLearningRate = 0.05
    options.decoderLearningRate = 0.01
    let dataset = TrainingDataset(images: photos, width: 8, height: 8)
    let trainer = try! Trainer(options: options, dataset: dataset)
    _ = try! trainer.run(progress: { _ in }, checkpoint: {}, shouldStop: { false })
    return try! trainer.makeModel()
  }()
}

final class FitTests: XCTestCase {
  var model: FaceModel { FitFixture.model }

  func testSelfDecodedFacesFitToThirtyDecibels() throws {
    let fitter = try FaceFitter(model: model)
    for seed in [UInt64(3), 11, 29] {
      // Faces inside the region of the 16 training faces, where fits are confined.
      let latent = model.pca.randomLatent(seed: seed, truncation: 0.5)
      XCTAssertFalse(fitter.trainingFaces.typicality(of: latent).isOutside, "face \(seed)")
      let image = model.decode(latent)
      // Only the mean face as a start, so the gradient steps must do the work.
      let result = try fitter.fit(
        photo: image, options: FitOptions(steps: 300, candidates: 0))
      print("self-decoded face \(seed): start \(result.startPSNR) dB, fitted \(result.psnr) dB")
      XCTAssertNil(result.startIndex)
      XCTAssertGreaterThan(result.psnr, result.startPSNR + 10, "the steps improve on the start")
      XCTAssertGreaterThanOrEqual(result.psnr, 30, "face \(seed)")
    }
  }

  func testTrainingPhotosFitWithinOneDecibel() throws {
    let fitter = try FaceFitter(model: model)
    // Candidates 0, 5 and 10 (of 16) are the only training starts; the others must be found.
    for index in [2, 7, 13] {
      let photo = FitFixture.photos[index]
      let trained = fitter.psnr(of: model.trainingLatent(at: index), against: photo)
      let result = try fitter.fit(photo: photo, options: FitOptions(steps: 300, candidates: 3))
      print("training photo \(index): trained \(trained) dB, fitted \(result.psnr) dB")
      XCTAssertNotEqual(result.startIndex, index)
      XCTAssertGreaterThanOrEqual(result.psnr, trained - 1, "photo \(index)")
    }
  }

  func testFittingIsDeterministic() throws {
    let photo = FitFixture.photos[5]
    let first = try FaceFitter(model: model).fit(photo: photo, options: FitOptions(steps: 40))
    let second = try FaceFitter(model: model).fit(photo: photo, options: FitOptions(steps: 40))
    XCTAssertEqual(first.latent, second.latent)
  }

  func testLargerPhotosAreFramedLikeTrainingPhotos() throws {
    // A 24×16 photo is cropped to its centre 16×16 and shrunk to 8×8.
    let small = FitFixture.photos[4]
    var large = RGBImage(width: 24, height: 16, fill: (255, 0, 255))
    for y in 0..<16 {
      for x in 0..<16 {
        let source = ((y / 2) * 8 + x / 2) * 3
        let target = (y * 24 + x + 4) * 3
        for c in 0..<3 { large.pixels[target + c] = small.pixels[source + c] }
      }
    }
    XCTAssertEqual(FaceFitter.frame(large, for: model), small)
  }

  func testPriorPullsTowardsTypicalFaces() throws {
    let fitter = try FaceFitter(model: model)
    let faces = TrainingFaces(model: model)
    var odd = FitFixture.photos[9]
    for i in stride(from: 0, to: odd.pixels.count, by: 3) { odd.pixels[i] = 255 - odd.pixels[i] }
    let free = try fitter.fit(
      photo: odd, options: FitOptions(steps: 150, priorWeight: 0, staysTypical: false))
    let held = try fitter.fit(
      photo: odd, options: FitOptions(steps: 150, priorWeight: 0.5, staysTypical: false))
    let freeDistance = faces.typicality(of: free.latent).distance
    let heldDistance = faces.typicality(of: held.latent).distance
    XCTAssertLessThan(heldDistance, freeDistance * 0.8, "\(heldDistance) vs \(freeDistance)")
  }

  func testFitsStayInsideTheTrainingFaces() throws {
    let fitter = try FaceFitter(model: model)
    // A picture unlike any training photo pulls an unconfined search far out.
    var odd = RGBImage(width: 8, height: 8)
    for i in 0..<odd.pixels.count { odd.pixels[i] = i % 7 == 0 ? 255 : 0 }
    let free = try fitter.fit(
      photo: odd, options: FitOptions(steps: 200, priorWeight: 0, staysTypical: false))
    XCTAssertTrue(
      fitter.trainingFaces.typicality(of: free.latent).isOutside,
      "the unconfined fit should leave the region, or this test checks nothing")
    let confined = try fitter.fit(photo: odd, options: FitOptions(steps: 200, priorWeight: 0))
    let typicality = fitter.trainingFaces.typicality(of: confined.latent)
    XCTAssertFalse(typicality.isOutside, "excesses \(typicality.excesses.map(\.axis))")
    XCTAssertLessThanOrEqual(typicality.distance, typicality.trainingMaximum + 1e-3)
  }

  func testProgressReportsEveryStepAndCanStop() throws {
    let fitter = try FaceFitter(model: model)
    var steps: [Int] = []
    _ = try fitter.fit(photo: FitFixture.photos[1], options: FitOptions(steps: 12)) {
      steps.append($0.step)
      return true
    }
    XCTAssertEqual(steps, Array(1...12))
    var calls = 0
    XCTAssertThrowsError(
      try fitter.fit(photo: FitFixture.photos[1], options: FitOptions(steps: 50)) { _ in
        calls += 1
        return calls < 5
      }
    ) { XCTAssertTrue($0 is FitCancelled) }
    XCTAssertEqual(calls, 5)
  }

  func testBadOptionsAreErrors() throws {
    let fitter = try FaceFitter(model: model)
    for options in [
      FitOptions(steps: -1), FitOptions(starts: 0), FitOptions(priorWeight: -1),
      FitOptions(priorWeight: .nan), FitOptions(learningRate: 0),
    ] {
      XCTAssertThrowsError(try fitter.fit(photo: FitFixture.photos[0], options: options)) {
        XCTAssertTrue($0 is FitError, "\($0)")
      }
    }
  }

  func testZeroStepsReturnsTheBestStart() throws {
    let fitter = try FaceFitter(model: model)
    let result = try fitter.fit(photo: FitFixture.photos[6], options: FitOptions(steps: 0))
    // Every training face is a candidate, so the photo's own vector is the best start.
    XCTAssertEqual(result.startIndex, 6)
    XCTAssertEqual(result.psnr, result.startPSNR, accuracy: 0.5)
  }
}

final class TrainingFacesTests: XCTestCase {
  var model: FaceModel { FitFixture.model }

  func testNearestFindsTheTrainingFaceItself() {
    let faces = TrainingFaces(model: model)
    for index in [0, 7, 15] {
      let found = faces.nearest(to: model.trainingLatent(at: index), count: 3)
      XCTAssertEqual(found.count, 3)
      XCTAssertEqual(found[0].index, index)
      XCTAssertEqual(found[0].distance, 0)
      XCTAssertLessThanOrEqual(found[1].distance, found[2].distance)
      XCTAssertEqual(
        found[1].distance,
        faces.distance(model.trainingLatent(at: index), model.trainingLatent(at: found[1].index)))
    }
    XCTAssertEqual(faces.nearest(to: model.pca.mean, count: 100).count, 16)
    XCTAssertEqual(faces.nearest(to: model.pca.mean, count: 0).count, 0)
  }

  func testDistanceIsMahalanobis() {
    let faces = TrainingFaces(model: model)
    // 3σ along pc1 and 4σ along pc2 is 5σ from the mean.
    var projections = [Float](repeating: 0, count: 6)
    projections[0] = 3 * model.pca.sigma[0]
    projections[1] = 4 * model.pca.sigma[1]
    let latent = model.pca.latent(fromProjections: projections)
    XCTAssertEqual(faces.typicality(of: latent).distance, 5, accuracy: 1e-3)
    XCTAssertEqual(faces.distance(latent, model.pca.mean), 5, accuracy: 1e-3)
    XCTAssertEqual(faces.typicality(of: model.pca.mean).distance, 0, accuracy: 1e-5)
  }

  /// Latents near the largest Float have projections beyond Float's range; the distance
  /// must still be a finite number, not infinity minus infinity.
  func testDistanceOfHugeLatentIsFinite() {
    let faces = TrainingFaces(model: model)
    // Far along pc1, each value under Float's largest but the projection above it.
    let axis = model.pca.axes[0]
    let scale = 3.3e38 / Double(axis.map { abs($0) }.max()!)
    let huge = zip(model.pca.mean, axis).map { Float(Double($0) + scale * Double($1)) }
    XCTAssertTrue(huge.allSatisfy { $0.isFinite })
    XCTAssertTrue(model.pca.projections(of: huge).contains { $0.isInfinite })

    let distance = faces.distance(huge, model.pca.mean)
    XCTAssertTrue(distance.isFinite, "distance \(distance)")
    XCTAssertGreaterThan(distance, 1e38)
    let typicality = faces.typicality(of: huge)
    XCTAssertTrue(typicality.distance.isFinite, "typicality distance \(typicality.distance)")
    XCTAssertTrue(typicality.isOutside)
  }

  func testTypicalityMarksFacesBeyondTheTrainingFaces() {
    let faces = TrainingFaces(model: model)
    let mean = faces.typicality(of: model.pca.mean)
    XCTAssertFalse(mean.isOutside)
    XCTAssertEqual(mean.percentile, 0)
    for index in 0..<model.trainingFaceCount {
      XCTAssertFalse(
        faces.typicality(of: model.trainingLatent(at: index)).isOutside, "training face \(index)")
    }
    var projections = [Float](repeating: 0, count: 6)
    projections[2] = 40 * model.pca.sigma[2]
    let far = faces.typicality(of: model.pca.latent(fromProjections: projections))
    XCTAssertTrue(far.isOutside)
    XCTAssertEqual(far.excesses.map(\.axis), [2])
    XCTAssertEqual(far.excesses[0].value, 40, accuracy: 1e-3)
    XCTAssertEqual(far.percentile, 1)
    XCTAssertGreaterThan(far.distance, far.trainingMaximum)

    var broken = model.pca.mean
    broken[1] = .nan
    XCTAssertTrue(faces.typicality(of: broken).isOutside, "a NaN face is not typical")
  }

  func testModelWithoutTrainingFacesIsUnconfined() throws {
    let decoder = FitFixture.model.decoder
    let dimension = FitFixture.model.latentSize
    let axes = (0..<dimension).map { k in (0..<dimension).map { Float($0 == k ? 1 : 0) } }
    let pca = PCABasis(
      mean: [Float](repeating: 0, count: dimension), axes: axes,
      sigma: [Float](repeating: 1, count: dimension))
    let empty = FaceModel(decoder: decoder, latents: [], pca: pca)
    let faces = TrainingFaces(model: empty)
    var far = [Float](repeating: 0, count: dimension)
    far[0] = 50
    XCTAssertFalse(faces.typicality(of: far).isOutside)
    XCTAssertEqual(faces.typicality(of: far).distance, 50, accuracy: 1e-4)
    XCTAssertTrue(faces.nearest(to: far, count: 3).isEmpty)
    far[1] = .infinity
    XCTAssertTrue(faces.typicality(of: far).isOutside)
    // Fitting still works, from the mean face alone.
    let result = try FaceFitter(model: empty).fit(
      photo: FitFixture.photos[0], options: FitOptions(steps: 20))
    XCTAssertNil(result.startIndex)
  }
}
