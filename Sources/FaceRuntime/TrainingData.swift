import Foundation

/// An error about the photos a model is trained or evaluated on.
public struct TrainingDataError: Error, CustomStringConvertible {
  public let message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}

/// Training photos, centre-cropped and downscaled to the model's image size, in memory.
public struct TrainingDataset: Sendable {
  public let width: Int
  public let height: Int
  /// Paths of the photos that loaded, in sorted order; row i of the latent table is photo i.
  public let paths: [String]
  /// Files that could not be read, with the reason.
  public let skipped: [(path: String, reason: String)]
  /// (N, 3, height, width) samples as bytes; converted to [0, 1] floats per batch.
  let samples: [UInt8]
  /// Whether each photo is also used mirrored, as a second training image after all others.
  public let mirrored: Bool

  /// Number of training images (twice the photos when mirrored).
  public var count: Int { mirrored ? paths.count * 2 : paths.count }

  /// File extensions read as photos.
  public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

  /// Lists photo files under `folder`, recursively, sorted by path.
  public static func listPhotos(in folder: String) throws -> [String] {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
      throw TrainingDataError(message: "photo folder '\(folder)' does not exist")
    }
    guard isFolder.boolValue else {
      throw TrainingDataError(message: "'\(folder)' is a file; give the folder that contains the photos")
    }
    guard let enumerator = FileManager.default.enumerator(atPath: folder) else {
      throw TrainingDataError(message: "cannot list the folder '\(folder)'")
    }
    var paths: [String] = []
    while let relative = enumerator.nextObject() as? String {
      let ext = (relative as NSString).pathExtension.lowercased()
      if extensions.contains(ext) { paths.append((folder as NSString).appendingPathComponent(relative)) }
    }
    paths.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    return paths
  }

  /// Loads every photo under `folder`, centre-cropped to the aspect ratio and area-downscaled
  /// to `width`×`height`. Unreadable files are skipped and listed in `skipped`.
  ///
  /// - Parameter limit: read only the first `limit` photos in sorted order, when given.
  /// - Throws: `TrainingDataError` when the folder is missing or no photo loads.
  public static func load(
    folder: String, width: Int, height: Int, mirrored: Bool = false, limit: Int? = nil,
    progress: ((Int, Int) -> Void)? = nil
  ) throws -> TrainingDataset {
    var paths = try listPhotos(in: folder)
    if let limit { paths = Array(paths.prefix(limit)) }
    guard !paths.isEmpty else {
      throw TrainingDataError(
        message: "no PNG or JPEG photos found under '\(folder)'; give a folder that contains "
          + ".png, .jpg or .jpeg files")
    }
    let size = 3 * width * height
    var buffer = [UInt8](repeating: 0, count: paths.count * size)
    var failures = [String?](repeating: nil, count: paths.count)
    let lock = NSLock()
    var done = 0
    buffer.withUnsafeMutableBufferPointer { target in
      failures.withUnsafeMutableBufferPointer { failureSlots in
        let base = target.baseAddress!
        let slots = failureSlots.baseAddress!
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
          do {
            let image = try ImageIO.read(path: paths[index])
            let cropped = ImageOps.centerCrop(image, aspect: Double(width) / Double(height))
            let scaled = ImageOps.resizeArea(cropped, width: width, height: height)
            let plane = width * height
            let destination = base + index * size
            for i in 0..<plane {
              for c in 0..<3 { destination[c * plane + i] = scaled.pixels[i * 3 + c] }
            }
          } catch {
            slots[index] = "\(error)"
          }
          lock.lock()
          done += 1
          let current = done
          lock.unlock()
          if current % 500 == 0 || current == paths.count { progress?(current, paths.count) }
        }
      }
    }
    var kept: [String] = []
    var samples: [UInt8] = []
    var skipped: [(String, String)] = []
    samples.reserveCapacity(buffer.count)
    for (index, path) in paths.enumerated() {
      if let failure = failures[index] {
        skipped.append((path, failure))
      } else {
        kept.append(path)
        samples.append(contentsOf: buffer[(index * size)..<((index + 1) * size)])
      }
    }
    guard !kept.isEmpty else {
      // The first failure names its file and reason (ImageIO's messages do both).
      let first = skipped.first.map { "; the first: \($0.1)" } ?? ""
      throw TrainingDataError(
        message: "none of the \(paths.count) files under '\(folder)' could be read as an "
          + "image\(first)")
    }
    return TrainingDataset(
      width: width, height: height, paths: kept, skipped: skipped, samples: samples,
      mirrored: mirrored)
  }

  /// Creates a dataset from images already in memory (each must be `width`×`height`).
  public init(images: [RGBImage], width: Int, height: Int, mirrored: Bool = false) {
    self.width = width
    self.height = height
    self.mirrored = mirrored
    self.paths = images.indices.map { "image-\($0)" }
    self.skipped = []
    var samples: [UInt8] = []
    let plane = width * height
    for image in images {
      precondition(image.width == width && image.height == height, "image size mismatch")
      for c in 0..<3 {
        for i in 0..<plane { samples.append(image.pixels[i * 3 + c]) }
      }
    }
    self.samples = samples
  }

  private init(
    width: Int, height: Int, paths: [String], skipped: [(String, String)], samples: [UInt8],
    mirrored: Bool
  ) {
    self.width = width
    self.height = height
    self.paths = paths
    self.skipped = skipped
    self.samples = samples
    self.mirrored = mirrored
  }

  /// Writes training image `index` as floats in [0, 1], shape (3, height, width).
  func write(_ index: Int, into target: UnsafeMutablePointer<Float>) {
    let size = 3 * width * height
    let photo = index % paths.count
    let flip = index >= paths.count
    samples.withUnsafeBufferPointer { source in
      let start = source.baseAddress! + photo * size
      if !flip {
        for i in 0..<size { target[i] = Float(start[i]) * (1 / 255) }
        return
      }
      for row in 0..<(3 * height) {
        let from = start + row * width
        let to = target + row * width
        for x in 0..<width { to[x] = Float(from[width - 1 - x]) * (1 / 255) }
      }
    }
  }

  /// Returns training image `index` as an RGB image.
  public func image(at index: Int) -> RGBImage {
    var planar = [Float](repeating: 0, count: 3 * width * height)
    planar.withUnsafeMutableBufferPointer { write(index, into: $0.baseAddress!) }
    return planar.withUnsafeBufferPointer { RGBImage(planar: $0, width: width, height: height) }
  }
}
