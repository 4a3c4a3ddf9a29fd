/// "Did you mean" suggestions for misspelt names.
enum Suggestions {
  /// Returns the candidate closest to `name` by edit distance, counting a swap of two
  /// neighbouring letters as one edit, if it is close enough to be a likely typo. Names of 1
  /// or 2 characters get no suggestion; others allow 1 edit up to 4 characters, 2 up to 7
  /// and 3 beyond.
  static func closest(to name: String, among candidates: [String]) -> String? {
    let allowed: Int
    switch name.count {
    case ...2: return nil
    case ...4: allowed = 1
    case ...7: allowed = 2
    default: allowed = 3
    }
    var best: (name: String, distance: Int)?
    for candidate in Set(candidates) where candidate != name {
      let distance = editDistance(Array(name), Array(candidate))
      guard distance <= allowed else { continue }
      if let current = best,
        current.distance < distance || (current.distance == distance && current.name < candidate)
      {
        continue
      }
      best = (candidate, distance)
    }
    return best?.name
  }

  /// Computes the optimal string alignment distance, in which insertions, deletions,
  /// substitutions and swaps of adjacent characters each cost 1.
  static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previousRow = [Int](repeating: 0, count: b.count + 1)
    var row = Array(0...b.count)
    var result = 0
    for i in 1...a.count {
      let earlierRow = previousRow
      previousRow = row
      row = [Int](repeating: 0, count: b.count + 1)
      row[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        row[j] = min(previousRow[j] + 1, row[j - 1] + 1, previousRow[j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          row[j] = min(row[j], earlierRow[j - 2] + 1)
        }
      }
      result = row[b.count]
    }
    return result
  }
}
