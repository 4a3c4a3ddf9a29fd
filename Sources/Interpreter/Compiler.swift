import FaceRuntime
import LatentLang

/// A compiled chunk, ready to run.
struct CompiledChunk {
  let body: Executor
  /// Frame size for the chunk's block-local variables.
  let slotCount: Int
  /// Top-level functions, stored in their global slots before the body runs, so a chunk can
  /// call a function declared further down.
  let hoisted: [(slot: Int, function: Function)]
  /// The top-level names this chunk declares, to add to the interpreter's globals.
  let declaredGlobals: [String: Int]
}

/// The variable, builtin or function that a name refers to.
enum Binding {
  case local(slot: Int)
  case global(slot: Int)
  case builtin(Builtin)
  /// A function's own name inside its body.
  case selfFunction(Function)
}

/// The scopes of one function being compiled, or of the chunk's top level.
final class FunctionContext {
  let parent: FunctionContext?
  /// The function's own name and value, so its body can call itself.
  let selfBinding: (name: String, function: Function)?
  /// Block scopes, innermost last, mapping names to frame slots. At the top level of a chunk
  /// this is empty, and names declared there are globals.
  var scopes: [[String: Int]] = []
  var nextSlot = 0
  var slotCount = 0
  var loopDepth = 0

  init(parent: FunctionContext?, selfBinding: (name: String, function: Function)?) {
    self.parent = parent
    self.selfBinding = selfBinding
  }

  var isChunkTopLevel: Bool { parent == nil }

  func lookup(_ name: String) -> Int? {
    for scope in scopes.reversed() {
      if let slot = scope[name] { return slot }
    }
    return nil
  }

  func declare(_ name: String) -> Int {
    let slot = nextSlot
    nextSlot += 1
    slotCount = max(slotCount, nextSlot)
    scopes[scopes.count - 1][name] = slot
    return slot
  }

  /// Runs `body` in a new block scope; the scope's slots are reused after it.
  func withScope<T>(_ body: () -> T) -> T {
    let savedNext = nextSlot
    scopes.append([:])
    defer {
      scopes.removeLast()
      nextSlot = savedNext
    }
    return body()
  }
}

/// A compiled statement, wrapped so that arrays of them store the closure as it is. An array
/// of bare closures stores them in a generic form, and every call then goes through a
/// conversion thunk.
struct Step {
  let run: Executor
}

/// A compiled expression, wrapped for arrays like `Step`.
struct Code {
  let run: Evaluator
}

/// Turns a syntax tree into closures.
///
/// Names are resolved here, once: locals become frame slots, top-level variables global
/// slots, and everything else a builtin or an error with a suggestion. Mistakes found here
/// are reported as syntax errors, all of them in one pass.
final class Compiler {
  let tree: SyntaxTree
  let file: SourceFile
  let machine: Machine
  /// Top-level names from earlier chunks, with their global slots.
  let knownGlobals: [String: Int]
  /// Slots of names that a failed chunk declared and never bound. Declaring such a name
  /// again reuses its slot, because functions of that chunk may still read it.
  let unboundGlobals: [String: Int]
  let builtins: [String: Builtin]
  var diagnostics: [Diagnostic] = []
  /// The statement being compiled; builtin calls inside it record it for the files they
  /// write.
  var statementRange: SourceRange?
  var context = FunctionContext(parent: nil, selfBinding: nil)
  /// Top-level names this chunk declares, found before compiling anything.
  var chunkGlobals: [String: Int] = [:]
  /// Chunk globals whose declaration the top-level code has passed.
  var reachedGlobals: Set<String> = []
  /// The function of each top-level `fn` statement.
  var topLevelFunctions: [Int: Function] = [:]
  /// Names declared with `axis` in this or earlier chunks, for suggestions.
  var axisNames: Set<String>

  init(
    tree: SyntaxTree, file: SourceFile, machine: Machine, knownGlobals: [String: Int],
    unboundGlobals: [String: Int] = [:], builtins: [String: Builtin], axisNames: Set<String>
  ) {
    self.unboundGlobals = unboundGlobals
    self.axisNames = axisNames
    self.tree = tree
    self.file = file
    self.machine = machine
    self.knownGlobals = knownGlobals
    self.builtins = builtins
  }

  /// Compiles the whole chunk, or returns nil after recording diagnostics.
  func compileChunk() -> CompiledChunk? {
    declareTopLevelNames()
    let statements = tree.topLevel
    let executors = statements.enumerated().map { index, id in
      Step(run: compile(id, isLastTopLevel: index == statements.count - 1))
    }
    guard diagnostics.isEmpty else { return nil }
    var hoisted: [(slot: Int, function: Function)] = []
    for id in statements {
      guard let function = topLevelFunctions[id.index], let slot = chunkGlobals[function.name]
      else { continue }
      hoisted.append((slot, function))
    }
    return CompiledChunk(
      body: sequence(executors), slotCount: context.slotCount, hoisted: hoisted,
      declaredGlobals: chunkGlobals)
  }

  /// Gives every top-level `let`, `axis` and `fn` name a global slot.
  private func declareTopLevelNames() {
    for id in tree.topLevel {
      let name: Name
      switch tree[id] {
      case .letBinding(let declared, _):
        name = declared
      case .axisDeclaration(let declared, _):
        name = declared
        axisNames.insert(declared.text)
      case .function(let declaration):
        name = declaration.name
        let user = UserFunction(
          name: declaration.name.text, parameters: declaration.parameters.map(\.text))
        topLevelFunctions[id.index] = Function(name: user.name, implementation: .user(user))
        reachedGlobals.insert(name.text)
      default:
        continue
      }
      if chunkGlobals[name.text] == nil {
        guard
          let slot = knownGlobals[name.text] ?? unboundGlobals[name.text]
            ?? machine.addGlobal(named: name.text)
        else {
          report(
            "too many top-level names (limit is \(Machine.globalCapacity)); put some inside "
              + "functions or blocks",
            at: name.range)
          return
        }
        chunkGlobals[name.text] = slot
      }
    }
  }

  // MARK: - Diagnostics

  func location(_ range: SourceRange) -> Location {
    Location(file: file, range: range)
  }

  /// Records a compile error. Callers then return placeholder code so compiling can go on.
  func report(_ message: String, at range: SourceRange) {
    diagnostics.append(Diagnostic(.error, message, in: file, at: range))
  }

  // MARK: - Names

  /// The outcome of looking a name up, before anything is reported.
  enum Lookup {
    case found(Binding)
    /// A local of an enclosing function or top-level block, which functions cannot use.
    case enclosing
    /// A top-level name whose declaration the top-level code has not reached.
    case beforeDeclaration
    case unknown
  }

  func lookup(_ name: String) -> Lookup {
    if let slot = context.lookup(name) { return .found(.local(slot: slot)) }
    if let own = context.selfBinding, own.name == name {
      return .found(.selfFunction(own.function))
    }
    var outer = context.parent
    while let enclosing = outer {
      if enclosing.lookup(name) != nil || enclosing.selfBinding?.name == name { return .enclosing }
      outer = enclosing.parent
    }
    if let slot = chunkGlobals[name] {
      if context.isChunkTopLevel && !reachedGlobals.contains(name) && knownGlobals[name] == nil {
        return .beforeDeclaration
      }
      return .found(.global(slot: slot))
    }
    if let slot = knownGlobals[name] { return .found(.global(slot: slot)) }
    if let builtin = builtins[name] { return .found(.builtin(builtin)) }
    return .unknown
  }

  /// Resolves a name where it is used, reporting names that cannot be used there.
  func resolve(_ name: String, at range: SourceRange) -> Binding? {
    switch lookup(name) {
    case .found(let binding):
      return binding
    case .enclosing:
      report(
        "'\(name)' belongs to an enclosing block or function; a function can use only its "
          + "parameters, its own variables and top-level variables, so pass '\(name)' "
          + "as an argument",
        at: range)
    case .beforeDeclaration:
      report("'\(name)' is used before its declaration", at: range)
    case .unknown:
      report(unknownNameMessage(name), at: range)
    }
    return nil
  }

  /// Checks, without reporting anything, whether a name is a builtin here.
  func refersToBuiltin(_ name: String) -> Bool {
    if case .found(.builtin) = lookup(name) { return true }
    return false
  }

  /// Returns the global slot a name refers to here, or nil when it is not a global.
  func globalSlot(ofName name: String) -> Int? {
    if case .found(.global(let slot)) = lookup(name) { return slot }
    return nil
  }

  func unknownNameMessage(_ name: String) -> String {
    if unboundGlobals[name] != nil {
      return "'\(name)' has no value: the 'let' or 'axis' that declared it failed earlier; "
        + "run it again"
    }
    var message = "unknown name '\(name)'"
    if let suggestion = Suggestions.closest(to: name, among: visibleNames()) {
      message += "; did you mean '\(suggestion)'?"
    }
    return message
  }

  /// Lists every name the code at the current point could use.
  func visibleNames() -> [String] {
    var names = context.scopes.flatMap { $0.keys }
    if let own = context.selfBinding { names.append(own.name) }
    names += knownGlobals.keys
    names += chunkGlobals.keys.filter { !context.isChunkTopLevel || reachedGlobals.contains($0) }
    names += builtins.keys
    return names
  }

  // MARK: - Statements

  /// Chains statements; the result is the first flow that is not `.normal`.
  func sequence(_ executors: [Step]) -> Executor {
    switch executors.count {
    case 0:
      return { _, _ in .normal }
    case 1:
      return executors[0].run
    case 2:
      let first = executors[0].run
      let second = executors[1].run
      return { machine, frame in
        let flow = try first(machine, frame)
        if flow != .normal { return flow }
        return try second(machine, frame)
      }
    default:
      // Two halves joined like the two-statement case. Calling closures held in an array
      // would retain and release each one per call; captured closures are borrowed.
      let middle = executors.count / 2
      let first = sequence(Array(executors[..<middle]))
      let second = sequence(Array(executors[middle...]))
      return { machine, frame in
        let flow = try first(machine, frame)
        if flow != .normal { return flow }
        return try second(machine, frame)
      }
    }
  }

  func compile(_ block: Block) -> Executor {
    context.withScope { sequence(block.statements.map { Step(run: compile($0)) }) }
  }

  func compile(_ id: StatementID, isLastTopLevel: Bool = false) -> Executor {
    let range = tree.range(of: id)
    let enclosing = statementRange
    statementRange = range
    defer { statementRange = enclosing }
    switch tree[id] {
    case .expression(let expression):
      let code = compile(expression)
      if isLastTopLevel {
        return { machine, frame in
          machine.lastValue = try code(machine, frame)
          return .normal
        }
      }
      return { machine, frame in
        _ = try code(machine, frame)
        return .normal
      }
    case .letBinding(let name, let value):
      return compileDeclaration(name, value: value)
    case .axisDeclaration(let name, let index):
      axisNames.insert(name.text)
      return compileDeclaration(name, code: compileAxisValue(name: name.text, index: index))
    case .assignment(let target, let op, let value):
      return compileAssignment(target: target, op: op, value: value, range: range)
    case .function(let declaration):
      return compileFunction(declaration, statement: id)
    case .conditional(let clauses, let elseBody):
      return compileConditional(clauses, elseBody: elseBody)
    case .whileLoop(let condition, let body):
      return compileWhile(condition: condition, body: body, range: range)
    case .forLoop(let variable, let sequence, let body):
      return compileFor(variable: variable, sequence: sequence, body: body, range: range)
    case .returnStatement(let value):
      return compileReturn(value, range: range)
    case .breakStatement:
      return compileLoopExit(.breakLoop, keyword: "break", range: range)
    case .continueStatement:
      return compileLoopExit(.continueLoop, keyword: "continue", range: range)
    case .block(let block):
      return compile(block)
    }
  }

  func compileLoopExit(_ flow: Flow, keyword: String, range: SourceRange) -> Executor {
    guard context.loopDepth > 0 else {
      report("'\(keyword)' outside a loop", at: range)
      return { _, _ in .normal }
    }
    return { _, _ in flow }
  }

  /// Binds a name declared with `let`: a global at the top level of the chunk, otherwise a
  /// new local.
  func compileDeclaration(_ name: Name, value: ExpressionID) -> Executor {
    let fused = fusedArithmetic(value)
    let code = fused == nil ? compile(value) : constant(.nil)
    let target = declare(name)
    if let fused { return compileStore(to: target, fused: fused) }
    return compileStore(to: target, code: code)
  }

  /// Binds a name declared with `axis`.
  func compileDeclaration(_ name: Name, code: @escaping Evaluator) -> Executor {
    compileStore(to: declare(name), code: code)
  }

  /// Declares a variable: a global at the top level of the chunk, otherwise a new local.
  private func declare(_ name: Name) -> StoreTarget {
    if context.isChunkTopLevel && context.scopes.isEmpty, let slot = chunkGlobals[name.text] {
      reachedGlobals.insert(name.text)
      return .global(slot: slot)
    }
    return .local(slot: context.declare(name.text))
  }

  /// A variable that a statement stores into.
  enum StoreTarget {
    case local(slot: Int)
    case global(slot: Int)
  }

  /// Stores a value into a variable; a face stored in a global becomes the current face.
  func compileStore(to target: StoreTarget, code: @escaping Evaluator) -> Executor {
    switch target {
    case .local(let slot):
      return { machine, frame in
        frame[slot] = try code(machine, frame)
        return .normal
      }
    case .global(let slot):
      let pointer = machine.globals + slot
      return { machine, frame in
        let result = try code(machine, frame)
        pointer.pointee = result
        if case .face = result { machine.makeCurrent(globalSlot: slot) }
        return .normal
      }
    }
  }

  /// An addition, subtraction or multiplication whose operands a store can read inline.
  struct FusedArithmetic {
    let op: BinaryOperator
    let left: Operand
    let right: Operand
    let place: Location

    /// Computes the result, with two numbers handled inline.
    @inline(__always)
    func value(_ machine: Machine, _ frame: Frame) throws -> Value {
      let a = try left.value(machine, frame)
      let b = try right.value(machine, frame)
      if case .number(let x) = a, case .number(let y) = b {
        switch op {
        case .add: return .number(x + y)
        case .subtract: return .number(x - y)
        default: return .number(x * y)
        }
      }
      return try locating(place) { try Operators.binary(op, a, b, options: machine.options) }
    }
  }

  /// Recognizes `a + b`, `a - b` and `a * b`, which a store computes without a further call.
  func fusedArithmetic(_ id: ExpressionID) -> FusedArithmetic? {
    guard case .binary(let first, let rest) = tree[id], rest.count == 1,
      [.add, .subtract, .multiply].contains(rest[0].op)
    else { return nil }
    return FusedArithmetic(
      op: rest[0].op, left: operand(first), right: operand(rest[0].operand),
      place: location(rest[0].operatorRange))
  }

  /// Stores the result of fused arithmetic into a variable.
  func compileStore(to target: StoreTarget, fused: FusedArithmetic) -> Executor {
    switch target {
    case .local(let slot):
      return { machine, frame in
        frame[slot] = try fused.value(machine, frame)
        return .normal
      }
    case .global(let slot):
      let pointer = machine.globals + slot
      return { machine, frame in
        let result = try fused.value(machine, frame)
        pointer.pointee = result
        if case .face = result { machine.makeCurrent(globalSlot: slot) }
        return .normal
      }
    }
  }

  func compileFunction(_ declaration: FunctionDeclaration, statement: StatementID) -> Executor {
    let isHoisted = context.isChunkTopLevel && context.scopes.isEmpty
    let function =
      topLevelFunctions[statement.index]
      ?? Function(
        name: declaration.name.text,
        implementation: .user(
          UserFunction(
            name: declaration.name.text, parameters: declaration.parameters.map(\.text))))
    guard case .user(let user) = function.implementation else { return { _, _ in .normal } }
    let saved = context
    context = FunctionContext(
      parent: saved, selfBinding: (name: declaration.name.text, function: function))
    context.scopes.append([:])
    for parameter in declaration.parameters {
      _ = context.declare(parameter.text)
    }
    user.body = sequence(declaration.body.statements.map { Step(run: compile($0)) })
    user.slotCount = context.slotCount
    context = saved
    if isHoisted { return { _, _ in .normal } }
    let slot = context.declare(declaration.name.text)
    let value = Value.function(function)
    return { _, frame in
      frame[slot] = value
      return .normal
    }
  }

  func compileConditional(_ clauses: [ConditionalClause], elseBody: Block?) -> Executor {
    struct Branch {
      let condition: (Machine, Frame) throws -> Bool
      let body: Executor
    }
    let branches = clauses.map {
      Branch(condition: compileCondition($0.condition), body: compile($0.body))
    }
    let otherwise: Executor = elseBody.map { compile($0) } ?? { _, _ in .normal }
    if branches.count == 1 {
      let condition = branches[0].condition
      let body = branches[0].body
      return { machine, frame in
        if try condition(machine, frame) { return try body(machine, frame) }
        return try otherwise(machine, frame)
      }
    }
    return { machine, frame in
      for branch in branches where try branch.condition(machine, frame) {
        return try branch.body(machine, frame)
      }
      return try otherwise(machine, frame)
    }
  }

  /// Compiles a `while` loop. A condition that compares two operands is evaluated inline.
  func compileWhile(condition: ExpressionID, body: Block, range: SourceRange) -> Executor {
    let comparison = loopComparison(condition)
    let test = comparison == nil ? compileCondition(condition) : { _, _ in false }
    context.loopDepth += 1
    let code = compile(body)
    context.loopDepth -= 1
    let place = location(range)
    guard let (op, left, right, comparisonPlace) = comparison else {
      return { machine, frame in
        while try test(machine, frame) {
          try locating(place) { try machine.tick() }
          switch try code(machine, frame) {
          case .breakLoop: return .normal
          case .returned: return .returned
          case .normal, .continueLoop: continue
          }
        }
        return .normal
      }
    }
    return { machine, frame in
      while true {
        let a = try left.value(machine, frame)
        let b = try right.value(machine, frame)
        let holds: Bool
        if case .number(let x) = a, case .number(let y) = b {
          switch op {
          case .less: holds = x < y
          case .lessEqual: holds = x <= y
          case .greater: holds = x > y
          case .greaterEqual: holds = x >= y
          case .equal: holds = x == y
          default: holds = x != y
          }
        } else {
          holds = try locating(comparisonPlace) { try Operators.test(op, a, b) }
        }
        if !holds { return .normal }
        try locating(place) { try machine.tick() }
        switch try code(machine, frame) {
        case .breakLoop: return .normal
        case .returned: return .returned
        case .normal, .continueLoop: continue
        }
      }
    }
  }

  /// Returns the parts of a condition that compares two operands, or nil for other conditions.
  func loopComparison(_ id: ExpressionID) -> (BinaryOperator, Operand, Operand, Location)? {
    guard case .binary(let first, let rest) = tree[id], rest.count == 1 else { return nil }
    switch rest[0].op {
    case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual:
      return (
        rest[0].op, operand(first), operand(rest[0].operand), location(rest[0].operatorRange)
      )
    default:
      return nil
    }
  }

  func compileFor(
    variable: Name, sequence: ExpressionID, body: Block, range: SourceRange
  ) -> Executor {
    let place = location(range)
    let sequenceRange = tree.range(of: sequence)
    if case .range(let start, let end, let step) = tree[sequence] {
      let bounds = (compile(start), compile(end), step.map { compile($0) })
      let (slot, code) = compileLoopBody(variable: variable, body: body)
      let boundsPlace = location(sequenceRange)
      return { machine, frame in
        let range = try locating(boundsPlace) {
          try NumericRange(
            start: try bounds.0(machine, frame), end: try bounds.1(machine, frame),
            step: try bounds.2?(machine, frame))
        }
        var index = 0
        while index < range.count {
          try locating(place) { try machine.tick() }
          frame[slot] = range.value(at: index)
          index += 1
          switch try code(machine, frame) {
          case .breakLoop: return .normal
          case .returned: return .returned
          case .normal, .continueLoop: continue
          }
        }
        return .normal
      }
    }
    let elements = compile(sequence)
    let (slot, code) = compileLoopBody(variable: variable, body: body)
    let sequencePlace = location(sequenceRange)
    return { machine, frame in
      let value = try elements(machine, frame)
      guard case .list(let items) = value else {
        throw ScriptError(
          "'for' loops over a list or a range such as 0 to 10, not \(Operators.article(value))",
          at: sequencePlace)
      }
      for item in items {
        try locating(place) { try machine.tick() }
        frame[slot] = item
        switch try code(machine, frame) {
        case .breakLoop: return .normal
        case .returned: return .returned
        case .normal, .continueLoop: continue
        }
      }
      return .normal
    }
  }

  /// Declares the loop variable in a scope around the body and compiles the body.
  private func compileLoopBody(variable: Name, body: Block) -> (slot: Int, code: Executor) {
    context.withScope {
      let slot = context.declare(variable.text)
      context.loopDepth += 1
      defer { context.loopDepth -= 1 }
      return (slot, compile(body))
    }
  }

  func compileReturn(_ value: ExpressionID?, range: SourceRange) -> Executor {
    guard context.parent != nil else {
      report("'return' outside a function", at: range)
      return { _, _ in .normal }
    }
    guard let value else {
      return { machine, _ in
        machine.returnValue = .nil
        return .returned
      }
    }
    let code = compile(value)
    return { machine, frame in
      machine.returnValue = try code(machine, frame)
      return .returned
    }
  }
}
