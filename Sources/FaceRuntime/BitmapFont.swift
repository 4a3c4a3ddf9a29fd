/// A fixed-width bitmap font for labels on rendered images.
///
/// Each glyph is 5 pixels wide and 9 rows tall. Capitals and digits use rows 0 to 6, with
/// the baseline under row 6. Lowercase letters use rows 2 to 6, and descenders use rows
/// 7 and 8. Glyphs advance by 6 pixels. The font covers printable ASCII plus σ, −, ±, ×,
/// … and °. Other characters draw as a hollow box.
package enum BitmapFont {
  /// Glyph width in pixels, before scaling.
  package static let glyphWidth = 5
  /// Glyph height in pixels including descenders, before scaling.
  package static let glyphHeight = 9
  /// Horizontal distance between the starts of neighbouring glyphs, before scaling.
  package static let advance = 6

  /// Measures the width in pixels that `draw` covers for `text`.
  package static func width(of text: String, scale: Int = 1) -> Int {
    text.isEmpty ? 0 : (text.count * advance - (advance - glyphWidth)) * scale
  }

  /// Draws `text` with its top-left corner at (`x`, `y`), clipping at the image edges.
  ///
  /// Only the glyph pixels are painted, so the background shows between the strokes.
  /// - Parameters:
  ///   - text: The text, one glyph per character, on one line.
  ///   - image: The image to draw into.
  ///   - x: Left edge of the first glyph, in pixels.
  ///   - y: Top edge of the glyph cells, in pixels.
  ///   - color: The stroke colour.
  ///   - scale: Pixel size of one font pixel, at least 1.
  package static func draw(
    _ text: String, into image: inout RGBImage, x: Int, y: Int,
    color: (UInt8, UInt8, UInt8), scale: Int = 1
  ) {
    precondition(scale >= 1, "font scale must be at least 1, got \(scale)")
    var left = x
    for character in text {
      let rows = glyph(for: character)
      for (row, bits) in rows.enumerated() {
        for column in 0..<glyphWidth where bits & (1 << (glyphWidth - 1 - column)) != 0 {
          fill(
            &image, x: left + column * scale, y: y + row * scale, size: scale, color: color)
        }
      }
      left += advance * scale
    }
  }

  /// Returns the 9 row bitmaps of `character`, bit 4 being the leftmost column.
  package static func glyph(for character: Character) -> [UInt8] {
    glyphs[character] ?? replacementGlyph
  }

  private static func fill(
    _ image: inout RGBImage, x: Int, y: Int, size: Int, color: (UInt8, UInt8, UInt8)
  ) {
    let top = max(0, y)
    let bottom = min(image.height, y + size)
    let left = max(0, x)
    let right = min(image.width, x + size)
    guard top < bottom, left < right else { return }
    for py in top..<bottom {
      for px in left..<right {
        let i = (py * image.width + px) * 3
        image.pixels[i] = color.0
        image.pixels[i + 1] = color.1
        image.pixels[i + 2] = color.2
      }
    }
  }

  private static let replacementGlyph = parse("##### #...# #...# #...# #...# #...# #####")

  /// Turns rows written as `#` (ink) and `.` (blank), separated by spaces, into bitmaps.
  /// Missing rows at the bottom are blank.
  private static func parse(_ art: String) -> [UInt8] {
    var rows = art.split(separator: " ").map { row in
      precondition(row.count == glyphWidth, "glyph row '\(row)' is not \(glyphWidth) wide")
      return row.reduce(UInt8(0)) { $0 << 1 | ($1 == "#" ? 1 : 0) }
    }
    precondition(rows.count <= glyphHeight, "glyph has more than \(glyphHeight) rows: \(art)")
    rows += Array(repeating: 0, count: glyphHeight - rows.count)
    return rows
  }

  private static let glyphs: [Character: [UInt8]] = Dictionary(
    uniqueKeysWithValues: glyphArt.map { ($0.0, parse($0.1)) })

  /// The glyph drawings, one string of rows per character.
  private static let glyphArt: [(Character, String)] = [
    (" ", ""),
    ("!", "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#.."),
    ("\"", ".#.#. .#.#. .#.#."),
    ("#", ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#."),
    ("$", "..#.. .#### #.#.. .###. ..#.# ####. ..#.."),
    ("%", "##... ##..# ...#. ..#.. .#... #..## ...##"),
    ("&", ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#"),
    ("'", "..#.. ..#.. ..#.."),
    ("(", "...#. ..#.. .#... .#... .#... ..#.. ...#."),
    (")", ".#... ..#.. ...#. ...#. ...#. ..#.. .#..."),
    ("*", "..... ..#.. #.#.# .###. #.#.# ..#.. ....."),
    ("+", "..... ..#.. ..#.. ##### ..#.. ..#.. ....."),
    (",", "..... ..... ..... ..... ..... .##.. ..#.. .#..."),
    ("-", "..... ..... ..... .###. ..... ..... ....."),
    (".", "..... ..... ..... ..... ..... .##.. .##.."),
    ("/", "..... ....# ...#. ..#.. .#... #.... ....."),
    ("0", ".###. #...# #..## #.#.# ##..# #...# .###."),
    ("1", "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###."),
    ("2", ".###. #...# ....# ...#. ..#.. .#... #####"),
    ("3", "####. ....# ....# .###. ....# ....# ####."),
    ("4", "...#. ..##. .#.#. #..#. ##### ...#. ...#."),
    ("5", "##### #.... ####. ....# ....# #...# .###."),
    ("6", "..##. .#... #.... ####. #...# #...# .###."),
    ("7", "##### ....# ...#. ..#.. .#... .#... .#..."),
    ("8", ".###. #...# #...# .###. #...# #...# .###."),
    ("9", ".###. #...# #...# .#### ....# ...#. .##.."),
    (":", "..... .##.. .##.. ..... .##.. .##.. ....."),
    (";", "..... .##.. .##.. ..... .##.. ..#.. .#..."),
    ("<", "...#. ..#.. .#... #.... .#... ..#.. ...#."),
    ("=", "..... ..... ##### ..... ##### ..... ....."),
    (">", ".#... ..#.. ...#. ....# ...#. ..#.. .#..."),
    ("?", ".###. #...# ....# ...#. ..#.. ..... ..#.."),
    ("@", ".###. #...# #.### #.#.# #.##. #.... .####"),
    ("A", ".###. #...# #...# ##### #...# #...# #...#"),
    ("B", "####. #...# #...# ####. #...# #...# ####."),
    ("C", ".###. #...# #.... #.... #.... #...# .###."),
    ("D", "###.. #..#. #...# #...# #...# #..#. ###.."),
    ("E", "##### #.... #.... ####. #.... #.... #####"),
    ("F", "##### #.... #.... ####. #.... #.... #...."),
    ("G", ".###. #...# #.... #.### #...# #...# .####"),
    ("H", "#...# #...# #...# ##### #...# #...# #...#"),
    ("I", ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###."),
    ("J", "..### ...#. ...#. ...#. ...#. #..#. .##.."),
    ("K", "#...# #..#. #.#.. ##... #.#.. #..#. #...#"),
    ("L", "#.... #.... #.... #.... #.... #.... #####"),
    ("M", "#...# ##.## #.#.# #.#.# #...# #...# #...#"),
    ("N", "#...# #...# ##..# #.#.# #..## #...# #...#"),
    ("O", ".###. #...# #...# #...# #...# #...# .###."),
    ("P", "####. #...# #...# ####. #.... #.... #...."),
    ("Q", ".###. #...# #...# #...# #.#.# #..#. .##.#"),
    ("R", "####. #...# #...# ####. #.#.. #..#. #...#"),
    ("S", ".#### #.... #.... .###. ....# ....# ####."),
    ("T", "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#.."),
    ("U", "#...# #...# #...# #...# #...# #...# .###."),
    ("V", "#...# #...# #...# #...# #...# .#.#. ..#.."),
    ("W", "#...# #...# #...# #.#.# #.#.# #.#.# .#.#."),
    ("X", "#...# #...# .#.#. ..#.. .#.#. #...# #...#"),
    ("Y", "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#.."),
    ("Z", "##### ....# ...#. ..#.. .#... #.... #####"),
    ("[", ".###. .#... .#... .#... .#... .#... .###."),
    ("\\", "..... #.... .#... ..#.. ...#. ....# ....."),
    ("]", ".###. ...#. ...#. ...#. ...#. ...#. .###."),
    ("^", "..#.. .#.#. #...#"),
    ("_", "..... ..... ..... ..... ..... ..... ..... #####"),
    ("`", ".#... ..#.. ...#."),
    ("a", "..... ..... .###. ....# .#### #...# .####"),
    ("b", "#.... #.... #.##. ##..# #...# #...# ####."),
    ("c", "..... ..... .###. #.... #.... #...# .###."),
    ("d", "....# ....# .##.# #..## #...# #...# .####"),
    ("e", "..... ..... .###. #...# ##### #.... .###."),
    ("f", "..##. .#..# .#... ###.. .#... .#... .#..."),
    ("g", "..... ..... .#### #...# #...# #...# .#### ....# .###."),
    ("h", "#.... #.... #.##. ##..# #...# #...# #...#"),
    ("i", "..#.. ..... .##.. ..#.. ..#.. ..#.. .###."),
    ("j", "...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##.."),
    ("k", "#.... #.... #..#. #.#.. ##... #.#.. #..#."),
    ("l", ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###."),
    ("m", "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#"),
    ("n", "..... ..... #.##. ##..# #...# #...# #...#"),
    ("o", "..... ..... .###. #...# #...# #...# .###."),
    ("p", "..... ..... ####. #...# #...# #...# ####. #.... #...."),
    ("q", "..... ..... .#### #...# #...# #...# .#### ....# ....#"),
    ("r", "..... ..... #.##. ##..# #.... #.... #...."),
    ("s", "..... ..... .#### #.... .###. ....# ####."),
    ("t", ".#... .#... ###.. .#... .#... .#..# ..##."),
    ("u", "..... ..... #...# #...# #...# #..## .##.#"),
    ("v", "..... ..... #...# #...# #...# .#.#. ..#.."),
    ("w", "..... ..... #...# #...# #.#.# #.#.# .#.#."),
    ("x", "..... ..... #...# .#.#. ..#.. .#.#. #...#"),
    ("y", "..... ..... #...# #...# #...# #...# .#### ....# .###."),
    ("z", "..... ..... ##### ...#. ..#.. .#... #####"),
    ("{", "...#. ..#.. ..#.. .#... ..#.. ..#.. ...#."),
    ("|", "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#.."),
    ("}", ".#... ..#.. ..#.. ...#. ..#.. ..#.. .#..."),
    ("~", "..... ..... .#... #.#.# ...#."),
    // The minus sign is a full-width bar, wider than the hyphen above.
    ("\u{2212}", "..... ..... ..... ##### ..... ..... ....."),
    ("\u{03C3}", "..... ..... .#### #..#. #...# #...# .###."),
    ("\u{00B1}", "..#.. ..#.. ##### ..#.. ..#.. ..... #####"),
    ("\u{00D7}", "..... #...# .#.#. ..#.. .#.#. #...# ....."),
    ("\u{2026}", "..... ..... ..... ..... ..... ..... #.#.#"),
    ("\u{00B0}", ".##.. #..#. #..#. .##.."),
  ]
}
