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
          try found.map { neighbour in
            let latent = machine.model.trainingLatent(at: neighbour.index)
            return .list([
              .face(try machine.face(latent: latent, from: "training(\(neighbour.index))")),
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

  /// The PSNR above which a PNG's pixels count as the decoding of its recorded latent
  /// vector. 8-bit rounding alone gives about 59 dB; an edited or replaced picture falls far
  /// below 40 dB.
  static let restoreThreshold = 40.0

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
    let task = "fit '\(shown)'"
    if let face = try restoredFace(photo: photo, text: text, shown: shown, machine: machine) {
      machine.sink.progress(
        TaskProgress(
          task: task, done: 0, total: 0, detail: "restored the face saved in it, exactly",
          finished: true))
      return .face(face)
    }
    let (width, height) = (machine.model.imageWidth, machine.model.imageHeight)
    let size = "\(photo.width)×\(photo.height)"
    var shortfall: String?
    if photo.width < width && photo.height < height {
      shortfall = "only \(size) pixels, smaller than the model's \(width)×\(height)"
    } else if photo.width < width {
      shortfall =
        "only \(photo.width) pixels wide (\(size)), less than the model's width of \(width)"
    } else if photo.height < height {
      shortfall =
        "only \(photo.height) pixels high (\(size)), less than the model's height of \(height)"
    }
    if let shortfall {
      machine.sink.warning(
        "'\(shown)' is \(shortfall); it is enlarged, so the fit matches a blurred picture")
    }

    let start = DispatchTime.now().uptimeNanoseconds
    var firstStep = start
    let result: FitResult
    do {
      result = try machine.fitter().fit(photo: photo, options: options) { report in
        // The time left is estimated from the steps after the first, because the first
        // also includes choosing the starting points.
        let now = DispatchTime.now().uptimeNanoseconds
        if report.step == 1 { firstStep = now }
        var detail = String(format: "%.1f dB", report.psnr)
        if report.step > 1 {
          let perStep = Double(now - firstStep) * 1e-9 / Double(report.step - 1)
          detail += ", " + Duration.text(perStep * Double(report.steps - report.step)) + " left"
        }
        machine.sink.progress(
          TaskProgress(
            task: task, done: report.step, total: report.steps, detail: detail,
            finished: false))
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
    return .face(try machine.face(latent: result.latent, from: arguments.signature))
  }

  /// Returns the face recorded in a PNG that facesh saved with this model, or nil when the
  /// picture must be fitted. Each recorded item that cannot be used gets a warning.
  static func restoredFace(
    photo: RGBImage, text: [(key: String, value: String)], shown: String, machine: Machine
  ) throws -> Face? {
    let chunks = Dictionary(text, uniquingKeysWith: { first, _ in first })
    guard let hash = chunks["facesh:model-hash"] else { return nil }
    let ours = machine.model.contentHash
    guard let latentText = chunks["facesh:latent"] else {
      if let count = chunks["facesh:sheet"] {
        machine.sink.warning(
          "'\(shown)' is a sheet of \(count) that facesh wrote; fitting the whole picture as "
            + "one face. Save the face you want with save(face, path) to load it exactly")
      } else {
        machine.sink.warning(
          "'\(shown)' was written by facesh but its facesh:latent chunk is missing or damaged; "
            + "fitting its pixels instead")
      }
      return nil
    }
    guard hash.lowercased() == ours.lowercased() else {
      machine.sink.warning(
        "'\(shown)' was saved with another model (hash \(hash), this model's is \(ours)); "
          + "fitting its pixels instead, which gives a similar face, not the same one")
      return nil
    }
    let latent: [Float]
    switch parseLatent(latentText, dimension: machine.model.latentSize) {
    case .failure(let problem):
      machine.sink.warning(
        "the latent vector in '\(shown)' cannot be used: \(problem.message); fitting its "
          + "pixels instead")
      return nil
    case .success(let values):
      latent = values
    }
    // A picture edited after saving keeps its text chunks in many editors; only pixels
    // that still show the recorded face count.
    let agreement = try machine.fitter().psnr(of: latent, against: photo)
    guard agreement >= restoreThreshold else {
      machine.sink.warning(
        String(
          format: "'%@' records a face, but its pixels differ from that face (%.1f dB); it was "
            + "edited after saving, so fitting its pixels instead", shown, agreement))
      return nil
    }
    return try machine.face(latent: latent, from: "the latent vector in '\(shown)'")
  }

  /// Reads an image with its PNG text chunks, turning file errors into script errors.
  static func readPhoto(_ path: String) throws -> (
    image: RGBImage, text: [(key: String, value: String)]
  ) {
    do {
      return try PNGText.readImage(path: path)
    } catch let error as ImageFileError {
      let advice = "give the path of a PNG or JPEG photo"
      if error.reason.contains("PNG or JPEG") { throw ScriptError(error.description) }
      if error.reason.hasPrefix("no such file"), !path.hasPrefix("/") {
        let folder = FileManager.default.currentDirectoryPath
        throw ScriptError("\(error.description) in \(folder); \(advice)")
      }
      throw ScriptError("\(error.description); \(advice)")
    }
  }

  /// Resolves a path to read.
  ///
  /// With an input folder, the path is relative to it and may not leave it. Without one, a
  /// leading `~/` is the home folder, and a relative path is relative to the current
  /// folder. When nothing is there but the output folder has a file by that name, that file
  /// is read, so that `fit` finds what `save` wrote a moment ago.
  static func inputPath(_ arguments: Arguments, _ index: Int, machine: Machine) throws -> String {
    var path = try arguments.string(index, "path")
    guard !path.isEmpty else {
      throw ScriptError(
        "'path' in \(arguments.signature) is empty; give a photo such as 'me.jpg'")
    }
    if machine.input.folder != nil { return try machine.input.resolve(path) }
    if path == "~" || path.hasPrefix("~/") {
      guard let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else {
        throw ScriptError(
          "cannot expand '~' in '\(path)': HOME is not set; write the full path")
      }
      path = home + path.dropFirst()
    }
    let resolved = try machine.input.resolve(path)
    if !path.hasPrefix("/"), !FileManager.default.fileExists(atPath: resolved),
      machine.output.folder != nil, let written = machine.output.resolveExisting(path)
    {
      return written
    }
    return resolved
  }

  /// A reason that a recorded latent vector cannot be used.
  struct LatentProblem: Error {
    let message: String
  }

  /// Reads the comma-separated latent vector that `save` writes: exactly `dimension` finite
  /// decimal numbers.
  static func parseLatent(_ text: String, dimension: Int) -> Result<[Float], LatentProblem> {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    if parts.count == 1 && Float(parts[0]) == nil {
      return .failure(LatentProblem(message: "it is not a comma-separated list of numbers"))
    }
    guard parts.count == dimension else {
      return .failure(
        LatentProblem(message: "it has \(parts.count) values and this model needs \(dimension)"))
    }
    var latent: [Float] = []
    latent.reserveCapacity(dimension)
    for (position, part) in parts.enumerated() {
      guard let value = Float(part), !part.lowercased().contains("x") else {
        return .failure(
          LatentProblem(message: "value \(position + 1), '\(part.prefix(40))', is not a number"))
      }
      guard value.isFinite else {
        return .failure(
          LatentProblem(message: "value \(position + 1) is \(part), not a finite number"))
      }
      latent.append(value)
    }
    return .success(latent)
  }
}

/// Durations as progress lines show them.
enum Duration {
  /// Formats seconds as `8 s`, `3 min 20 s` or `2 h 5 min`.
  static func text(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let whole = Int(seconds.rounded())
    if whole < 60 { return "\(whole) s" }
    if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
    return "\(whole / 3600) h \((whole % 3600) / 60) min"
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
