import LatentLang

/// One compiled term of an operator chain such as `a + b - c`.
struct ChainTerm {
  let op: BinaryOperator
  let code: Evaluator
  let place: Location
}

/// An operand that compiled operators read without calling a closure when it is a literal or
/// a variable.
enum Operand {
  case constant(Value)
  case local(slot: Int)
  case global(UnsafeMutablePointer<Value>)
  case code(Evaluator)

  @inline(__always)
  func value(_ machine: Machine, _ frame: Frame) throws -> Value {
    switch self {
    case .constant(let value): return value
    case .local(let slot):
      // Numbers are rebuilt rather than copied, which skips the general copy of a `Value`.
      if case .number(let number) = frame[slot] { return .number(number) }
      return frame[slot]
    case .global(let pointer):
      if case .number(let number) = pointer.pointee { return .number(number) }
      return pointer.pointee
    case .code(let code): return try code(machine, frame)
    }
  }
}

extension Compiler {
  func compile(_ id: ExpressionID) -> Evaluator {
    let range = tree.range(of: id)
    switch tree[id] {
    case .number(let number):
      return constant(.number(number))
    case .sigma(let number):
      return constant(.sigma(number))
    case .string(let text):
      return constant(.string(text))
    case .boolean(let value):
      return constant(.bool(value))
    case .nilLiteral:
      return constant(.nil)
    case .interpolation(let parts):
      return compileInterpolation(parts, range: range)
    case .name(let name):
      return compileName(name, range: range)
    case .list(let elements):
      return compileList(elements, range: range)
    case .unary(let op, let operand):
      return compileUnary(op, operand: compile(operand), range: range)
    case .binary(let first, let rest):
      return compileBinary(first: first, rest: rest)
    case .range(let start, let end, let step):
      return compileRangeList(start: start, end: end, step: step, range: range)
    case .call(let callee, let arguments):
      return compileCall(callee: callee, arguments: arguments, range: range)
    case .index(let base, let index):
      return compileIndex(base: compile(base), index: compile(index), range: range)
    case .coordinate(let face, let axis):
      return compileCoordinateRead(face: face, axis: axis, range: range)
    case .with(let face, let edits):
      return compileWith(face: face, edits: edits, range: range)
    }
  }

  func constant(_ value: Value) -> Evaluator {
    return { _, _ in value }
  }

  /// Compiles an operand of a binary operator so that literals and variables are read inline.
  func operand(_ id: ExpressionID) -> Operand {
    switch tree[id] {
    case .number(let number):
      return .constant(.number(number))
    case .sigma(let number):
      return .constant(.sigma(number))
    case .name(let name):
      switch lookup(name) {
      case .found(.local(let slot)): return .local(slot: slot)
      case .found(.global(let slot)): return .global(machine.globals + slot)
      default: return .code(compile(id))
      }
    default:
      return .code(compile(id))
    }
  }

  func compileName(_ name: String, range: SourceRange) -> Evaluator {
    switch resolve(name, at: range) {
    case .local(let slot)?:
      return { _, frame in frame[slot] }
    case .global(let slot)?:
      let pointer = machine.globals + slot
      return { _, _ in pointer.pointee }
    case .builtin(let builtin)?:
      return constant(.function(Function(name: builtin.name, implementation: .builtin(builtin))))
    case .selfFunction(let function)?:
      return { [unowned function] _, _ in .function(function) }
    case nil:
      return constant(.nil)
    }
  }

  func compileInterpolation(_ parts: [InterpolationPart], range: SourceRange) -> Evaluator {
    enum Piece {
      case text(String)
      case code(Evaluator)
    }
    let pieces: [Piece] = parts.map { part in
      switch part {
      case .text(let text): return .text(text)
      case .expression(let expression): return .code(compile(expression))
      }
    }
    let place = location(range)
    return { machine, frame in
      var text = ""
      for piece in pieces {
        switch piece {
        case .text(let literal): text += literal
        case .code(let code): text += ValueFormat.describe(try code(machine, frame), quoted: false)
        }
        try locating(place) { try machine.checkStringLength(text.utf8.count) }
      }
      return .string(text)
    }
  }

  func compileList(_ elements: [ExpressionID], range: SourceRange) -> Evaluator {
    let codes = elements.map { Code(run: compile($0)) }
    let place = location(range)
    return { machine, frame in
      var values: [Value] = []
      values.reserveCapacity(codes.count)
      for code in codes {
        values.append(try code.run(machine, frame))
      }
      try locating(place) { try machine.checkNesting(of: values) }
      return .list(values)
    }
  }

  func compileUnary(_ op: UnaryOperator, operand: @escaping Evaluator, range: SourceRange)
    -> Evaluator
  {
    let place = location(range)
    switch op {
    case .negate:
      return { machine, frame in
        let value = try operand(machine, frame)
        if case .number(let number) = value { return .number(-number) }
        return try locating(place) { try Operators.negate(value) }
      }
    case .plus:
      return { machine, frame in
        let value = try operand(machine, frame)
        return try locating(place) { try Operators.plus(value) }
      }
    case .not:
      return { machine, frame in
        let value = try operand(machine, frame)
        return try locating(place) { try Operators.not(value) }
      }
    }
  }

  func compileBinary(first: ExpressionID, rest: [BinaryTerm]) -> Evaluator {
    let op = rest[0].op
    if op == .and || op == .or {
      let operands = [Code(run: compile(first))] + rest.map { Code(run: compile($0.operand)) }
      return compileLogic(op, operands: operands, rest: rest)
    }
    if rest.count == 1 {
      return compilePair(
        op, operand(first), operand(rest[0].operand), location(rest[0].operatorRange))
    }
    let firstCode = compile(first)
    let terms = rest.map {
      ChainTerm(op: $0.op, code: compile($0.operand), place: location($0.operatorRange))
    }
    return { machine, frame in
      var accumulator = try firstCode(machine, frame)
      for term in terms {
        let operand = try term.code(machine, frame)
        if case .number(let a) = accumulator, case .number(let b) = operand {
          switch term.op {
          case .add:
            accumulator = .number(a + b)
            continue
          case .subtract:
            accumulator = .number(a - b)
            continue
          case .multiply:
            accumulator = .number(a * b)
            continue
          default:
            break
          }
        }
        let left = accumulator
        accumulator = try locating(term.place) {
          try Operators.binary(term.op, left, operand, options: machine.options)
        }
      }
      return accumulator
    }
  }

  /// Compiles `and` and `or`, which evaluate operands left to right only as far as needed.
  func compileLogic(_ op: BinaryOperator, operands: [Code], rest: [BinaryTerm]) -> Evaluator {
    let places = [location(rest[0].operatorRange)] + rest.map { location($0.operatorRange) }
    let stopValue = op == .or
    return { machine, frame in
      for (index, operand) in operands.enumerated() {
        let value = try operand.run(machine, frame)
        guard case .bool(let truth) = value else {
          throw Operators.logicError(op, value).located(at: places[index])
        }
        if truth == stopValue { return .bool(stopValue) }
      }
      return .bool(!stopValue)
    }
  }

  /// Compiles one binary operation, with numbers and σ values handled inline.
  func compilePair(
    _ op: BinaryOperator, _ left: Operand, _ right: Operand, _ place: Location
  ) -> Evaluator {
    @inline(__always)
    func slow(_ machine: Machine, _ a: Value, _ b: Value) throws -> Value {
      try locating(place) { try Operators.binary(op, a, b, options: machine.options) }
    }
    switch op {
    case .add:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        switch (a, b) {
        case (.number(let x), .number(let y)): return .number(x + y)
        case (.sigma(let x), .sigma(let y)): return .sigma(x + y)
        default: return try slow(machine, a, b)
        }
      }
    case .subtract:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        switch (a, b) {
        case (.number(let x), .number(let y)): return .number(x - y)
        case (.sigma(let x), .sigma(let y)): return .sigma(x - y)
        default: return try slow(machine, a, b)
        }
      }
    case .multiply:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        switch (a, b) {
        case (.number(let x), .number(let y)): return .number(x * y)
        case (.number(let x), .sigma(let y)), (.sigma(let y), .number(let x)): return .sigma(x * y)
        default: return try slow(machine, a, b)
        }
      }
    case .divide:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        switch (a, b) {
        case (.number(let x), .number(let y)) where y != 0: return .number(x / y)
        case (.sigma(let x), .sigma(let y)) where y != 0: return .number(x / y)
        default: return try slow(machine, a, b)
        }
      }
    case .remainder:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        if case .number(let x) = a, case .number(let y) = b,
          let remainder = Compiler.wholeRemainder(x, y)
        {
          return .number(remainder)
        }
        return try slow(machine, a, b)
      }
    case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual:
      let test = compileComparison(op, left, right, place)
      return { machine, frame in .bool(try test(machine, frame)) }
    default:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        return try slow(machine, a, b)
      }
    }
  }

  /// Computes the floored remainder of two whole numbers below 2^53 in integer arithmetic,
  /// which is much faster than `fmod`. Returns nil for other operands, which take the
  /// general path.
  @inline(__always)
  static func wholeRemainder(_ x: Double, _ y: Double) -> Double? {
    let limit = 9_007_199_254_740_992.0
    guard x == x.rounded(.towardZero), y == y.rounded(.towardZero), abs(x) < limit,
      abs(y) < limit, y != 0
    else { return nil }
    let divisor = Int64(y)
    var remainder = Int64(x) % divisor
    if remainder != 0 && (remainder < 0) != (divisor < 0) { remainder += divisor }
    return Double(remainder)
  }

  /// Compiles a comparison to code that returns a Swift `Bool`, so conditions skip building
  /// a `Value`.
  func compileComparison(
    _ op: BinaryOperator, _ left: Operand, _ right: Operand, _ place: Location
  ) -> (Machine, Frame) throws -> Bool {
    @inline(__always)
    func slow(_ a: Value, _ b: Value) throws -> Bool {
      switch op {
      case .equal: return a == b
      case .notEqual: return a != b
      default: return try locating(place) { try Operators.compare(op, a, b) }
      }
    }
    switch op {
    case .less:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        if case .number(let x) = a, case .number(let y) = b { return x < y }
        return try slow(a, b)
      }
    case .lessEqual:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        if case .number(let x) = a, case .number(let y) = b { return x <= y }
        return try slow(a, b)
      }
    case .greater:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        if case .number(let x) = a, case .number(let y) = b { return x > y }
        return try slow(a, b)
      }
    case .greaterEqual:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        if case .number(let x) = a, case .number(let y) = b { return x >= y }
        return try slow(a, b)
      }
    default:
      return { machine, frame in
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        if case .number(let x) = a, case .number(let y) = b { return (x == y) == (op == .equal) }
        return try slow(a, b)
      }
    }
  }

  /// Compiles an `if` or `while` condition, which must be true or false.
  func compileCondition(_ id: ExpressionID) -> (Machine, Frame) throws -> Bool {
    if case .binary(let first, let rest) = tree[id], rest.count == 1 {
      switch rest[0].op {
      case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual:
        return compileComparison(
          rest[0].op, operand(first), operand(rest[0].operand), location(rest[0].operatorRange))
      default:
        break
      }
    }
    let code = compile(id)
    let place = location(tree.range(of: id))
    return { machine, frame in
      let value = try code(machine, frame)
      guard case .bool(let truth) = value else {
        throw ScriptError(
          "a condition must be true or false, got \(Operators.article(value))", at: place)
      }
      return truth
    }
  }

  /// Compiles a range used as a value: it becomes a list.
  func compileRangeList(
    start: ExpressionID, end: ExpressionID, step: ExpressionID?, range: SourceRange
  ) -> Evaluator {
    let startCode = compile(start)
    let endCode = compile(end)
    let stepCode = step.map { compile($0) }
    let place = location(range)
    return { machine, frame in
      let bounds = (
        try startCode(machine, frame), try endCode(machine, frame), try stepCode?(machine, frame)
      )
      return try locating(place) {
        let numbers = try NumericRange(start: bounds.0, end: bounds.1, step: bounds.2)
        try machine.checkListLength(numbers.count)
        return .list((0..<numbers.count).map { numbers.value(at: $0) })
      }
    }
  }

  func compileIndex(base: @escaping Evaluator, index: @escaping Evaluator, range: SourceRange)
    -> Evaluator
  {
    let place = location(range)
    return { machine, frame in
      let container = try base(machine, frame)
      let key = try index(machine, frame)
      return try locating(place) { try Indexing.element(of: container, at: key) }
    }
  }

  func compileCall(callee: ExpressionID, arguments: [ExpressionID], range: SourceRange)
    -> Evaluator
  {
    let place = location(range)
    let statement = location(statementRange ?? range)
    if case .name(let name) = tree[callee], let builtin = builtins[name],
      refersToBuiltin(name)
    {
      if !builtin.arity.contains(arguments.count) {
        do {
          try builtin.checkArity(arguments.count)
        } catch let error as ScriptError {
          report(error.message, at: range)
        } catch {}
        return constant(.nil)
      }
      if name == "show" {
        return compileShow(arguments.first, place: place)
      }
      let codes = arguments.map { Code(run: compile($0)) }
      return { machine, frame in
        var values: [Value] = []
        values.reserveCapacity(codes.count)
        for code in codes { values.append(try code.run(machine, frame)) }
        machine.state.pointee.statement = statement
        return try locating(place) { try builtin.body(machine, values) }
      }
    }
    let calleeCode = compile(callee)
    let codes = arguments.map { Code(run: compile($0)) }
    return { machine, frame in
      let value = try calleeCode(machine, frame)
      guard case .function(let function) = value else {
        throw ScriptError(
          "cannot call \(Operators.article(value)); only functions can be called", at: place)
      }
      switch function.implementation {
      case .user(let user):
        guard codes.count == user.parameters.count else {
          throw machine.arityError(user, count: codes.count).located(at: place)
        }
        return try locating(place) {
          try machine.run(user) { newFrame in
            for (index, code) in codes.enumerated() {
              newFrame[index] = try code.run(machine, frame)
            }
          }
        }
      case .builtin(let builtin):
        var values: [Value] = []
        values.reserveCapacity(codes.count)
        for code in codes { values.append(try code.run(machine, frame)) }
        machine.state.pointee.statement = statement
        return try locating(place) {
          try builtin.checkArity(values.count)
          return try builtin.body(machine, values)
        }
      }
    }
  }

  /// Compiles `show()` and `show(face)`. A shown face becomes the current face; when it is
  /// a top-level variable, later bare `pc[N]` edits change that variable.
  func compileShow(_ argument: ExpressionID?, place: Location) -> Evaluator {
    guard let argument else {
      return { machine, _ in
        let face = try locating(place) { try machine.currentFaceValue() }
        machine.sink.show(face)
        return .nil
      }
    }
    let code = compile(argument)
    var globalSlot: Int?
    if case .name(let name) = tree[argument] {
      globalSlot = self.globalSlot(ofName: name)
    }
    let argumentPlace = location(tree.range(of: argument))
    return { [globalSlot] machine, frame in
      let value = try code(machine, frame)
      guard case .face(let face) = value else {
        throw ScriptError(
          "show(face) displays a face, not \(Operators.article(value))", at: argumentPlace)
      }
      machine.currentFace = globalSlot.map { .global(slot: $0) } ?? .detached(face)
      machine.sink.show(face)
      return .nil
    }
  }
}
