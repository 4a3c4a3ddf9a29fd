import FaceRuntime
import Foundation

/// Finds the model file to use when the command line names none.
enum ModelLocator {
  /// The file name of the model that ships with facesh.
  static let defaultFileName = "default.safetensors"

  /// An error that lists every place searched.
  struct NotFound: Error, CustomStringConvertible {
    let searched: [String]

    var description: String {
      "no model found; searched:\n"
        + searched.map { "  \($0)\n" }.joined()
        + "give one with --model PATH or the FACESH_MODEL environment variable, "
        + "or make one with 'facesh train PHOTOS_DIR -o MODEL.safetensors'"
    }
  }

  /// The source of a model path, which decides what a load error advises.
  enum Origin {
    /// The `--model` or `-m` option.
    case option
    /// A model path that a subcommand takes as an argument, as in `facesh eval MODEL PHOTOS`.
    case argument
    /// The `FACESH_MODEL` environment variable.
    case environment
    /// The search for the default model.
    case defaultModel

    /// The advice that follows a load error.
    var hint: String {
      let format = "(see docs/MODEL_FORMAT.md)"
      switch self {
      case .option:
        return "give a model file written by 'facesh train', or run without -m to use the "
          + "default model \(format)"
      case .argument:
        return "give a model file written by 'facesh train' \(format)"
      case .environment:
        return "the path comes from the FACESH_MODEL environment variable, so set it to a model "
          + "file written by 'facesh train', or unset it to use the default model \(format)"
      case .defaultModel:
        return "this is the default model, so reinstall facesh or give a model file written "
          + "by 'facesh train' with -m \(format)"
      }
    }
  }

  /// A model path with its source.
  struct Location {
    let path: String
    let origin: Origin
  }

  /// A model file that could not be loaded, with advice that fits where its path came from.
  struct LoadError: Error, CustomStringConvertible {
    let underlying: Error
    let origin: Origin

    var description: String { "\(underlying); \(origin.hint)" }
  }

  /// Returns the model path: `explicit` when given, else `FACESH_MODEL`, else the first
  /// existing file among `candidates(executable:currentDirectory:)`.
  ///
  /// - Throws: `NotFound` listing the candidates when none exists.
  static func locate(
    explicit: String?, origin: Origin = .option, environment: [String: String]
  ) throws -> Location {
    if let explicit { return Location(path: explicit, origin: origin) }
    if let fromEnvironment = environment["FACESH_MODEL"], !fromEnvironment.isEmpty {
      return Location(path: fromEnvironment, origin: .environment)
    }
    let places = candidates(
      executable: executablePath(), currentDirectory: FileManager.default.currentDirectoryPath)
    for place in places where isRegularFile(place) {
      return Location(path: place, origin: .defaultModel)
    }
    throw NotFound(searched: places)
  }

  /// Loads the model at `location`.
  ///
  /// - Throws: `LoadError` with advice for the path's source when the file cannot be used.
  static func load(_ location: Location) throws -> FaceModel {
    do {
      return try FaceModel.load(path: location.path)
    } catch {
      throw LoadError(underlying: error, origin: location.origin)
    }
  }

  /// Lists the places where the default model may be, in search order:
  ///
  /// 1. `models/default.safetensors` in the executable's folder or any folder above it, which
  ///    finds the repository's model for a build under `.build/`;
  /// 2. `PREFIX/share/facesh/default.safetensors` for an executable installed as
  ///    `PREFIX/bin/facesh`;
  /// 3. `models/default.safetensors` under the current directory.
  static func candidates(executable: String?, currentDirectory: String) -> [String] {
    var places: [String] = []
    if let executable {
      var folder = (executable as NSString).deletingLastPathComponent
      while true {
        places.append(folder + "/models/" + defaultFileName)
        let parent = (folder as NSString).deletingLastPathComponent
        if parent == folder || parent.isEmpty { break }
        folder = parent
      }
      let prefix = ((executable as NSString).deletingLastPathComponent as NSString)
        .deletingLastPathComponent
      places.append(prefix + "/share/facesh/" + defaultFileName)
    }
    places.append(currentDirectory + "/models/" + defaultFileName)
    var seen = Set<String>()
    return places.map { $0.replacingOccurrences(of: "//", with: "/") }.filter {
      seen.insert($0).inserted
    }
  }

  /// Returns the running executable's path with symbolic links resolved, from
  /// `/proc/self/exe`.
  static func executablePath() -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { return CommandLine.arguments.first }
    return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func isRegularFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
  }
}
