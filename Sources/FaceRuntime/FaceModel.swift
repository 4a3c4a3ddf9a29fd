import Foundation

/// A face model: a decoder, the latent vector of every training image, and the PCA basis of
/// those vectors. One `.safetensors` file contains all of it; `docs/MODEL_FORMAT.md` gives the
/// layout.
public final class FaceModel: @unchecked Sendable {
  /// Metadata value of `format` that marks a facesh model.
  public static let formatName = "facesh-model"
  /// Highest `format_version` this build reads.
  public static let formatVersion = 1

  public let decoder: Decoder
  /// (N, D) training latents, row by row.
  public let latents: [Float]
  public let pca: PCABasis
  /// The file the model was loaded from, or nil for a model built in memory.
  public let path: String?
  /// Extra metadata carried through from the file (for example training details).
  public let metadata: [String: String]
  /// Hex digest identifying the model's contents: FNV-1a 64 over the model file's bytes, or
  /// over the bytes it would be written as. Computed on first use, so loading stays fast.
  public var contentHash: String {
    hashLock.lock()
    defer { hashLock.unlock() }
    if let cachedHash { return cachedHash }
    let bytes: [UInt8]
    if let path, let data = FileManager.default.contents(atPath: path) {
      bytes = [UInt8](data)
    } else {
      bytes = SafetensorsWriter.bytesFor(
        decoder: decoder, latents: latents, pca: pca, metadata: metadata)
    }
    cachedHash = FaceModel.digest(bytes)
    return cachedHash!
  }
  private var cachedHash: String?
  private let hashLock = NSLock()

  /// Creates a model from its parts.
  public init(
    decoder: Decoder, latents: [Float], pca: PCABasis, metadata: [String: String] = [:],
    path: String? = nil, contentHash: String? = nil
  ) {
    precondition(latents.count % decoder.architecture.latentSize == 0)
    precondition(pca.dimension == decoder.architecture.latentSize)
    self.decoder = decoder
    self.latents = latents
    self.pca = pca
    self.metadata = metadata
    self.path = path
    self.cachedHash = contentHash
  }

  public var architecture: Architecture { decoder.architecture }
  public var latentSize: Int { decoder.architecture.latentSize }
  public var imageWidth: Int { decoder.outputShape.width }
  public var imageHeight: Int { decoder.outputShape.height }
  public var trainingFaceCount: Int { latents.count / latentSize }

  /// Returns the latent vector of training image `index` (0-based; the caller checks the range).
  public func trainingLatent(at index: Int) -> [Float] {
    precondition(index >= 0 && index < trainingFaceCount, "training face index out of range")
    return Array(latents[(index * latentSize)..<((index + 1) * latentSize)])
  }

  /// Decodes a batch of latent vectors into images. NaN decodes to black; values outside the
  /// output range are clamped.
  public func decode(_ batch: [[Float]]) -> [RGBImage] {
    guard !batch.isEmpty else { return [] }
    var flat = [Float]()
    flat.reserveCapacity(batch.count * latentSize)
    for latent in batch {
      precondition(latent.count == latentSize, "latent has \(latent.count) values, expected \(latentSize)")
      flat.append(contentsOf: latent)
    }
    let shape = decoder.outputShape
    let planes = decoder.decode(flat, batch: batch.count)
    let size = shape.count
    return (0..<batch.count).map { b in
      planes.withUnsafeBufferPointer { buffer in
        RGBImage(
          planar: UnsafeBufferPointer(rebasing: buffer[(b * size)..<((b + 1) * size)]),
          width: shape.width, height: shape.height)
      }
    }
  }

  /// Decodes one latent vector.
  public func decode(_ latent: [Float]) -> RGBImage { decode([latent])[0] }

  // MARK: Files

  /// Loads and validates a model file.
  ///
  /// - Throws: `ModelFileError` naming the file, and the tensor where one is at fault.
  public static func load(path: String) throws -> FaceModel {
    let file = try SafetensorsFile(path: path)
    guard file.metadata["format"] == formatName else {
      let found = file.metadata["format"].map { "format '\($0)'" } ?? "no 'format' metadata"
      throw ModelFileError(
        path: path,
        reason: "this safetensors file is not a facesh model (\(found)); create one with 'facesh train' or see docs/MODEL_FORMAT.md")
    }
    if let version = file.metadata["format_version"], let number = Int(version), number > formatVersion {
      throw ModelFileError(path: path, reason: "format_version \(number) is newer than this facesh reads (\(formatVersion)); update facesh")
    }
    guard let architectureText = file.metadata["architecture"] else {
      throw ModelFileError(path: path, reason: "the metadata has no 'architecture' entry")
    }
    let architecture: Architecture
    do {
      architecture = try Architecture.parse(json: architectureText)
      _ = try architecture.outputShape()
    } catch let error as ArchitectureError {
      throw ModelFileError(path: path, reason: "invalid architecture: \(error.message)")
    }
    let decoder: Decoder
    do {
      decoder = try Decoder(architecture: architecture) { name, shape in
        try file.floats(name, shape: shape)
      }
    } catch let error as ArchitectureError {
      throw ModelFileError(path: path, reason: "invalid architecture: \(error.message)")
    }
    let shape = decoder.outputShape
    if let height = file.metadata["image_height"], let width = file.metadata["image_width"],
      Int(height) != shape.height || Int(width) != shape.width
    {
      throw ModelFileError(
        path: path,
        reason: "metadata says the image is \(width)×\(height), but the architecture produces \(shape.width)×\(shape.height)")
    }
    let dimension = architecture.latentSize
    guard let latentInfo = file.tensors["latents"] else {
      throw ModelFileError(path: path, tensor: "latents", reason: "missing from the file")
    }
    guard latentInfo.shape.count == 2, latentInfo.shape[1] == dimension else {
      throw ModelFileError(
        path: path, tensor: "latents",
        reason: "has shape \(latentInfo.shape), but the architecture needs [N, \(dimension)]")
    }
    let latents = try file.floats("latents")
    let mean = try file.floats("pca.mean", shape: [dimension])
    let axesFlat = try file.floats("pca.axes", shape: [dimension, dimension])
    let sigma = try file.floats("pca.sigma", shape: [dimension])
    if let bad = sigma.firstIndex(where: { !($0 >= 0) || !$0.isFinite }) {
      throw ModelFileError(
        path: path, tensor: "pca.sigma", reason: "entry \(bad) is \(sigma[bad]); σ must be finite and ≥ 0")
    }
    let axes = (0..<dimension).map { Array(axesFlat[($0 * dimension)..<(($0 + 1) * dimension)]) }
    var metadata = file.metadata
    metadata["architecture"] = nil
    return FaceModel(
      decoder: decoder, latents: latents, pca: PCABasis(mean: mean, axes: axes, sigma: sigma),
      metadata: metadata, path: path)
  }

  /// Writes the model atomically (temporary file, then rename).
  public func write(to path: String) throws {
    try AtomicFile.write(
      SafetensorsWriter.bytesFor(decoder: decoder, latents: latents, pca: pca, metadata: metadata),
      to: path)
  }

  /// Creates a small model with random weights and random training latents, for tests and
  /// demonstrations: a linear layer and two transposed convolutions (or more for larger
  /// images), with a PCA basis fitted to the random latents.
  public static func makeRandom(
    latentSize: Int = 8, trainingFaces: Int = 20, imageWidth: Int = 16, imageHeight: Int = 16,
    seed: UInt64 = 1
  ) -> FaceModel {
    precondition(imageWidth % 4 == 0 && imageHeight % 4 == 0, "image size must be a multiple of 4")
    let architecture = Architecture(
      name: "random",
      latentSize: latentSize,
      layers: [
        .linear(inFeatures: latentSize, outFeatures: 16 * (imageHeight / 4) * (imageWidth / 4)),
        .reshape(channels: 16, height: imageHeight / 4, width: imageWidth / 4), .relu,
        .convTranspose2d(
          inChannels: 16, outChannels: 8, kernel: (4, 4), stride: (2, 2), padding: (1, 1)),
        .relu,
        .convTranspose2d(
          inChannels: 8, outChannels: 3, kernel: (4, 4), stride: (2, 2), padding: (1, 1)),
        .sigmoid,
      ])
    let decoder = try! Decoder(randomWeightsFor: architecture, seed: seed)
    var random = PortableRandom(seed: seed &+ 1)
    let latents = (0..<(trainingFaces * latentSize)).map { _ in Float(random.nextGaussian()) }
    let pca = try! PCABasis.fit(latents: latents, rows: trainingFaces, dimension: latentSize)
    return FaceModel(decoder: decoder, latents: latents, pca: pca)
  }

  // MARK: Hashing

  static func digest(_ bytes: [UInt8]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash &*= 0x100_0000_01b3
    }
    return String(format: "%016llx", hash)
  }
}

extension SafetensorsWriter {
  /// Encodes a complete model: metadata, decoder tensors, latents and PCA basis.
  static func bytesFor(
    decoder: Decoder, latents: [Float], pca: PCABasis, metadata: [String: String]
  ) -> [UInt8] {
    var writer = SafetensorsWriter()
    writer.metadata = metadata
    writer.metadata["format"] = FaceModel.formatName
    writer.metadata["format_version"] = String(FaceModel.formatVersion)
    writer.metadata["architecture"] = decoder.architecture.jsonText()
    writer.metadata["image_width"] = String(decoder.outputShape.width)
    writer.metadata["image_height"] = String(decoder.outputShape.height)
    for tensor in decoder.namedTensors() {
      writer.add(tensor.name, shape: tensor.shape, values: tensor.values)
    }
    let dimension = decoder.architecture.latentSize
    writer.add("latents", shape: [latents.count / dimension, dimension], values: latents)
    writer.add("pca.mean", shape: [dimension], values: pca.mean)
    writer.add("pca.axes", shape: [dimension, dimension], values: pca.axes.flatMap { $0 })
    writer.add("pca.sigma", shape: [dimension], values: pca.sigma)
    return writer.encode()
  }
}
