import FaceRuntime
import Foundation
import LatentLang

extension Builtins {
  /// The maximum number of faces in one sweep strip or grid.
  static let maximumSheetFaces = 256
  /// The maximum number of frames one morph writes.
  static let maximumMorphFrames = 1000
  /// How many latents go to the decoder at once.
  static let decodeBatchSize = 32

  /// Saving faces, sweeps, morphs and grids as image files.
  static func outputs() -> [Builtin] {
    [
      Builtin("save(face, path)", arity: 2...2) { machine, arguments in
        var face = try arguments.face(0, "face")
        let path = try pngPath(arguments, 1, machine: machine)
        face.cacheLatent()
        let image = machine.model.decode(face.latent)
        if !isFinite(face.latent) {
          machine.sink.warning(
            "the face saved to '\(ShownPath.display(path))' has NaN or infinite coordinates, so "
              + "the picture is blank")
        } else if !machine.warnedAboutAtypicalSave,
          let message = AtypicalFace.message(
            for: machine.trainingFaces.typicality(of: face.latent))
        {
          // Once per interpreter: a script that explores far out saves many such faces.
          machine.warnedAboutAtypicalSave = true
          machine.sink.warning(
            "saving '\(ShownPath.display(path))': " + message
              + " Later saves of faces outside the region are not reported.")
        }
        try writePNG(image, to: path, latent: face.latent, machine: machine)
        return .nil
      },
      Builtin("sweep(face, axis, values, path)", arity: 4...4) { machine, arguments in
        try sweep(arguments, machine: machine)
      },
      Builtin("grid(faces, columns, path, labels)", arity: 3...4) { machine, arguments in
        try grid(arguments, machine: machine)
      },
      Builtin("morph(keyframes, steps, prefix, delay)", arity: 3...4) { machine, arguments in
        try morph(arguments, machine: machine)
      },
    ]
  }

  /// Saves one face per value of an axis as a labelled strip, such as "pc1 −2σ".
  static func sweep(_ arguments: Arguments, machine: Machine) throws -> Value {
    var face = try arguments.face(0, "face")
    let axis = try arguments.axis(1, "axis", machine: machine)
    try machine.checkSigma(axis)
    let values = try arguments.list(2, "values")
    let path = try pngPath(arguments, 3, machine: machine)
    guard (1...maximumSheetFaces).contains(values.count) else {
      throw ScriptError(
        "'values' in \(arguments.signature) must hold 1 to \(maximumSheetFaces) σ values, "
          + "got \(values.count)")
    }
    var latents: [[Float]] = []
    var labels: [String] = []
    for (position, value) in values.enumerated() {
      guard case .sigma(let amount) = value, amount.isFinite else {
        throw ScriptError(
          "'values' in \(arguments.signature) must be finite σ values such as -2σ to 2σ, but "
            + "element \(position) is \(Operators.article(value))")
      }
      guard face.setCoordinate(at: axis.index, to: amount) else {
        throw ScriptError(
          "element \(position) of 'values' in \(arguments.signature): "
            + machine.overflowError(axis, amount, in: face).message)
      }
      latents.append(face.latent)
      labels.append("\(axis.label) \(ValueFormat.label(amount))")
    }
    warnAboutBlankCells(latents, list: "values", path: path, machine: machine)
    let images = decode(latents, machine: machine)
    let sheet = ContactSheet.render(images, columns: images.count, labels: labels)
    try writePNG(sheet, to: path, latent: nil, sheetCount: images.count, machine: machine)
    return .nil
  }

  /// Saves faces as a grid with optional labels.
  static func grid(_ arguments: Arguments, machine: Machine) throws -> Value {
    let faces = try arguments.faces(0, "faces")
    guard (1...maximumSheetFaces).contains(faces.count) else {
      throw ScriptError(
        "'faces' in \(arguments.signature) must hold 1 to \(maximumSheetFaces) faces, got "
          + "\(faces.count)")
    }
    let columns = try arguments.wholeNumber(1, "columns", in: 1...maximumSheetFaces)
    let path = try pngPath(arguments, 2, machine: machine)
    var labels: [String]?
    if arguments.count == 4 {
      labels = try arguments.list(3, "labels").map { ValueFormat.describe($0, quoted: false) }
    }
    let latents = faces.map(\.latent)
    warnAboutBlankCells(latents, list: "faces", path: path, machine: machine)
    let images = decode(latents, machine: machine)
    let sheet = ContactSheet.render(images, columns: columns, labels: labels)
    try writePNG(sheet, to: path, latent: nil, sheetCount: images.count, machine: machine)
    return .nil
  }

  /// Saves a morph through keyframes as numbered PNG frames and an animated GIF, using slerp
  /// between neighbouring keyframes. Returns the number of frames.
  static func morph(_ arguments: Arguments, machine: Machine) throws -> Value {
    let keyframes = try arguments.faces(0, "keyframes")
    guard keyframes.count >= 2 else {
      throw ScriptError(
        "'keyframes' in \(arguments.signature) must hold at least 2 faces, got \(keyframes.count)")
    }
    let steps = try arguments.wholeNumber(1, "steps", in: 1...maximumMorphFrames)
    let prefix = try arguments.string(2, "prefix")
    guard !prefix.isEmpty else {
      throw ScriptError(
        "'prefix' in \(arguments.signature) must not be empty; write a name such as 'morph'")
    }
    let lowercased = prefix.lowercased()
    guard !lowercased.hasSuffix(".png"), !lowercased.hasSuffix(".gif") else {
      throw ScriptError(
        "'prefix' in \(arguments.signature) names the files without an extension, such as "
          + "'morph' for morph-00.png and morph.gif")
    }
    let delay = arguments.count == 4 ? try arguments.wholeNumber(3, "delay", in: 0...65535) : 8
    let frameCount = (keyframes.count - 1) * steps + 1
    guard frameCount <= maximumMorphFrames else {
      throw ScriptError(
        "\(arguments.signature) would write \(frameCount) frames, more than the limit of "
          + "\(maximumMorphFrames); use fewer steps or keyframes")
    }
    let gifPath = try machine.output.resolve(prefix + ".gif")
    let mean = machine.basis.pca.mean
    let keyLatents = keyframes.map(\.latent)
    var latents: [[Float]] = []
    for segment in 0..<(keyLatents.count - 1) {
      for step in 0..<steps {
        let t = Double(step) / Double(steps)
        latents.append(
          Interpolation.slerp(keyLatents[segment], keyLatents[segment + 1], around: mean, t: t))
      }
    }
    latents.append(keyLatents[keyLatents.count - 1])
    let blank = latents.indices.filter { !isFinite(latents[$0]) }
    if !blank.isEmpty {
      let names = blank.map {
        "'\(FrameNames.name(prefix: prefix, index: $0, count: frameCount, extension: "png"))'"
      }
      let subject =
        blank.count == 1
        ? "the morph frame \(names[0]) has" : "the morph frames \(listed(names)) have"
      let result = blank.count == 1 ? "it is" : "they are"
      machine.sink.warning(
        "\(subject) NaN or infinite coordinates, so \(result) blank; the keyframes are too "
          + "far from the mean face to blend")
    }
    let frames = decode(latents, machine: machine)
    for (index, frame) in frames.enumerated() {
      try machine.tick()
      let name = FrameNames.name(prefix: prefix, index: index, count: frameCount, extension: "png")
      try writePNG(
        frame, to: try machine.output.resolve(name), latent: latents[index], machine: machine)
    }
    do {
      try GIFWriter.write(frames, to: gifPath, delayCentiseconds: delay)
    } catch let error as FileWriteError {
      throw ScriptError(error.description)
    } catch {
      throw ScriptError("cannot write '\(gifPath)': \(error)")
    }
    machine.sink.saved(gifPath)
    return .number(Double(frameCount))
  }

  /// Returns whether every value of a latent vector is finite.
  static func isFinite(_ latent: [Float]) -> Bool {
    latent.allSatisfy { $0.isFinite }
  }

  /// Warns when faces of a sheet have NaN or infinite coordinates, which decode to blank
  /// cells. `list` names the argument the faces came from.
  static func warnAboutBlankCells(
    _ latents: [[Float]], list: String, path: String, machine: Machine
  ) {
    let blank = latents.indices.filter { !isFinite(latents[$0]) }
    guard !blank.isEmpty else { return }
    let elements = listed(blank.map(String.init))
    let subject =
      blank.count == 1
      ? "the face for element \(elements) of '\(list)' has"
      : "the faces for elements \(elements) of '\(list)' have"
    let result = blank.count == 1 ? "its cell is" : "their cells are"
    machine.sink.warning(
      "in '\(ShownPath.display(path))', \(subject) NaN or infinite coordinates, so \(result) "
        + "blank")
  }

  /// Joins up to 10 items as "a, b and c", ending with "and N more" beyond that.
  static func listed(_ items: [String]) -> String {
    let displayed =
      items.count > 10 ? Array(items.prefix(9)) + ["\(items.count - 9) more"] : items
    guard displayed.count > 1 else { return displayed.first ?? "" }
    return displayed.dropLast().joined(separator: ", ") + " and " + displayed.last!
  }

  /// Resolves a `.png` path argument through the output policy.
  static func pngPath(_ arguments: Arguments, _ index: Int, machine: Machine) throws -> String {
    let path = try arguments.string(index, "path")
    guard path.lowercased().hasSuffix(".png") else {
      throw ScriptError(
        "\(arguments.signature) writes a PNG file; end the path with '.png', as in 'face.png'")
    }
    return try machine.output.resolve(path)
  }

  /// Decodes latents in batches, checking for cancellation between batches.
  static func decode(_ latents: [[Float]], machine: Machine) -> [RGBImage] {
    var images: [RGBImage] = []
    images.reserveCapacity(latents.count)
    var start = 0
    while start < latents.count && !machine.cancelFlag.isRaised {
      let end = min(start + decodeBatchSize, latents.count)
      images += machine.model.decode(Array(latents[start..<end]))
      start = end
    }
    return images
  }

  /// The maximum length of the statement text a PNG records, in characters.
  static let maximumStatementLength = 1000

  /// Describes a statement as `file:line: text`, its lines joined into one, cut to
  /// `maximumStatementLength` characters.
  static func statementText(_ statement: Location) -> String {
    let line = statement.file.location(of: statement.range.start).line
    let source = statement.file.slice(statement.range)
      .split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
      .map { $0.trimmingCharacters(in: .whitespaces) }
      .joined(separator: " ")
      .replacingOccurrences(of: "\0", with: " ")
    var text = "\(statement.file.name):\(line): \(source)"
    if text.count > maximumStatementLength {
      text = String(text.prefix(maximumStatementLength - 1)) + "…"
    }
    return text
  }

  /// Writes a PNG with the facesh text chunks and sends its path to the sink.
  static func writePNG(
    _ image: RGBImage, to path: String, latent: [Float]?, sheetCount: Int? = nil,
    machine: Machine
  ) throws {
    if machine.cancelFlag.isRaised { throw ScriptError.cancelled }
    var text: [(key: String, value: String)] = [
      ("Software", "facesh"), ("facesh:model-hash", machine.model.contentHash),
    ]
    if let latent {
      text.append(("facesh:latent", latent.map { "\($0)" }.joined(separator: ",")))
    }
    if let sheetCount {
      text.append(("facesh:sheet", "\(sheetCount) face\(sheetCount == 1 ? "" : "s")"))
    }
    if let statement = machine.state.pointee.statement {
      text.append(("facesh:statement", statementText(statement)))
    }
    do {
      try ImageIO.writePNG(image, to: path, text: text)
    } catch let error as FileWriteError {
      throw ScriptError(error.description)
    } catch {
      throw ScriptError("cannot write '\(path)': \(error)")
    }
    machine.sink.saved(path)
  }
}
