import Foundation

/// One layer of a decoder, as stored in a model file's architecture description.
public enum LayerSpec: Equatable, Sendable {
  /// Fully connected: `y = W x + b`, weight shape (out, in), bias (out).
  case linear(inFeatures: Int, outFeatures: Int)
  /// 2-D transposed convolution, weight shape (in, out, kernelHeight, kernelWidth), bias (out).
  case convTranspose2d(
    inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int))
  /// Batch normalization over channels: weight, bias, running_mean, running_var, each (channels).
  case batchNorm(channels: Int, epsilon: Float)
  /// Changes the shape of each sample without moving data, in (channels, height, width) order.
  case reshape(channels: Int, height: Int, width: Int)
  case relu
  case leakyReLU(slope: Float)
  case sigmoid
  case tanh

  public static func == (lhs: LayerSpec, rhs: LayerSpec) -> Bool {
    lhs.json as NSDictionary == rhs.json as NSDictionary
  }

  /// Name used in the architecture JSON.
  public var typeName: String {
    switch self {
    case .linear: return "linear"
    case .convTranspose2d: return "conv_transpose2d"
    case .batchNorm: return "batch_norm"
    case .reshape: return "reshape"
    case .relu: return "relu"
    case .leakyReLU: return "leaky_relu"
    case .sigmoid: return "sigmoid"
    case .tanh: return "tanh"
    }
  }

  /// Names and shapes of the tensors this layer reads, without the `decoder.N.` prefix.
  public var parameterShapes: [(String, [Int])] {
    switch self {
    case let .linear(input, output):
      return [("weight", [output, input]), ("bias", [output])]
    case let .convTranspose2d(input, output, kernel, _, _):
      return [("weight", [input, output, kernel.0, kernel.1]), ("bias", [output])]
    case let .batchNorm(channels, _):
      return [
        ("weight", [channels]), ("bias", [channels]), ("running_mean", [channels]),
        ("running_var", [channels]),
      ]
    default:
      return []
    }
  }

  var json: [String: Any] {
    var object: [String: Any] = ["type": typeName]
    switch self {
    case let .linear(input, output):
      object["in"] = input
      object["out"] = output
    case let .convTranspose2d(input, output, kernel, stride, padding):
      object["in"] = input
      object["out"] = output
      object["kernel"] = [kernel.0, kernel.1]
      object["stride"] = [stride.0, stride.1]
      object["padding"] = [padding.0, padding.1]
    case let .batchNorm(channels, epsilon):
      object["channels"] = channels
      object["eps"] = Double(epsilon)
    case let .reshape(channels, height, width):
      object["shape"] = [channels, height, width]
    case let .leakyReLU(slope):
      object["slope"] = Double(slope)
    default:
      break
    }
    return object
  }
}

/// A per-sample tensor shape: channels, height, width.
public struct SampleShape: Equatable, Sendable, CustomStringConvertible {
  public var channels: Int
  public var height: Int
  public var width: Int

  public init(_ channels: Int, _ height: Int, _ width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }

  public var count: Int { channels * height * width }
  public var description: String { "\(channels)×\(height)×\(width)" }
}

/// A decoder architecture: the latent size and the stack of layers that turns a latent vector
/// into an image of shape (3, height, width).
public struct Architecture: Sendable, Equatable {
  public var name: String
  public var latentSize: Int
  public var layers: [LayerSpec]

  public init(name: String, latentSize: Int, layers: [LayerSpec]) {
    self.name = name
    self.latentSize = latentSize
    self.layers = layers
  }

  /// Returns the shape after each layer, starting from the input (latentSize, 1, 1).
  ///
  /// - Throws: `ArchitectureError` naming the first layer whose input does not fit.
  public func shapes() throws -> [SampleShape] {
    var shape = SampleShape(latentSize, 1, 1)
    var out = [shape]
    for (index, layer) in layers.enumerated() {
      func fail(_ reason: String) -> ArchitectureError {
        ArchitectureError(message: "layer \(index) (\(layer.typeName)): \(reason)")
      }
      switch layer {
      case let .linear(input, output):
        guard input == shape.count else {
          throw fail("expects \(input) inputs but receives \(shape) = \(shape.count)")
        }
        guard output > 0 else { throw fail("needs a positive output size") }
        shape = SampleShape(output, 1, 1)
      case let .convTranspose2d(input, output, kernel, stride, padding):
        guard input == shape.channels else {
          throw fail("expects \(input) input channels but receives \(shape)")
        }
        guard output > 0, kernel.0 > 0, kernel.1 > 0, stride.0 > 0, stride.1 > 0,
          padding.0 >= 0, padding.1 >= 0
        else { throw fail("needs positive channels, kernel and stride, and non-negative padding") }
        let height = (shape.height - 1) * stride.0 - 2 * padding.0 + kernel.0
        let width = (shape.width - 1) * stride.1 - 2 * padding.1 + kernel.1
        guard height > 0, width > 0 else { throw fail("padding leaves an empty output") }
        shape = SampleShape(output, height, width)
      case let .batchNorm(channels, _):
        guard channels == shape.channels else {
          throw fail("normalizes \(channels) channels but receives \(shape)")
        }
      case let .reshape(channels, height, width):
        let target = SampleShape(channels, height, width)
        guard target.count == shape.count else {
          throw fail("cannot reshape \(shape) (\(shape.count) values) to \(target)")
        }
        shape = target
      case .relu, .leakyReLU, .sigmoid, .tanh:
        break
      }
      guard shape.count <= 1 << 26 else { throw fail("output \(shape) is too large") }
      out.append(shape)
    }
    return out
  }

  /// Returns the image shape the decoder produces, checking that it has 3 channels.
  public func outputShape() throws -> SampleShape {
    let last = try shapes().last!
    guard last.channels == 3 else {
      throw ArchitectureError(message: "the decoder produces \(last), but an image needs 3 channels")
    }
    return last
  }

  /// Number of multiply-adds times two for decoding one face.
  public func flopsPerSample() -> Double {
    guard let shapes = try? shapes() else { return 0 }
    var flops = 0.0
    for (index, layer) in layers.enumerated() {
      let input = shapes[index]
      switch layer {
      case let .linear(inputSize, output):
        flops += 2 * Double(inputSize * output)
      case let .convTranspose2d(_, output, kernel, _, _):
        flops += 2 * Double(input.count * output * kernel.0 * kernel.1)
      default:
        break
      }
    }
    return flops
  }

  /// Serializes to the JSON text stored under the `architecture` metadata key.
  public func jsonText() -> String {
    let object: [String: Any] = [
      "name": name, "latent_size": latentSize, "layers": layers.map { $0.json },
    ]
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  /// Parses the JSON text stored under the `architecture` metadata key.
  public static func parse(json text: String) throws -> Architecture {
    guard let data = text.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { throw ArchitectureError(message: "the architecture is not a JSON object") }
    guard let latentSize = object["latent_size"] as? Int, latentSize > 0 else {
      throw ArchitectureError(message: "'latent_size' must be a positive integer")
    }
    guard let layerObjects = object["layers"] as? [[String: Any]], !layerObjects.isEmpty else {
      throw ArchitectureError(message: "'layers' must be a non-empty list of objects")
    }
    let name = object["name"] as? String ?? "custom"
    var layers: [LayerSpec] = []
    for (index, entry) in layerObjects.enumerated() {
      layers.append(try parseLayer(entry, index: index))
    }
    return Architecture(name: name, latentSize: latentSize, layers: layers)
  }

  private static func parseLayer(_ entry: [String: Any], index: Int) throws -> LayerSpec {
    let type = entry["type"] as? String ?? "(none)"
    func fail(_ reason: String) -> ArchitectureError {
      ArchitectureError(message: "layer \(index) (\(type)): \(reason)")
    }
    func int(_ key: String) throws -> Int {
      guard let value = entry[key] as? Int else { throw fail("'\(key)' must be an integer") }
      return value
    }
    func pair(_ key: String, default fallback: (Int, Int)?) throws -> (Int, Int) {
      guard let value = entry[key] else {
        if let fallback { return fallback }
        throw fail("'\(key)' is missing")
      }
      if let single = value as? Int { return (single, single) }
      if let list = value as? [Int], list.count == 2 { return (list[0], list[1]) }
      throw fail("'\(key)' must be an integer or a list of two integers")
    }
    switch type {
    case "linear":
      return .linear(inFeatures: try int("in"), outFeatures: try int("out"))
    case "conv_transpose2d":
      return .convTranspose2d(
        inChannels: try int("in"), outChannels: try int("out"),
        kernel: try pair("kernel", default: nil), stride: try pair("stride", default: (1, 1)),
        padding: try pair("padding", default: (0, 0)))
    case "batch_norm":
      let epsilon = (entry["eps"] as? Double) ?? 1e-5
      return .batchNorm(channels: try int("channels"), epsilon: Float(epsilon))
    case "reshape":
      guard let shape = entry["shape"] as? [Int], shape.count == 3 else {
        throw fail("'shape' must be [channels, height, width]")
      }
      return .reshape(channels: shape[0], height: shape[1], width: shape[2])
    case "relu":
      return .relu
    case "leaky_relu":
      return .leakyReLU(slope: Float((entry["slope"] as? Double) ?? 0.01))
    case "sigmoid":
      return .sigmoid
    case "tanh":
      return .tanh
    default:
      throw fail(
        "unknown layer type; supported: linear, conv_transpose2d, batch_norm, reshape, relu, leaky_relu, sigmoid, tanh"
      )
    }
  }
}

/// An architecture description that is malformed or whose layers do not fit together.
public struct ArchitectureError: Error, CustomStringConvertible {
  public let message: String
  public var description: String { message }
}

extension Architecture {
  /// Returns the decoder of the original yearbook face editor: 80 latent values as 80×1×1, seven
  /// transposed convolutions with ReLU between them and a sigmoid at the end, giving 3×192×144.
  public static func codeparade(latentSize: Int = 80) -> Architecture {
    let plan: [(Int, (Int, Int), Int)] = [
      (256, (4, 1), 1), (256, (4, 4), 1), (256, (4, 4), 1), (256, (4, 4), 2),
      (128, (4, 4), 2), (128, (4, 4), 2), (3, (6, 6), 2),
    ]
    var layers: [LayerSpec] = [.reshape(channels: latentSize, height: 1, width: 1)]
    var channels = latentSize
    for (index, step) in plan.enumerated() {
      layers.append(
        .convTranspose2d(
          inChannels: channels, outChannels: step.0, kernel: step.1, stride: (step.2, step.2),
          padding: (0, 0)))
      layers.append(index == plan.count - 1 ? .sigmoid : .relu)
      channels = step.0
    }
    return Architecture(name: "codeparade", latentSize: latentSize, layers: layers)
  }

  /// Returns a decoder for square images of `size` pixels (a power of two, at least 8): a linear layer
  /// to `width`×4×4, then stride-2 transposed convolutions (kernel 4, padding 1) that double
  /// the size. The first keeps `width` channels, each later one halves them (to at least 16)
  /// and the last gives 3; ReLU between them and a sigmoid at the end. For 64×64 and width 256
  /// the channels are 256, 256, 128, 64, 3.
  public static func square(size: Int, latentSize: Int = 80, width: Int = 256) -> Architecture {
    precondition(size >= 8 && size & (size - 1) == 0, "size must be a power of two, at least 8")
    var layers: [LayerSpec] = [
      .linear(inFeatures: latentSize, outFeatures: width * 16),
      .reshape(channels: width, height: 4, width: 4), .relu,
    ]
    var channels = width
    var current = 4
    while current < size {
      let last = current * 2 == size
      let next = last ? 3 : (current == 4 ? channels : max(channels / 2, 16))
      layers.append(
        .convTranspose2d(
          inChannels: channels, outChannels: next, kernel: (4, 4), stride: (2, 2), padding: (1, 1)))
      layers.append(last ? .sigmoid : .relu)
      channels = next
      current *= 2
    }
    return Architecture(name: "square\(size)", latentSize: latentSize, layers: layers)
  }
}
