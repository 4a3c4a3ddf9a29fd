import FaceRuntime
import Foundation

/// `facesh info [MODEL]`: what a model file contains, for a person deciding whether to use it.
enum InfoCommand {
  static let usage = """
    usage: facesh info [MODEL.safetensors | --model MODEL.safetensors] [--axes N]

    Shows a model's decoder layers, image size, latent size, number of training faces and
    the σ of its top PCA axes as a bar chart. Without MODEL it describes the model that
    'facesh' would load (--model, FACESH_MODEL or the default model).

    options:
      --axes N    how many axes the chart shows (default 12)
    """

  /// The width of the longest bar, in characters.
  static let barWidth = 40

  static func run(_ arguments: [String], modelPath explicit: String?) throws -> ExitCode {
    if arguments.contains("--help") || arguments.contains("-h") {
      Console.output(usage + "\n")
      return .success
    }
    let options = try OptionParser(
      arguments.map { $0 == "-m" ? "--model" : $0 }, valued: ["--axes", "--model"], switches: [])
    let named = options.positionals + (options.string("--model").map { [$0] } ?? [])
    guard named.count <= 1 else {
      throw UsageError(message: "info takes at most one model file\n\n" + usage)
    }
    let axisCount = try options.int("--axes", default: 12, range: 1...4096)
    let origin: ModelLocator.Origin = options.positionals.isEmpty ? .option : .argument
    let location = try ModelLocator.locate(
      explicit: named.first ?? explicit, origin: origin,
      environment: ProcessInfo.processInfo.environment)
    let model = try ModelLocator.load(location)
    Console.output(describe(model, path: location.path, axisCount: axisCount))
    return .success
  }

  /// Formats the whole report.
  static func describe(_ model: FaceModel, path: String, axisCount: Int) -> String {
    let architecture = model.architecture
    let parameters = model.decoder.namedTensors().reduce(0) { $0 + $1.values.count }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    var text = ""
    text += "model       \(path) (\(bytes(size)), content hash \(model.contentHash))\n"
    text += "image       \(model.imageWidth)×\(model.imageHeight) pixels, RGB\n"
    text += "latent      \(model.latentSize) values\n"
    text += "faces       \(model.trainingFaceCount) training faces\n"
    text += String(
      format: "decoder     %@: %@ parameters, %.1f MFLOP a face\n", architecture.name,
      grouped(parameters), architecture.flopsPerSample() / 1e6)
    text += "\nlayers\n" + layerTable(architecture)
    text += "\nσ of the top axes (the spread of the training faces along each PCA axis)\n"
    text += sigmaChart(model.pca.sigma, count: axisCount)
    let hidden: Set = ["format", "format_version", "image_width", "image_height"]
    let shown = model.metadata.keys.filter { !hidden.contains($0) }.sorted()
    if !shown.isEmpty {
      text += "\nmetadata\n"
      let width = shown.map(\.count).max() ?? 0
      for key in shown {
        text +=
          "  " + key.padding(toLength: width + 2, withPad: " ", startingAt: 0)
          + (model.metadata[key] ?? "") + "\n"
      }
    }
    return text
  }

  /// Formats one line per layer: number, type, settings and the output shape.
  static func layerTable(_ architecture: Architecture) -> String {
    let shapes = (try? architecture.shapes()) ?? []
    var rows: [(String, String, String)] = []
    for (index, layer) in architecture.layers.enumerated() {
      let output = index + 1 < shapes.count ? shapes[index + 1].description : "?"
      rows.append((layer.typeName, settings(layer), output))
    }
    let typeWidth = rows.map(\.0.count).max() ?? 0
    let settingsWidth = rows.map(\.1.count).max() ?? 0
    let input = shapes.first.map { "  input \($0)\n" } ?? ""
    return input
      + rows.enumerated().map { index, row in
        let number = String(index + 1).leftPadded(to: 3)
        return "\(number)  " + row.0.padding(toLength: typeWidth + 2, withPad: " ", startingAt: 0)
          + row.1.padding(toLength: settingsWidth + 2, withPad: " ", startingAt: 0) + "→ " + row.2
          + "\n"
      }.joined()
  }

  static func settings(_ layer: LayerSpec) -> String {
    switch layer {
    case .linear(let input, let output):
      return "\(input) → \(output)"
    case .convTranspose2d(let input, let output, let kernel, let stride, let padding):
      return
        "\(input) → \(output), kernel \(kernel.0)×\(kernel.1), stride \(stride.0)×\(stride.1), "
        + "padding \(padding.0)×\(padding.1)"
    case .batchNorm(let channels, let epsilon):
      return "\(channels) channels, ε \(epsilon)"
    case .reshape(let channels, let height, let width):
      return "to \(channels)×\(height)×\(width)"
    case .leakyReLU(let slope):
      return "slope \(slope)"
    case .relu, .sigmoid, .tanh:
      return ""
    }
  }

  /// Draws a horizontal bar per axis, scaled so the largest σ fills `barWidth` characters,
  /// with eighth-block characters for the fraction.
  static func sigmaChart(_ sigma: [Float], count: Int) -> String {
    let shown = Array(sigma.prefix(count))
    let largest = Double(shown.max() ?? 0)
    let labelWidth = "pc\(shown.count)".count
    var text = ""
    for (index, value) in shown.enumerated() {
      let label = "pc\(index + 1)".padding(toLength: labelWidth, withPad: " ", startingAt: 0)
      let eighths =
        largest > 0 ? Int((Double(value) / largest * Double(barWidth * 8)).rounded()) : 0
      let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
      let bar = String(repeating: "█", count: eighths / 8) + partial
      text += "  \(label)  " + String(format: "%7.3f", Double(value)) + "  \(bar)\n"
    }
    if sigma.count > shown.count {
      let spanned = sigma.filter { $0 > 0 }.count
      text +=
        "  (\(sigma.count - shown.count) more axes; \(spanned) of \(sigma.count) have σ > 0)\n"
    }
    return text
  }

  static func bytes(_ count: Int) -> String {
    if count >= 1 << 20 { return String(format: "%.1f MiB", Double(count) / Double(1 << 20)) }
    if count >= 1 << 10 { return String(format: "%.1f KiB", Double(count) / Double(1 << 10)) }
    return "\(count) bytes"
  }

  /// Writes an integer with commas between groups of three digits: 1,234,567.
  static func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var text = ""
    for (index, digit) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
      text.append(digit)
    }
    return text
  }
}

extension String {
  /// Returns the string with spaces added in front up to `width` characters.
  func leftPadded(to width: Int) -> String {
    String(repeating: " ", count: max(0, width - count)) + self
  }
}
