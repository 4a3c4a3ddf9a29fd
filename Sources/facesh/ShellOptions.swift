import Foundation

/// The options of `facesh` itself, for the REPL and for running scripts.
struct ShellOptions {
  static let version = "0.1.0"

  static let usage = """
    usage: facesh [options] [SCRIPT.face | -]
           facesh [options] -e SOURCE
           facesh info [MODEL.safetensors]
           facesh train PHOTOS_DIR -o MODEL.safetensors [options]
           facesh eval MODEL.safetensors PHOTOS_DIR

    A shell and language for exploring the latent space of a face decoder. With no script
    and a terminal on standard input, facesh starts an interactive session; otherwise it
    runs SCRIPT, the SOURCE given with -e, or the script read from standard input ('-').

    options:
      -m, --model PATH     model file; default: $FACESH_MODEL, else models/default.safetensors
                           beside the executable's package, PREFIX/share/facesh, or ./models
      -o, --output DIR     folder that scripts write into, and may only write into
                           (default: the current directory)
      -e, --eval SOURCE    run SOURCE instead of a script file
      -s, --seed N         the value scripts read with seed() (default: 1), so one script
                           can make different faces per run, as in random(seed() + i)
      -q, --quiet          no banner, and no 'wrote FILE' lines in the interactive session
      -v, --verbose        report the model, its load time and each file written
          --preview MODE   how the session shows faces: auto (default), kitty, iterm,
                           sixel, blocks or off
          --no-history     neither read nor write the history file
      -h, --help           show this help
          --version        show the version

    exit status: 0 success, 64 usage error, 65 syntax error, 66 unusable input file
    (model, script), 70 runtime error, 130 interrupted.

    examples:
      facesh                                   start the interactive shell
      facesh examples/sweep.face -o out        run a script, writing images into out/
      facesh -e 'save(random(7), "face.png")'  make one random face
      echo 'print(pc[1])' | facesh             run a script from a pipe
      facesh info models/default.safetensors   describe a model
    """

  /// The script file, `-` for standard input, or nil.
  var scriptPath: String?
  /// Source text from `-e`.
  var source: String?
  var modelPath: String?
  var outputFolder: String?
  var seed: UInt64 = 1
  var quiet = false
  var verbose = false
  var preview: PreviewMode = .auto
  var useHistory = true
  var showHelp = false
  var showVersion = false

  /// The largest seed: 2^53, the largest whole number that the language's numbers hold
  /// exactly.
  static let seedLimit: UInt64 = 1 << 53

  /// Short spellings and the long options they stand for.
  static let shortOptions = [
    "-m": "--model", "-o": "--output", "-e": "--eval", "-s": "--seed", "-q": "--quiet",
    "-v": "--verbose", "-h": "--help",
  ]

  /// Parses the arguments after the program name.
  ///
  /// - Throws: `UsageError` for an unknown option, a missing or invalid value, or more than
  ///   one script.
  init(_ arguments: [String]) throws {
    let expanded = arguments.map { ShellOptions.shortOptions[$0] ?? $0 }
    let options = try OptionParser(
      expanded, valued: ["--model", "--output", "--eval", "--seed", "--preview"],
      switches: ["--quiet", "--verbose", "--help", "--version", "--no-history"])
    showHelp = options.has("--help")
    showVersion = options.has("--version")
    quiet = options.has("--quiet")
    verbose = options.has("--verbose")
    if quiet && verbose {
      throw UsageError(
        message: "--quiet and --verbose cannot be used together; give only one of them")
    }
    useHistory = !options.has("--no-history")
    modelPath = options.string("--model")
    outputFolder = options.string("--output")
    source = options.string("--eval")
    if let text = options.string("--seed") {
      guard let seed = UInt64(text), seed <= ShellOptions.seedLimit else {
        throw UsageError(
          message: "--seed needs a whole number from 0 to \(ShellOptions.seedLimit), not '\(text)'")
      }
      self.seed = seed
    }
    if let text = options.string("--preview") {
      guard let mode = PreviewMode(rawValue: text) else {
        let modes = PreviewMode.allCases.map(\.rawValue).joined(separator: ", ")
        throw UsageError(message: "unknown preview mode '\(text)'; use one of \(modes)")
      }
      preview = mode
    }
    if let subcommand = options.positionals.first, ["info", "train", "eval"].contains(subcommand),
      !FileManager.default.fileExists(atPath: subcommand)
    {
      throw UsageError(
        message: "'\(subcommand)' is a subcommand and must come before any option, as in "
          + "'facesh \(subcommand) --help'")
    }
    guard options.positionals.count <= 1 else {
      throw UsageError(
        message: "only one script can run at a time, but got \(options.positionals.count): "
          + options.positionals.joined(separator: " "))
    }
    scriptPath = options.positionals.first
    if scriptPath != nil && source != nil {
      throw UsageError(message: "give either a script file or -e SOURCE, not both")
    }
  }
}
