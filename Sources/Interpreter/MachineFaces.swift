import LatentLang

extension Machine {
  /// Makes the axis for `pc[value]`, checking that the index is a whole number in range.
  func pcAxis(_ value: Value) throws -> Axis {
    guard case .number(let number) = value else {
      throw ScriptError("a pc index must be a number, got \(Operators.article(value))")
    }
    guard number == number.rounded(), number.isFinite else {
      throw ScriptError("a pc index must be a whole number, got \(NumberFormat.format(number))")
    }
    guard number >= 1 && number <= Double(basis.dimension) else {
      var message =
        "pc index \(NumberFormat.format(number)) is out of range; this model has axes pc[1] "
        + "to pc[\(basis.dimension)]"
      let spanned = basis.sigma.filter { $0 > 0 }.count
      if spanned < basis.dimension {
        message += ", of which pc[1] to pc[\(spanned)] have σ > 0"
      }
      throw ScriptError(message)
    }
    return pcAxes[Int(number) - 1]
  }

  /// Checks that an axis has σ units, that is σ > 0.
  func checkSigma(_ axis: Axis) throws {
    guard basis.sigma[axis.index] <= 0 else { return }
    let spanned = basis.sigma.filter { $0 > 0 }.count
    let name = axis.name.map { "'\($0)' (pc[\(axis.index + 1)])" } ?? "pc[\(axis.index + 1)]"
    throw ScriptError(
      "\(name) has σ = 0 in this model, whose training faces span only \(spanned) of its "
        + "\(basis.dimension) axes, so it has no σ units; use an axis from pc[1] to "
        + "pc[\(max(spanned, 1))]")
  }

  /// Reads a face's coordinate on `axis` in σ units from a variable, keeping the computed
  /// coordinates in the variable for the next read.
  func readCoordinate(in pointer: UnsafeMutablePointer<Value>, axis: Axis) throws -> Value {
    guard case .face(var face) = pointer.pointee else {
      throw ScriptError(
        "cannot read \(axisName(axis)) of \(Operators.article(pointer.pointee)); "
          + "coordinates belong to faces")
    }
    try checkSigma(axis)
    if let coordinate = face.storedCoordinate(at: axis.index) { return .sigma(coordinate) }
    pointer.pointee = .nil
    let coordinate = face.coordinate(at: axis.index)
    pointer.pointee = .face(face)
    return .sigma(coordinate)
  }

  /// Sets or adjusts a face's coordinate on `axis` in place.
  func editCoordinate(
    in pointer: UnsafeMutablePointer<Value>, axis: Axis, op: AssignmentOperator, operand: Value
  ) throws {
    guard case .face(var face) = pointer.pointee else {
      throw ScriptError(
        "cannot set \(axisName(axis)) of \(Operators.article(pointer.pointee)); "
          + "coordinates belong to faces")
    }
    try checkSigma(axis)
    var result = operand
    if let arithmetic = op.arithmetic {
      let current = Value.sigma(face.coordinate(at: axis.index))
      result = try Operators.binary(arithmetic, current, operand, options: options)
    }
    guard case .sigma(let amount) = result else {
      if case .number(let number) = result {
        throw ScriptError(
          "\(axisName(axis)) is in σ units; write \(NumberFormat.format(number))σ, not "
            + NumberFormat.format(number))
      }
      throw ScriptError(
        "\(axisName(axis)) must be set to a σ value such as 2σ, not "
          + Operators.article(result))
    }
    guard amount.isFinite else {
      throw ScriptError(
        "\(axisName(axis)) must be a finite σ value, got \(NumberFormat.format(amount))σ")
    }
    pointer.pointee = .nil
    let accepted = face.setCoordinate(at: axis.index, to: amount)
    pointer.pointee = .face(face)
    guard accepted else { throw overflowError(axis, amount, in: face) }
  }

  /// Makes the error for a coordinate value that would give `face` a latent vector that is
  /// not finite in single precision, with the range that works.
  func overflowError(_ axis: Axis, _ amount: Double, in face: Face) -> ScriptError {
    let range = face.coordinateRange(at: axis.index)
    let name = axisName(axis)
    return ScriptError(
      "\(name) = \(NumberFormat.format(amount))σ is too large: the face's latent vector would "
        + "not be finite in single precision; for this face \(name) must be between "
        + "\(ValueFormat.signedSigma(range.lowerBound, rounding: .towardZero)) and "
        + ValueFormat.signedSigma(range.upperBound, rounding: .towardZero))
  }

  func axisName(_ axis: Axis) -> String {
    axis.name ?? "pc[\(axis.index + 1)]"
  }

  /// Checks a value that a host function returned: faces and directions must come from
  /// this model, and are rebuilt on this interpreter's basis if another interpreter of an
  /// equal model made them.
  func adopt(_ value: Value, from function: String) throws -> Value {
    switch value {
    case .face(let face):
      if face.basis === basis { return value }
      guard face.basis.pca == basis.pca else { throw foreignModelError(function) }
      return .face(try self.face(latent: face.latent, from: "\(function)(…)"))
    case .direction(let direction):
      if direction.basis === basis { return value }
      guard direction.basis.pca == basis.pca else { throw foreignModelError(function) }
      guard let adopted = Direction(offset: direction.offset, basis: basis) else {
        throw basis.nonFiniteError(
          "\(function)(…)", making: "a direction", from: direction.offset)
      }
      return .direction(adopted)
    case .list(let elements):
      try checkNesting(of: elements)
      return .list(try elements.map { try adopt($0, from: function) })
    default:
      return value
    }
  }

  private func foreignModelError(_ function: String) -> ScriptError {
    ScriptError("\(function) returned a face or direction of another model")
  }

  /// Makes the face in a global the current face.
  @inline(__always)
  func makeCurrent(globalSlot slot: Int) {
    state.pointee.currentFaceUpdates &+= 1
    if case .global(let current) = state.pointee.currentFace, current == slot { return }
    state.pointee.currentFace = .global(slot: slot)
  }

  /// Runs `body` on the storage of the current face.
  func withCurrentFace<T>(_ body: (UnsafeMutablePointer<Value>) throws -> T) throws -> T {
    switch currentFace {
    case .none:
      throw ScriptError(
        "there is no current face; assign a face to a variable or show one first, as in "
          + "let f = random(1)")
    case .global(let slot):
      guard case .face = globals[slot] else {
        throw ScriptError(
          "the current face was '\(globalNames[slot])', which now holds "
            + "\(Operators.article(globals[slot])); assign a face to a variable or show one")
      }
      return try body(globals + slot)
    case .detached(let face):
      var value = Value.face(face)
      currentFace = .none
      defer {
        if case .face(let edited) = value { currentFace = .detached(edited) }
      }
      return try body(&value)
    }
  }

  /// Returns the current face.
  func currentFaceValue() throws -> Face {
    try withCurrentFace { pointer in
      guard case .face(let face) = pointer.pointee else { preconditionFailure("checked above") }
      return face
    }
  }

  /// Applies an assignment along a path of list elements and at most one final coordinate.
  func update(
    _ pointer: UnsafeMutablePointer<Value>, steps: [PathStep], keys: [PathKey], depth: Int,
    op: AssignmentOperator, operand: Value
  ) throws {
    guard depth < steps.count else {
      if let arithmetic = op.arithmetic {
        pointer.pointee = try Operators.binary(
          arithmetic, pointer.pointee, operand, options: options)
      } else {
        pointer.pointee = operand
      }
      return
    }
    switch (steps[depth], keys[depth]) {
    case (.coordinate(_, let place), .axis(let axis)):
      try locating(place) {
        try editCoordinate(in: pointer, axis: axis, op: op, operand: operand)
      }
    case (.index(_, let place), .index(let key)):
      guard case .list(var elements) = pointer.pointee else {
        throw ScriptError(
          "cannot assign to an element of \(Operators.article(pointer.pointee)); only list "
            + "elements can be assigned", at: place)
      }
      let position = try locating(place) {
        try Indexing.position(of: key, count: elements.count)
      }
      pointer.pointee = .nil
      defer { pointer.pointee = .list(elements) }
      try elements.withUnsafeMutableBufferPointer { buffer in
        try update(
          buffer.baseAddress! + position, steps: steps, keys: keys, depth: depth + 1, op: op,
          operand: operand)
      }
    default:
      preconditionFailure("path keys are evaluated from their steps")
    }
  }

  // MARK: - Limits

  func checkStringLength(_ byteCount: Int) throws {
    guard byteCount > options.maximumStringLength else { return }
    throw ScriptError(
      "a string would be \(byteCount) bytes long, more than the limit of "
        + "\(options.maximumStringLength)")
  }

  func checkListLength(_ count: Int) throws {
    guard count > options.maximumListLength else { return }
    throw ScriptError(
      "a list would have \(count) elements, more than the limit of \(options.maximumListLength)")
  }

  /// Checks a new list's length and that it nests lists no deeper than `maximumListNesting`.
  /// The elements already obey the limit, so the depth computation recurses at most that
  /// deep.
  func checkNesting(of elements: [Value]) throws {
    try checkListLength(elements.count)
    for element in elements where Machine.nestingDepth(of: element) >= Machine.maximumListNesting {
      throw ScriptError("lists are nested more than \(Machine.maximumListNesting) levels deep")
    }
  }

  /// The deepest lists may nest, which keeps freeing them from recursing too deeply.
  static let maximumListNesting = 256

  static func nestingDepth(of value: Value) -> Int {
    guard case .list(let elements) = value else { return 0 }
    var deepest = 0
    for element in elements {
      if case .list = element { deepest = max(deepest, nestingDepth(of: element)) }
    }
    return deepest + 1
  }
}

/// List and string indexing: 0-based, with negative indexes counting from the end.
enum Indexing {
  /// Turns an index value into a position in `0..<count`.
  static func position(of key: Value, count: Int) throws -> Int {
    guard case .number(let number) = key else {
      throw ScriptError("an index must be a number, got \(Operators.article(key))")
    }
    guard number == number.rounded(), number.isFinite, abs(number) < 1e15 else {
      throw ScriptError("an index must be a whole number, got \(NumberFormat.format(number))")
    }
    let index = Int(number)
    let position = index < 0 ? count + index : index
    guard position >= 0 && position < count else {
      if count == 0 {
        throw ScriptError("index \(index) is out of range for an empty list")
      }
      throw ScriptError(
        "index \(index) is out of range for \(count) element\(count == 1 ? "" : "s"); "
          + "valid indexes are 0 to \(count - 1), or -\(count) to -1 from the end")
    }
    return position
  }

  static func element(of container: Value, at key: Value) throws -> Value {
    switch container {
    case .list(let elements):
      return elements[try position(of: key, count: elements.count)]
    case .string(let text):
      let characters = Array(text)
      return .string(String(characters[try position(of: key, count: characters.count)]))
    case .face:
      throw ScriptError("cannot index a face; read a coordinate with f.pc[N]")
    default:
      throw ScriptError(
        "cannot index \(Operators.article(container)); only lists and strings have elements")
    }
  }
}
