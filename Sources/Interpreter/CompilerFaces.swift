import LatentLang

/// An axis as compiled code produces it.
typealias AxisCode = (Machine, Frame) throws -> Axis

/// One step from a variable to the part an assignment changes: a list element or a face
/// coordinate.
enum PathStep {
  case index(Evaluator, Location)
  case coordinate(AxisCode, Location)
}

/// The evaluated key of a `PathStep`.
enum PathKey {
  case index(Value)
  case axis(Axis)
}

extension Compiler {
  // MARK: - Axes

  /// Compiles `pc[N]` or an axis name to code that produces the axis.
  func compileAxis(_ reference: AxisReference) -> AxisCode {
    switch reference {
    case .pc(let index):
      let place = location(tree.range(of: index))
      if case .number(let number) = tree[index] {
        // A literal index is checked once here. A bad one is reported when the code runs, as a
        // runtime error like any other index.
        let result = Result { try machine.pcAxis(.number(number)) }
        return { _, _ in
          do { return try result.get() } catch let error as ScriptError {
            throw error.located(at: place)
          }
        }
      }
      let code = compile(index)
      return { machine, frame in
        let value = try code(machine, frame)
        return try locating(place) { try machine.pcAxis(value) }
      }
    case .named(let name):
      let place = location(name.range)
      let code: Evaluator
      switch lookup(name.text) {
      case .found:
        code = compileName(name.text, range: name.range)
      case .unknown:
        var message = "unknown axis '\(name.text)'"
        if let suggestion = Suggestions.closest(to: name.text, among: Array(axisNames)) {
          message += "; did you mean '\(suggestion)'?"
        } else {
          message += "; declare it with 'axis \(name.text) = pc[N]'"
        }
        report(message, at: name.range)
        code = constant(.nil)
      default:
        code = compileName(name.text, range: name.range)
      }
      return { machine, frame in
        let value = try code(machine, frame)
        guard case .axis(let axis) = value else {
          throw ScriptError(
            "'\(name.text)' is \(Operators.article(value)), not an axis; declare axes with "
              + "'axis \(name.text) = pc[N]'", at: place)
        }
        return axis
      }
    }
  }

  /// Returns the 0-based axis of a `pc[N]` literal that is in range and has σ > 0, for code
  /// that can then skip the checks; nil for anything else.
  func constantAxisIndex(_ reference: AxisReference) -> Int? {
    guard case .pc(let index) = reference, case .number(let number) = tree[index],
      number == number.rounded(), number >= 1, number <= Double(machine.basis.dimension),
      machine.basis.sigma[Int(number) - 1] > 0
    else { return nil }
    return Int(number) - 1
  }

  /// Compiles the value of `axis name = pc[index]`.
  func compileAxisValue(name: String, index: ExpressionID) -> Evaluator {
    let axis = compileAxis(.pc(index: index))
    return { machine, frame in
      .axis(Axis(index: try axis(machine, frame).index, name: name))
    }
  }

  // MARK: - Coordinates

  /// Compiles a read of `face.pc[N]`, `face.name` or a bare `pc[N]`.
  func compileCoordinateRead(face: ExpressionID?, axis: AxisReference, range: SourceRange)
    -> Evaluator
  {
    let axisCode = compileAxis(axis)
    let place = location(range)
    guard let face else {
      return { machine, frame in
        let axis = try axisCode(machine, frame)
        return try locating(place) {
          try machine.withCurrentFace { try machine.readCoordinate(in: $0, axis: axis) }
        }
      }
    }
    if case .name(let name) = tree[face], case .found(let binding) = lookup(name) {
      if let index = constantAxisIndex(axis) {
        let axis = machine.pcAxes[index]
        switch binding {
        case .local(let slot):
          return { machine, frame in
            let pointer = frame + slot
            if case .face(let face) = pointer.pointee,
              let coordinate = face.storedCoordinate(at: index)
            {
              return .sigma(coordinate)
            }
            return try locating(place) { try machine.readCoordinate(in: pointer, axis: axis) }
          }
        case .global(let slot):
          let pointer = machine.globals + slot
          return { machine, _ in
            if case .face(let face) = pointer.pointee,
              let coordinate = face.storedCoordinate(at: index)
            {
              return .sigma(coordinate)
            }
            return try locating(place) { try machine.readCoordinate(in: pointer, axis: axis) }
          }
        default:
          break
        }
      }
      switch binding {
      case .local(let slot):
        return { machine, frame in
          let axis = try axisCode(machine, frame)
          return try locating(place) { try machine.readCoordinate(in: frame + slot, axis: axis) }
        }
      case .global(let slot):
        return { machine, frame in
          let axis = try axisCode(machine, frame)
          return try locating(place) {
            try machine.readCoordinate(in: machine.globals + slot, axis: axis)
          }
        }
      default:
        break
      }
    }
    let faceCode = compile(face)
    return { machine, frame in
      var value = try faceCode(machine, frame)
      let axis = try axisCode(machine, frame)
      return try locating(place) {
        try withUnsafeMutablePointer(to: &value) { try machine.readCoordinate(in: $0, axis: axis) }
      }
    }
  }

  /// Compiles `face with { edits }`: a copy of the face with the edits applied in order.
  func compileWith(face: ExpressionID, edits: [FaceEdit], range: SourceRange) -> Evaluator {
    let faceCode = compile(face)
    let faceRange = location(tree.range(of: face))
    let compiled = edits.map { edit in
      (
        axis: compileAxis(edit.axis), op: edit.op, value: compile(edit.value),
        place: location(edit.range)
      )
    }
    return { machine, frame in
      var value = try faceCode(machine, frame)
      guard case .face = value else {
        throw ScriptError(
          "'with' edits a face, not \(Operators.article(value))", at: faceRange)
      }
      for edit in compiled {
        let axis = try edit.axis(machine, frame)
        let operand = try edit.value(machine, frame)
        try locating(edit.place) {
          try withUnsafeMutablePointer(to: &value) {
            try machine.editCoordinate(in: $0, axis: axis, op: edit.op, operand: operand)
          }
        }
      }
      return value
    }
  }

  // MARK: - Assignment

  func compileAssignment(
    target: ExpressionID, op: AssignmentOperator, value: ExpressionID, range: SourceRange
  ) -> Executor {
    let place = location(range)
    if case .name(let name) = tree[target] {
      return compileVariableAssignment(
        name, range: tree.range(of: target), op: op, value: value, place: place)
    }
    let valueCode = compile(value)
    guard let (root, steps) = assignmentPath(target) else { return { _, _ in .normal } }
    if steps.count == 1, case .coordinate(_, let axis) = tree[target],
      let index = constantAxisIndex(axis), root.isVariable
    {
      return compileConstantCoordinateAssignment(
        root: root, index: index, op: op, value: valueCode, place: place)
    }
    if steps.count == 1, case .coordinate(let axisCode, _) = steps[0] {
      return compileCoordinateAssignment(
        root: root, axis: axisCode, op: op, value: valueCode, place: place)
    }
    return { machine, frame in
      var keys: [PathKey] = []
      keys.reserveCapacity(steps.count)
      for step in steps {
        switch step {
        case .index(let code, _): keys.append(.index(try code(machine, frame)))
        case .coordinate(let code, _): keys.append(.axis(try code(machine, frame)))
        }
      }
      let operand = try valueCode(machine, frame)
      try root.withPointer(machine, frame) { pointer in
        try machine.update(pointer, steps: steps, keys: keys, depth: 0, op: op, operand: operand)
      }
      return .normal
    }
  }

  /// The variable or current face an assignment starts from.
  enum AssignmentRoot {
    case local(slot: Int)
    case global(slot: Int)
    case currentFace

    var isVariable: Bool {
      if case .currentFace = self { return false }
      return true
    }

    /// Runs `body` on the root's storage; a face left in a global becomes the current face.
    @inline(__always)
    func withPointer(
      _ machine: Machine, _ frame: Frame, _ body: (UnsafeMutablePointer<Value>) throws -> Void
    ) throws {
      switch self {
      case .local(let slot):
        try body(frame + slot)
      case .global(let slot):
        try body(machine.globals + slot)
        if case .face = machine.globals[slot] { machine.makeCurrent(globalSlot: slot) }
      case .currentFace:
        try machine.withCurrentFace(body)
      }
    }
  }

  /// Splits an assignment target into its root and the steps from there, or reports why it
  /// cannot be assigned.
  func assignmentPath(_ target: ExpressionID) -> (AssignmentRoot, [PathStep])? {
    var steps: [PathStep] = []
    var node = target
    var root: AssignmentRoot?
    while root == nil {
      let place = location(tree.range(of: node))
      switch tree[node] {
      case .index(let base, let index):
        steps.append(.index(compile(index), place))
        node = base
      case .coordinate(let face, let axis):
        steps.append(.coordinate(compileAxis(axis), place))
        guard let face else {
          root = .currentFace
          break
        }
        node = face
      case .name(let name):
        switch resolve(name, at: tree.range(of: node)) {
        case .local(let slot)?: root = .local(slot: slot)
        case .global(let slot)?: root = .global(slot: slot)
        case .builtin?, .selfFunction?:
          report("cannot assign into '\(name)', which is a function", at: tree.range(of: node))
          return nil
        case nil:
          return nil
        }
      default:
        report(
          "cannot assign into the result of an expression; store it in a variable first",
          at: tree.range(of: node))
        return nil
      }
    }
    steps.reverse()
    for case .coordinate(_, let place) in steps.dropLast() {
      report("a face coordinate is a σ value and has no parts to assign to", at: place.range)
      return nil
    }
    return (root!, steps)
  }

  func compileCoordinateAssignment(
    root: AssignmentRoot, axis: @escaping AxisCode, op: AssignmentOperator,
    value: @escaping Evaluator, place: Location
  ) -> Executor {
    return { machine, frame in
      let axis = try axis(machine, frame)
      let operand = try value(machine, frame)
      try locating(place) {
        try root.withPointer(machine, frame) { pointer in
          try machine.editCoordinate(in: pointer, axis: axis, op: op, operand: operand)
        }
      }
      return .normal
    }
  }

  /// Compiles `variable.pc[N] = value` for a literal N that `constantAxisIndex` accepts:
  /// setting a face's coordinate to a σ value happens inline, anything else takes the
  /// checked path.
  func compileConstantCoordinateAssignment(
    root: AssignmentRoot, index: Int, op: AssignmentOperator, value: @escaping Evaluator,
    place: Location
  ) -> Executor {
    let axis = machine.pcAxes[index]
    var globalSlot: Int?
    if case .global(let slot) = root { globalSlot = slot }
    let globals = machine.globals
    return { machine, frame in
      let operand = try value(machine, frame)
      let pointer: UnsafeMutablePointer<Value>
      switch root {
      case .local(let slot): pointer = frame + slot
      case .global(let slot): pointer = globals + slot
      case .currentFace: preconditionFailure("only variables take this path")
      }
      if op == .assign, case .sigma(let amount) = operand, amount.isFinite,
        case .face(var face) = pointer.pointee
      {
        pointer.pointee = .nil
        let accepted = face.setCoordinate(at: index, to: amount)
        pointer.pointee = .face(face)
        if !accepted {
          throw machine.overflowError(axis, amount, in: face).located(at: place)
        }
      } else {
        try locating(place) {
          try machine.editCoordinate(in: pointer, axis: axis, op: op, operand: operand)
        }
      }
      if let globalSlot { machine.makeCurrent(globalSlot: globalSlot) }
      return .normal
    }
  }

  func compileVariableAssignment(
    _ name: String, range: SourceRange, op: AssignmentOperator, value valueID: ExpressionID,
    place: Location
  ) -> Executor {
    let fused = op == .assign ? fusedArithmetic(valueID) : nil
    let value = fused == nil ? compile(valueID) : constant(.nil)
    let slot: Int
    let isGlobal: Bool
    switch resolve(name, at: range) {
    case .local(let local)?:
      slot = local
      isGlobal = false
    case .global(let global)?:
      slot = global
      isGlobal = true
    case .builtin?, .selfFunction?:
      report(
        "cannot assign to the function '\(name)'; declare a variable with 'let \(name) = ...'",
        at: range)
      return { _, _ in .normal }
    case nil:
      return { _, _ in .normal }
    }
    if op == .assign {
      let target: StoreTarget = isGlobal ? .global(slot: slot) : .local(slot: slot)
      if let fused { return compileStore(to: target, fused: fused) }
      return compileStore(to: target, code: value)
    }
    let arithmetic = op.arithmetic!
    return { machine, frame in
      let operand = try value(machine, frame)
      let pointer = isGlobal ? machine.globals + slot : frame + slot
      if case .number(let a) = pointer.pointee, case .number(let b) = operand {
        switch arithmetic {
        case .add:
          pointer.pointee = .number(a + b)
          return .normal
        case .subtract:
          pointer.pointee = .number(a - b)
          return .normal
        default:
          break
        }
      }
      let current = pointer.pointee
      let result = try locating(place) {
        try Operators.binary(arithmetic, current, operand, options: machine.options)
      }
      pointer.pointee = result
      if isGlobal, case .face = result { machine.makeCurrent(globalSlot: slot) }
      return .normal
    }
  }
}
