import FaceRuntime
import Foundation

/// The way the REPL shows faces in the terminal.
enum PreviewMode: String, CaseIterable {
  /// Picks one of the others from the environment; see `TerminalPicture.detect`.
  case auto
  /// The kitty graphics protocol, with PNG data (kitty, Ghostty, WezTerm).
  case kitty
  /// iTerm2's inline image escape, with PNG data (iTerm2, WezTerm, mintty).
  case iterm
  /// DEC sixel graphics with a palette of at most 64 colours (foot, mlterm, xterm -ti vt340).
  case sixel
  /// Upper half blocks with 24-bit foreground and background colours: two pixels a cell.
  case blocks
  /// No pictures.
  case off
}

/// Encodes images as the escape sequences or coloured characters that terminals display.
enum TerminalPicture {
  /// The widest picture, in character cells, that `blocks` draws; wider images are scaled
  /// down.
  static let blockColumnLimit = 64
  /// The longer side, in pixels, toward which pixel images are scaled up by a whole factor.
  static let pixelSideTarget = 256

  /// Picks the picture protocol for a terminal from its environment variables.
  ///
  /// Terminals announce themselves only through variables such as `TERM`, `TERM_PROGRAM`,
  /// `KITTY_WINDOW_ID` and `ITERM_SESSION_ID`. Sixel support cannot be seen that way on
  /// xterm, so it is chosen only for terminals known to have it; `:preview sixel` forces it.
  static func detect(environment: [String: String]) -> PreviewMode {
    let term = environment["TERM"] ?? ""
    let program = environment["TERM_PROGRAM"] ?? ""
    if term == "dumb" || term.isEmpty && program.isEmpty { return .off }
    // tmux and screen swallow graphics escapes unless configured to pass them through.
    if environment["TMUX"] != nil || term.hasPrefix("screen") || term.hasPrefix("tmux") {
      return .blocks
    }
    if environment["KITTY_WINDOW_ID"] != nil || term == "xterm-kitty" || program == "ghostty"
      || term == "xterm-ghostty"
    {
      return .kitty
    }
    if program == "iTerm.app" || environment["ITERM_SESSION_ID"] != nil
      || environment["LC_TERMINAL"] == "iTerm2" || program == "WezTerm" || program == "mintty"
    {
      return .iterm
    }
    if term.hasPrefix("foot") || term.hasPrefix("mlterm") || term.contains("sixel")
      || program == "contour"
    {
      return .sixel
    }
    return .blocks
  }

  /// Returns the bytes that show `image` in `mode`, ending with a line break; empty for
  /// `off` and `auto`.
  static func render(_ image: RGBImage, mode: PreviewMode, terminalColumns: Int) -> String {
    switch mode {
    case .auto, .off:
      return ""
    case .blocks:
      return halfBlocks(image, columns: min(blockColumnLimit, max(8, terminalColumns - 1)))
    case .kitty:
      return kitty(png: pngBytes(enlarged(image)))
    case .iterm:
      return iterm(png: pngBytes(enlarged(image)))
    case .sixel:
      return Sixel.encode(enlarged(image)) + "\n"
    }
  }

  /// Draws two pixel rows per text row with `▀`: the foreground colour paints the upper
  /// pixel and the background colour the lower one.
  static func halfBlocks(_ image: RGBImage, columns: Int) -> String {
    var picture = image
    if image.width > columns {
      let height = max(2, image.height * columns / image.width)
      picture = ImageOps.resizeArea(image, width: columns, height: height)
    }
    var text = ""
    for top in stride(from: 0, to: picture.height, by: 2) {
      var previous: (Int, Int)? = nil
      for x in 0..<picture.width {
        let upper = (top * picture.width + x) * 3
        let lower = top + 1 < picture.height ? upper + picture.width * 3 : upper
        let key = (colourKey(picture.pixels, upper), colourKey(picture.pixels, lower))
        if previous.map({ $0 != key }) ?? true {
          text +=
            "\u{1B}[38;2;\(rgb(picture.pixels, upper))m\u{1B}[48;2;\(rgb(picture.pixels, lower))m"
          previous = key
        }
        text += "▀"
      }
      text += "\u{1B}[0m\n"
    }
    return text
  }

  /// Encodes PNG data in the kitty graphics protocol: transmit and display (`a=T,f=100`) in
  /// chunks of at most 4096 base64 characters, with `q=2` so that the terminal sends no reply.
  static func kitty(png: [UInt8]) -> String {
    let payload = Data(png).base64EncodedString()
    var text = ""
    var start = payload.startIndex
    var first = true
    while start < payload.endIndex {
      let end =
        payload.index(start, offsetBy: 4096, limitedBy: payload.endIndex) ?? payload.endIndex
      let more = end < payload.endIndex ? 1 : 0
      let keys = first ? "a=T,f=100,q=2,m=\(more)" : "m=\(more)"
      text += "\u{1B}_G\(keys);\(payload[start..<end])\u{1B}\\"
      start = end
      first = false
    }
    return text + "\n"
  }

  /// Encodes PNG data as iTerm2's `OSC 1337 ; File=` inline image sequence.
  static func iterm(png: [UInt8]) -> String {
    let payload = Data(png).base64EncodedString()
    return "\u{1B}]1337;File=inline=1;size=\(png.count);preserveAspectRatio=1:\(payload)\u{07}\n"
  }

  /// Scales an image up by the whole factor that brings its longer side closest to
  /// `pixelSideTarget` without passing it, repeating pixels.
  static func enlarged(_ image: RGBImage) -> RGBImage {
    let factor = max(1, pixelSideTarget / max(image.width, image.height, 1))
    guard factor > 1 else { return image }
    var result = RGBImage(width: image.width * factor, height: image.height * factor)
    for y in 0..<result.height {
      for x in 0..<result.width {
        let source = ((y / factor) * image.width + x / factor) * 3
        let target = (y * result.width + x) * 3
        result.pixels[target] = image.pixels[source]
        result.pixels[target + 1] = image.pixels[source + 1]
        result.pixels[target + 2] = image.pixels[source + 2]
      }
    }
    return result
  }

  private static func pngBytes(_ image: RGBImage) -> [UInt8] {
    // Encoding an RGB image without text chunks only fails for an empty image.
    (try? ImageIO.encodePNG(image)) ?? []
  }

  private static func colourKey(_ pixels: [UInt8], _ offset: Int) -> Int {
    Int(pixels[offset]) << 16 | Int(pixels[offset + 1]) << 8 | Int(pixels[offset + 2])
  }

  private static func rgb(_ pixels: [UInt8], _ offset: Int) -> String {
    "\(pixels[offset]);\(pixels[offset + 1]);\(pixels[offset + 2])"
  }
}
