import FaceRuntime
import Foundation

extension Builtins {
  /// The largest count `nearest` returns.
  static let maximumNeighbours = 1000
  /// The maximum number of gradient steps of one `fit`.
  static let maximumFitSteps = 100_000

  /// Fitting photos, nearest training faces and typicality.
  static func photos() -> [Builtin] {
    [
      Builtin("fit(path, steps)", arity: 1...2) { machine, arguments in
        try fit(arguments, machine: machine)
      },
      Builtin("psnr(face, path)", arity: 2...2) { machine, arguments in
        var face = try arguments.face(0, "face")
        let path = try inputPath(arguments, 1, machine: machine)
        let photo = try readPhoto(path).image
        face.cacheLatent()
        return .number(try machine.fitter().psnr(of: face.latent, against: photo))
      },
      Builtin("nearest(face, count)", arity: 1...2) { machine, arguments in
        var face = try arguments.face(0, "face")
        let available = machine.model.trainingFaceCount
        guard available > 0 else { throw ScriptError("this model has no training faces") }
        let count =
          arguments.count == 2
          ? try arguments.wholeNumber(1, "count", in: 1...maximumNeighbours) : 5
        face.cacheLatent()
        let found = machine.trainingFaces.nearest(to: face.latent, count: count)
        return .list(
          found.map { neighbour in
            .list([
              .face(machine.face(latent: machine.model.trainingLatent(at: neighbour.index))),
              .number(Double(neighbour.index)), .number(neighbour.distance),
            ])
          })
      },
      Builtin("distance(a, b)", arity: 1...2) { machine, arguments in
        var a = try arguments.face(0, "a")
        a.cacheLatent()
        if arguments.count == 1 {
          return .number(machine.trainingFaces.typicality(of: a.latent).distance)
        }
        var b = try arguments.face(1, "b")
        b.cacheLatent()
        return .number(machine.trainingFaces.distance(a.latent, b.latent))
      },
      Builtin("typical(face)", arity: 1...1) { machine, arguments in
        var face = try arguments.face(0, "face")
        face.cacheLatent()
        return .bool(!machine.trainingFaces.typicality(of: face.latent).isOutside)
      },
    ]
  }

  /// Runs `fit(path, steps)`: restores a face from a PNG this model saved, or fits the
  /// photo's pixels.
  static func fit(_ arguments: Arguments, machine: Machine) throws -> Value {
    let path = try inputPath(arguments, 0, machine: machine)
    var options = FitOptions()
    if arguments.count == 2 {
      options.steps = try arguments.wholeNumber(1, "steps", in: 0...maximumFitSteps)
    }
    let (photo, text) = try readPhoto(path)
    let shown = ShownPath.display(path)

    // A PNG that facesh saved with this model carries the exact latent vector.
    let chunks = Dictionary(text, uniquingKeysWith: { first, _ in first })
    if let latentText = chunks["facesh:latent"] {
      let hash = chunks["facesh:model-hash"]
      if hash == machine.model.contentHash {
        if let latent = parseLatent(latentText, dimension: machine.model.latentSize) {
          return .face(machine.face(latent: latent))
        }
        machine.sink.warning(
          "the latent vector in '\(shown)' cannot be read; fitting its pixels instead")
      } else {
        machine.sink.warning(
          "'\(shown)' was saved with another model (hash \(hash ?? "missing"), this model's is "
            + "\(machine.model.contentHash)); fitting its pixels instead, which gives a "
            + "similar face, not the same one")
      }
    }

    let task = "fit '\(shown)'"
    let start = DispatchTime.now().uptimeNanoseconds
    let result: FitResult
    do {
      result = try machine.fitter().fit(photo: photo, options: options) { report in
        machine.sink.progress(
          TaskProgress(
            task: task, done: report.step, total: report.steps,
            detail: String(format: "%.1f dB", report.psnr), finished: false))
        return !machine.cancelFlag.isRaised
      }
    } catch is FitCancelled {
      machine.sink.progress(
        TaskProgress(
          task: task, done: 0, total: options.steps, detail: "stopped", finished: true))
      throw ScriptError.cancelled
    } catch let error as FitError {
      throw ScriptError("\(arguments.signature): \(error.message)")
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    machine.sink.progress(
      TaskProgress(
        task: task, done: options.steps, total: options.steps,
        detail: String(format: "%.2f dB PSNR in %.1f s", result.psnr, seconds), finished: true))
    return .face(machine.face(latent: result.latent))
  }

  /// Reads an image with its PNG text chunks, turning file errors into script errors.
  static func readPhoto(_ path: String) throws -> (
    image: RGBImage, text: [(key: String, value: String)]
  ) {
    do {
      return try PNGText.readImage(path: path)
    } catch let error as ImageFileError {
      throw ScriptError("\(error.description); give the path of a PNG or JPEG photo")
    }
  }

  /// Resolves a path to read through the input folder, if the host set one.
  static func inputPath(_ arguments: Arguments, _ index: Int, machine: Machine) throws -> String {
    let path = try arguments.string(index, "path")
    guard !path.isEmpty else {
      throw ScriptError(
        "'path' in \(arguments.signature) is empty; give a photo such as 'me.jpg'")
    }
    return try machine.input.resolve(path)
  }

  /// Reads the comma-separated latent vector that `save` writes; nil unless it has exactly
  /// `dimension` numbers.
  static func parseLatent(_ text: String, dimension: Int) -> [Float]? {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    guard parts.count == dimension else { return nil }
    var latent: [Float] = []
    latent.reserveCapacity(dimension)
    for part in parts {
      guard let value = Float(part.trimmingCharacters(in: .whitespaces)) else { return nil }
      latent.append(value)
    }
    return latent
  }
}

/// Paths as messages show them.
enum ShownPath {
  /// Shortens a path inside the current directory to a relative one.
  static func display(_ path: String) -> String {
    let current = FileManager.default.currentDirectoryPath + "/"
    return path.hasPrefix(current) ? String(path.dropFirst(current.count)) : path
  }
}
