import Interpreter

/// The text of `:help` and its topics.
enum HelpText {
  /// Topic names and their text.
  static let topics: [(name: String, text: String)] = [
    ("commands", commands),
    ("language", language),
    ("faces", faces),
    ("files", files),
    ("keys", keys),
    ("preview", preview),
  ]

  /// One line per builtin: what it does, for `:help NAME`.
  static let builtins: [String: String] = [
    "print": "writes its arguments, separated by spaces, on one line",
    "show": "prints a face's summary and draws it; without an argument, the current face",
    "str": "returns a value as the text print writes",
    "number": "converts a string or σ value to a number",
    "type": "returns the type name of a value: number, σ value, face, ...",
    "len": "returns the length of a list or string",
    "append": "returns a list with one more element at the end",
    "abs": "absolute value of a number or σ value",
    "sqrt": "square root",
    "floor": "largest whole number not above x",
    "round": "nearest whole number",
    "min": "smallest of numbers or σ values, given as arguments or as one list",
    "max": "largest of numbers or σ values, given as arguments or as one list",
    "random": "a random face; the same seed always gives the same face. truncation < 1 "
      + "pulls it toward the mean face",
    "mean": "the mean of the training faces: every coordinate 0σ",
    "training": "the face learned for training image number index (from 0)",
    "lerp": "blends two faces in a straight line: t = 0 gives a, t = 1 gives b",
    "slerp": "blends two faces along an arc around the mean face, keeping them typical",
    "latent": "the face's latent vector, as a list of numbers",
    "save": "decodes a face and writes it as a PNG file in the output folder",
    "sweep": "writes a strip of the face with one axis set to each of the σ values",
    "grid": "writes a contact sheet of faces in the given number of columns",
    "morph": "writes numbered PNG frames and an animated GIF that blend through the "
      + "keyframes; delay is in hundredths of a second",
    "seed": "the value of facesh's --seed option (default 1), for random(seed() + i)",
    "fit": "the face whose picture is closest to a photo, found in `steps` search steps "
      + "(default 200); a PNG that facesh saved with this model gives back its exact face",
    "psnr": "how close a face's picture is to a photo, in dB; 25 dB is a good fit",
    "nearest": "the training faces closest to a face, nearest first, as [face, index, "
      + "distance] lists; count defaults to 5",
    "distance": "the distance in σ from the mean face, or between two faces, over the PCA "
      + "axes whose σ is above zero (Mahalanobis distance)",
    "typical": "true if the face lies inside the region the training faces cover",
  ]

  /// Returns the text for `:help TOPIC`; the overview for an empty topic.
  static func topic(_ name: String, repl: REPL) -> String {
    if name.isEmpty { return overview }
    if let topic = topics.first(where: { $0.name == name }) { return topic.text }
    if let line = builtinHelp(name, repl: repl) { return line }
    let names = topicNames(repl: repl)
    var text = "no help on '\(name)'"
    if let nearest = names.min(by: { editDistance($0, name) < editDistance($1, name) }),
      editDistance(nearest, name) <= 2
    {
      text += "; did you mean '\(nearest)'?"
    } else {
      text += "."
    }
    return text + " Topics: " + topics.map(\.name).joined(separator: ", ") + ".\n"
  }

  /// Topic names and builtin names, for completion.
  static func topicNames(repl: REPL) -> [String] {
    (topics.map(\.name) + builtins.keys).sorted()
  }

  /// Shows a builtin's signature, read from the interpreter, and its description.
  private static func builtinHelp(_ name: String, repl: REPL) -> String? {
    guard let summary = builtins[name], let loaded = repl.loaded() else { return nil }
    let value = try? loaded.interpreter.evaluate(name, chunkName: "<help>")
    let signature = value.map { loaded.interpreter.describe($0) } ?? name
    return signature.replacingOccurrences(of: "builtin ", with: "") + "\n  " + summary + "\n"
  }

  static let overview = """
    facesh explores the latent space of a face decoder. A face is a point in that space;
    its coordinates on the principal axes pc[1], pc[2], ... are measured in σ, the spread
    of the training faces along each axis, and pc[1] varies the most.

      let f = random(7)          a random face; type f alone to see it as a picture
      f.pc[1] = 2σ               move it two σ along the first axis
      axis smile = pc[4]         name an axis (which one smiles depends on the model)
      f with { smile += 1σ }     a changed copy
      sweep(f, smile, -3σ to 3σ step 1σ, "smile.png")

    commands:
    \(commandList)
    topics (:help TOPIC): \(topics.map(\.name).joined(separator: ", ")), or a builtin's
    name such as :help sweep.

    """

  static var commandList: String {
    REPLCommands.all.map { command in
      let usage = command.name + (command.argument.isEmpty ? "" : " " + command.argument)
      return "  " + usage.padding(toLength: 16, withPad: " ", startingAt: 0) + command.summary
    }.joined(separator: "\n")
  }

  static let commands = """
    \(commandList)

    Commands may be shortened while they stay unambiguous (:he for :help); :q and :exit
    also quit. Tab completes command names, help topics, preview modes and file names.

    """

  static let language = """
    values    numbers 1.5, σ values 2σ (or 2sigma), strings "a {x} b" with {} to insert
              values, true, false, nil, lists [1, 2], faces, axes and functions
    names     let x = 1        declare;  x = 2, x += 1  assign
    ranges    0 to 10 step 2   a list from 0 to 10 inclusive;  -2σ to 2σ step 1σ
    control   if x > 1 { ... } else if x < 0 { ... } else { ... }
              while x > 0 { x -= 1 }      for f in faces { ... }
              break, continue
    functions fn area(w, h) { return w * h }
    logic     and, or, not, == != < <= > >=
    comments  # to the end of the line

    An entry that is not finished (an open brace or bracket, a line ending in an
    operator) continues on the next line; Ctrl-C discards it.

    """

  static let faces = """
    make      random(seed), random(seed, truncation), mean(), training(index)
    read      f.pc[3]            the coordinate on axis 3, in σ
    edit      f.pc[3] = 1σ       f.pc[3] += 0.5σ
              pc[3] = 1σ         edits the current face: the last one assigned or shown
    name      axis smile = pc[4]   then f.smile, f.smile += 1σ
    copy      f with { pc[1] = -2σ, smile += 1σ }
    blend     lerp(a, b, t), slerp(a, b, t)
    photos    fit("me.jpg"), fit("me.jpg", 500) for a closer fit, psnr(f, "me.jpg")
    compare   nearest(f, 5), distance(f), distance(a, b), typical(f)
    offsets   b - a is a direction; a + (b - a) * 0.5, f + 2 * d
    show      show(f) prints the summary and draws the face; so does an entry whose
              value is a face

    """

  static let files = """
    save(face, "face.png")                             one face
    sweep(face, 1, -3σ to 3σ step 1σ, "pc1.png")       one axis (a number or a name
                                                       from `axis`), one strip
    grid(faces, columns, "grid.png")                   a contact sheet
    grid(faces, columns, "grid.png", labels)           with a label under each face
    morph(keyframes, steps, "morph")                   morph-00.png ... and morph.gif;
                                                       the frame numbers are as wide as
                                                       the frame count needs
    morph(keyframes, steps, "morph", delay)            delay in 1/100 s per frame

    Paths are relative to the output folder (facesh -o DIR; default: the current
    directory), and scripts cannot write outside it.

    fit("me.jpg") and psnr(f, "me.jpg") read photos from anywhere: a relative path is
    relative to the current directory, ~/ is the home folder, and a name found only in
    the output folder is read from there, so fit("face.png") loads what save wrote.

    """

  static let keys = """
    Tab        complete a name, command, topic or file name
    Up, Down   walk the history; entries of several lines come back whole
    Ctrl-C     discard the line being typed, or stop a running evaluation
    Ctrl-D     quit (on an empty line)
    Ctrl-A     go to the start of the line, and Ctrl-E to its end
    others     emacs bindings from libedit, which ~/.editrc can change (see editrc(5))

    The history is kept in $XDG_STATE_HOME/facesh/history, or
    ~/.local/state/facesh/history without XDG_STATE_HOME.

    """

  static let preview = """
    :preview            show the mode in use
    :preview auto       pick from the terminal's environment variables
    :preview kitty      kitty graphics protocol (kitty, Ghostty, WezTerm)
    :preview iterm      iTerm2 inline images (iTerm2, WezTerm, mintty)
    :preview sixel      sixel graphics (foot, mlterm, xterm -ti vt340)
    :preview blocks     coloured half-block characters, for any 24-bit colour terminal
    :preview off        no pictures, only the text summary

    When standard output is not a terminal, pictures are always off.

    """
}
