extension Parser {
  /// expression -> or-expression
  mutating func parseExpression() throws -> ExpressionID {
    try enterNesting(at: peek())
    defer { leaveNesting() }
    return try parseOr()
  }

  /// Parses a left-associative chain `operand (operator operand)*` into one `.binary` node.
  mutating func parseChain(
    _ operators: (TokenKind) -> BinaryOperator?, operand: (inout Parser) throws -> ExpressionID
  ) throws -> ExpressionID {
    let start = peek()
    let first = try operand(&self)
    var rest: [BinaryTerm] = []
    while let op = operators(peek().kind) {
      let operatorToken = advance()
      skipNewlines()
      rest.append(
        BinaryTerm(op: op, operand: try operand(&self), operatorRange: operatorToken.range))
    }
    if rest.isEmpty { return first }
    return tree.add(.binary(first: first, rest: rest), at: range(from: start))
  }

  /// or-expression -> and-expression ("or" and-expression)*
  mutating func parseOr() throws -> ExpressionID {
    try parseChain({ $0 == .keywordOr ? .or : nil }) { try $0.parseAnd() }
  }

  /// and-expression -> not-expression ("and" not-expression)*
  mutating func parseAnd() throws -> ExpressionID {
    try parseChain({ $0 == .keywordAnd ? .and : nil }) { try $0.parseNot() }
  }

  /// not-expression -> "not" not-expression | comparison
  mutating func parseNot() throws -> ExpressionID {
    let token = peek()
    guard token.kind == .keywordNot else { return try parseComparison() }
    advance()
    try enterNesting(at: token)
    defer { leaveNesting() }
    let operand = try parseNot()
    return tree.add(.unary(.not, operand), at: range(from: token))
  }

  /// comparison -> range-expression (comparison-operator range-expression)?
  /// comparison-operator -> "==" | "!=" | "<" | "<=" | ">" | ">="
  mutating func parseComparison() throws -> ExpressionID {
    let start = peek()
    let left = try parseRange()
    guard let op = Parser.comparisonOperator(peek().kind) else { return left }
    let operatorToken = advance()
    skipNewlines()
    let right = try parseRange()
    if Parser.comparisonOperator(peek().kind) != nil {
      let spelling = file.slice(peek().range)
      throw error(
        "comparisons cannot be chained; join them with 'and', as in 'a < b and b \(spelling) c'",
        at: peek())
    }
    let term = BinaryTerm(op: op, operand: right, operatorRange: operatorToken.range)
    return tree.add(.binary(first: left, rest: [term]), at: range(from: start))
  }

  /// range-expression -> additive ("to" additive ("step" additive)?)?
  mutating func parseRange() throws -> ExpressionID {
    let start = peek()
    let first = try parseAdditive()
    guard match(.keywordTo) else { return first }
    skipNewlines()
    let end = try parseAdditive()
    var step: ExpressionID?
    if match(.keywordStep) {
      skipNewlines()
      step = try parseAdditive()
    }
    return tree.add(.range(start: first, end: end, step: step), at: range(from: start))
  }

  /// additive -> multiplicative (("+" | "-") multiplicative)*
  mutating func parseAdditive() throws -> ExpressionID {
    try parseChain(Parser.additiveOperator) { try $0.parseMultiplicative() }
  }

  /// multiplicative -> unary (("*" | "/" | "%") unary)*
  mutating func parseMultiplicative() throws -> ExpressionID {
    try parseChain(Parser.multiplicativeOperator) { try $0.parseUnary() }
  }

  static func comparisonOperator(_ kind: TokenKind) -> BinaryOperator? {
    switch kind {
    case .equalEqual: return .equal
    case .bangEqual: return .notEqual
    case .less: return .less
    case .lessEqual: return .lessEqual
    case .greater: return .greater
    case .greaterEqual: return .greaterEqual
    default: return nil
    }
  }

  static func additiveOperator(_ kind: TokenKind) -> BinaryOperator? {
    switch kind {
    case .plus: return .add
    case .minus: return .subtract
    default: return nil
    }
  }

  static func multiplicativeOperator(_ kind: TokenKind) -> BinaryOperator? {
    switch kind {
    case .star: return .multiply
    case .slash: return .divide
    case .percent: return .remainder
    default: return nil
    }
  }

  static func assignmentOperator(_ kind: TokenKind) -> AssignmentOperator? {
    switch kind {
    case .equal: return .assign
    case .plusEqual: return .add
    case .minusEqual: return .subtract
    case .starEqual: return .multiply
    case .slashEqual: return .divide
    default: return nil
    }
  }

  /// unary -> ("-" | "+") unary | power
  ///
  /// Unary minus binds more loosely than `^`, so `-3^2` is `-(3^2)`.
  mutating func parseUnary() throws -> ExpressionID {
    let token = peek()
    let op: UnaryOperator
    switch token.kind {
    case .minus: op = .negate
    case .plus: op = .plus
    default: return try parsePower()
    }
    advance()
    try enterNesting(at: token)
    defer { leaveNesting() }
    let operand = try parseUnary()
    return tree.add(.unary(op, operand), at: range(from: token))
  }

  /// power -> postfix ("^" unary)?
  ///
  /// The exponent is a `unary`, so `^` is right-associative and `2^-1` works.
  mutating func parsePower() throws -> ExpressionID {
    let start = peek()
    let base = try parsePostfix()
    guard check(.caret) else { return base }
    let operatorToken = advance()
    skipNewlines()
    try enterNesting(at: operatorToken)
    defer { leaveNesting() }
    let exponent = try parseUnary()
    let term = BinaryTerm(op: .power, operand: exponent, operatorRange: operatorToken.range)
    return tree.add(.binary(first: base, rest: [term]), at: range(from: start))
  }

  /// postfix -> primary postfix-suffix*
  /// postfix-suffix -> "(" arguments? ")" | "[" expression "]" | "." "pc" "[" expression "]"
  ///   | "." IDENTIFIER | "with" "{" face-edit ("," face-edit)* ","? "}"
  mutating func parsePostfix() throws -> ExpressionID {
    let start = peek()
    var expression = try parsePrimary()
    let depthBefore = nestingDepth
    defer { nestingDepth = depthBefore }
    while true {
      let token = peek()
      switch token.kind {
      case .leftParen:
        expression = try parseCall(callee: expression, start: start)
      case .leftBracket:
        let index = try parseBracketedIndex()
        expression = tree.add(.index(base: expression, index: index), at: range(from: start))
      case .dot:
        expression = try parseMember(of: expression, start: start)
      case .keywordWith:
        expression = try parseWith(face: expression, start: start)
      default:
        return expression
      }
      // Each suffix wraps the expression so far in one more node.
      try enterNesting(at: token)
    }
  }

  /// arguments -> expression ("," expression)* ","?
  mutating func parseCall(callee: ExpressionID, start: Token) throws -> ExpressionID {
    let open = advance()
    groupingDepth += 1
    var arguments: [ExpressionID] = []
    while !check(.rightParen) {
      arguments.append(try parseExpression())
      if !match(.comma) { break }
    }
    try expect(.rightParen, "')' after the arguments", closing: open)
    groupingDepth -= 1
    return tree.add(.call(callee: callee, arguments: arguments), at: range(from: start))
  }

  /// Parses `"[" expression "]"`.
  mutating func parseBracketedIndex() throws -> ExpressionID {
    let open = try expect(.leftBracket, "'['")
    groupingDepth += 1
    let index = try parseExpression()
    try expect(.rightBracket, "']' after the index", closing: open)
    groupingDepth -= 1
    return index
  }

  /// Parses `"." "pc" "[" expression "]"` or `"." IDENTIFIER` after a face expression.
  mutating func parseMember(of face: ExpressionID, start: Token) throws -> ExpressionID {
    advance()
    let token = peek()
    let axis: AxisReference
    switch token.kind {
    case .keywordPc:
      advance()
      axis = .pc(index: try parseBracketedIndex())
    case .identifier:
      advance()
      axis = .named(Name(text: token.text, range: token.range))
    default:
      throw error(
        "expected 'pc[N]' or an axis name after '.', found \(describe(token))", at: token)
    }
    return tree.add(.coordinate(face: face, axis: axis), at: range(from: start))
  }

  /// Parses `"with" "{" face-edit ("," face-edit)* ","? "}"`.
  mutating func parseWith(face: ExpressionID, start: Token) throws -> ExpressionID {
    advance()
    let open = try expect(.leftBrace, "'{' after 'with'")
    groupingDepth += 1
    var edits: [FaceEdit] = []
    while !check(.rightBrace) {
      edits.append(try parseFaceEdit())
      if !match(.comma) { break }
    }
    try expect(.rightBrace, "'}' after the edits", closing: open)
    groupingDepth -= 1
    return tree.add(.with(face: face, edits: edits), at: range(from: start))
  }

  /// face-edit -> ("pc" "[" expression "]" | IDENTIFIER) assignment-operator expression
  mutating func parseFaceEdit() throws -> FaceEdit {
    let start = peek()
    let axis: AxisReference
    switch start.kind {
    case .keywordPc:
      advance()
      axis = .pc(index: try parseBracketedIndex())
    case .identifier:
      advance()
      axis = .named(Name(text: start.text, range: start.range))
    default:
      throw error(
        "expected an edit such as 'pc[1] = 2σ' inside 'with { }', found \(describe(start))",
        at: start)
    }
    guard let op = Parser.assignmentOperator(peek().kind) else {
      throw error("expected '=', '+=' or '-=' in the edit, found \(describe(peek()))", at: peek())
    }
    advance()
    let value = try parseExpression()
    return FaceEdit(axis: axis, op: op, value: value, range: range(from: start))
  }

  /// primary -> NUMBER | SIGMA-NUMBER | STRING | interpolated-string | "true" | "false" | "nil"
  ///   | IDENTIFIER | "pc" "[" expression "]" | "(" expression ")" | list
  mutating func parsePrimary() throws -> ExpressionID {
    let token = peek()
    switch token.kind {
    case .number:
      advance()
      return tree.add(.number(token.number), at: token.range)
    case .sigmaNumber:
      advance()
      return tree.add(.sigma(token.number), at: token.range)
    case .string:
      advance()
      return tree.add(.string(token.text), at: token.range)
    case .interpolationStart:
      return try parseInterpolation()
    case .keywordTrue, .keywordFalse:
      advance()
      return tree.add(.boolean(token.kind == .keywordTrue), at: token.range)
    case .keywordNil:
      advance()
      return tree.add(.nilLiteral, at: token.range)
    case .identifier:
      advance()
      return tree.add(.name(token.text), at: token.range)
    case .keywordPc:
      advance()
      let index = try parseBracketedIndex()
      return tree.add(.coordinate(face: nil, axis: .pc(index: index)), at: range(from: token))
    case .leftParen:
      advance()
      groupingDepth += 1
      let inner = try parseExpression()
      try expect(.rightParen, "')'", closing: token)
      groupingDepth -= 1
      return inner
    case .leftBracket:
      return try parseList()
    default:
      throw error("expected an expression, found \(describe(token))", at: token)
    }
  }

  /// list -> "[" (expression ("," expression)* ","?)? "]"
  mutating func parseList() throws -> ExpressionID {
    let open = advance()
    groupingDepth += 1
    var elements: [ExpressionID] = []
    while !check(.rightBracket) {
      elements.append(try parseExpression())
      if !match(.comma) { break }
    }
    try expect(.rightBracket, "']' after the list elements", closing: open)
    groupingDepth -= 1
    return tree.add(.list(elements), at: range(from: open))
  }

  /// interpolated-string -> INTERPOLATION-START expression
  ///   (INTERPOLATION-MIDDLE expression)* INTERPOLATION-END
  mutating func parseInterpolation() throws -> ExpressionID {
    let first = advance()
    var parts: [InterpolationPart] = []
    if !first.text.isEmpty { parts.append(.text(first.text)) }
    groupingDepth += 1
    while true {
      parts.append(.expression(try parseExpression()))
      let token = peek()
      guard token.kind == .interpolationMiddle || token.kind == .interpolationEnd else {
        throw error(
          "expected '}' after the interpolated expression, found \(describe(token))", at: token)
      }
      advance()
      if !token.text.isEmpty { parts.append(.text(token.text)) }
      if token.kind == .interpolationEnd { break }
    }
    groupingDepth -= 1
    return tree.add(.interpolation(parts), at: range(from: first))
  }
}
