/// Grids of face images with optional labels and a title, for comparing renders.
public enum ContactSheet {
  /// Space around and between cells, in pixels before scaling.
  package static let padding = 4
  /// Sheet colour behind the faces and text.
  package static let background: (UInt8, UInt8, UInt8) = (240, 240, 240)
  /// Text colour.
  package static let ink: (UInt8, UInt8, UInt8) = (32, 32, 32)
  /// Height of the label band under each face: the glyph plus 2 pixels above and below.
  package static let labelHeight = BitmapFont.glyphHeight + 4
  /// Height of the title band above the grid, excluding the top padding.
  package static let titleHeight = BitmapFont.glyphHeight + padding
  /// The narrowest cell of a labelled sheet: 8 glyphs, enough for "pc12 −2σ". Faces
  /// narrower than this are centred in their cell instead of cutting labels to a glyph or
  /// two.
  package static let minimumLabelledCellWidth = 48
  /// The widest a long label makes its cells: 24 glyphs. Longer labels are cut.
  package static let maximumLabelledCellWidth = 24 * BitmapFont.advance - 1

  /// Renders faces in a grid, `columns` per row, left to right and top to bottom.
  ///
  /// Before scaling the sheet is `c * w + (c + 1) * 4` pixels wide, where `c` is
  /// `min(columns, images.count)` and `w` the cell width: the width of the first image, and
  /// with labels at least 48 and at least what the widest label needs, up to 143 (24
  /// glyphs). Faces are centred in wider cells. The sheet is
  /// `4 + t + r * (h + l + 4)` pixels tall, where `r` is the number of rows, `h` the height
  /// of the first image, `l` is 13 with labels and 0 without, and `t` is 13 with a title
  /// and 0 without. Labels are centred under their face and titles start at the left.
  /// A label may be as wide as its cell plus half the gap on each side. Text too wide for
  /// its space (labels over 24 glyphs, titles wider than the sheet) is cut and ends with
  /// "…".
  /// - Parameters:
  ///   - images: The faces. Images of another size than the first are centre-cropped to
  ///     its aspect ratio and resized to its size. An empty array gives a blank sheet.
  ///   - columns: Faces per row, at least 1.
  ///   - labels: Text under each face, such as "pc1 −2σ". Missing entries leave a blank
  ///     label and extra entries are ignored.
  ///   - title: Text above the grid.
  ///   - scale: Whole factor applied to the finished sheet, faces and text alike,
  ///     by repeating pixels; at least 1.
  /// - Returns: The sheet.
  /// - Precondition: `columns` and `scale` are at least 1; callers taking them from user
  ///   input must check them first.
  public static func render(
    _ images: [RGBImage], columns: Int, labels: [String]? = nil, title: String? = nil,
    scale: Int = 1
  ) -> RGBImage {
    precondition(columns >= 1, "a contact sheet needs at least 1 column, got \(columns)")
    precondition(scale >= 1, "contact sheet scale must be at least 1, got \(scale)")
    let faceWidth = images.first?.width ?? 0
    var cellWidth = faceWidth
    if let labels {
      // A label may use half the gap on each side, so it needs its width less one gap.
      let widest = labels.map { BitmapFont.width(of: $0) - padding }.max() ?? 0
      cellWidth = max(faceWidth, minimumLabelledCellWidth, min(widest, maximumLabelledCellWidth))
    }
    let cellHeight = images.first?.height ?? 0
    let columnCount = max(1, min(columns, images.count))
    let rowCount = (images.count + columnCount - 1) / columnCount
    let labelBand = labels == nil ? 0 : labelHeight
    let titleBand = title == nil ? 0 : titleHeight
    let width = columnCount * cellWidth + (columnCount + 1) * padding
    let height = padding + titleBand + rowCount * (cellHeight + labelBand + padding)
    var sheet = RGBImage(width: width, height: height, fill: background)

    if let title {
      let text = fit(title, width: width - 2 * padding)
      BitmapFont.draw(text, into: &sheet, x: padding, y: padding, color: ink)
    }
    for (index, image) in images.enumerated() {
      let x = padding + (index % columnCount) * (cellWidth + padding)
      let y = padding + titleBand + (index / columnCount) * (cellHeight + labelBand + padding)
      paste(
        resized(image, width: faceWidth, height: cellHeight), into: &sheet,
        x: x + (cellWidth - faceWidth) / 2, y: y)
      if let labels, index < labels.count {
        // A label may use half the gap on each side, so neighbours never touch.
        let text = fit(labels[index], width: cellWidth + padding)
        let left = x + (cellWidth - BitmapFont.width(of: text)) / 2
        BitmapFont.draw(text, into: &sheet, x: left, y: y + cellHeight + 2, color: ink)
      }
    }
    return ImageOps.scaleNearest(sheet, factor: scale)
  }

  /// Shortens `text` until it fits in `width` pixels, marking the cut with "…".
  static func fit(_ text: String, width: Int) -> String {
    if BitmapFont.width(of: text) <= width {
      return text
    }
    var shortened = Substring(text)
    while !shortened.isEmpty {
      shortened = shortened.dropLast()
      let candidate = String(shortened) + "\u{2026}"
      if BitmapFont.width(of: candidate) <= width {
        return candidate
      }
    }
    return ""
  }

  private static func resized(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    if image.width == width && image.height == height {
      return image
    }
    if width == 0 || height == 0 || image.width == 0 || image.height == 0 {
      return RGBImage(width: width, height: height)
    }
    let cropped = ImageOps.centerCrop(image, aspect: Double(width) / Double(height))
    return ImageOps.resizeArea(cropped, width: width, height: height)
  }

  private static func paste(_ image: RGBImage, into sheet: inout RGBImage, x: Int, y: Int) {
    let rowBytes = image.width * 3
    for row in 0..<image.height {
      let source = row * rowBytes
      let target = ((y + row) * sheet.width + x) * 3
      sheet.pixels.replaceSubrange(
        target..<(target + rowBytes), with: image.pixels[source..<(source + rowBytes)])
    }
  }
}
