/// The result of parsing one chunk.
package struct ParseResult: Sendable {
  package var tree: SyntaxTree
  /// Lexer and parser errors in source order; the tree is only meaningful when this is empty.
  package var diagnostics: [Diagnostic]
  /// Whether the first error is an unexpected end of input, so that more lines could complete
  /// the chunk. The REPL reads another line when this is true.
  package var endedEarly: Bool
}

/// A recursive-descent parser with one method per grammar rule.
///
/// After a syntax error the parser skips to the next statement boundary and goes on, so one
/// run reports every broken statement. Every loop consumes at least one token per iteration
/// or leaves, and `synchronize(from:)` always consumes at least one token, so parsing ends.
package struct Parser {
  /// The deepest nesting of expressions and blocks the parser accepts.
  package static let nestingLimit = 256
  /// Parsing stops after this many errors.
  package static let errorLimit = 100

  let file: SourceFile
  var tokens: [Token]
  /// Index of the next raw token, which may be a newline that `peek()` skips.
  var position = 0
  var tree = SyntaxTree()
  var diagnostics: [Diagnostic] = []
  var endedEarly = false
  /// How many `(`, `[` and `with {` groups are open; newlines inside them are not statement
  /// separators.
  var groupingDepth = 0
  /// How many expressions and blocks enclose the current position.
  var nestingDepth = 0

  /// A syntax error that has been recorded; the statement loop catches it and recovers.
  struct RecoverableError: Error {}
  /// An error after which the parser gives up on the chunk, such as too deep nesting.
  struct FatalError: Error {}

  /// Parses a whole chunk.
  package static func parse(_ file: SourceFile) -> ParseResult {
    let (tokens, lexerDiagnostics) = Lexer.tokenize(file)
    var parser = Parser(file: file, tokens: tokens)
    parser.parseProgram()
    var diagnostics = lexerDiagnostics + parser.diagnostics
    diagnostics.sort { $0.range.start < $1.range.start }
    let endedEarly =
      parser.endedEarly && lexerDiagnostics.isEmpty
      && diagnostics.first?.range.start == parser.tokens.last?.range.start
    return ParseResult(tree: parser.tree, diagnostics: diagnostics, endedEarly: endedEarly)
  }

  init(file: SourceFile, tokens: [Token]) {
    self.file = file
    self.tokens = tokens
    // Point end-of-input errors just after the last real token rather than at a blank line.
    let lastEnd = tokens.last { $0.kind != .newline && $0.kind != .endOfInput }?.range.end ?? 0
    self.tokens[self.tokens.count - 1].range = SourceRange(start: lastEnd, end: lastEnd)
  }

  // MARK: - Helpers

  /// Returns the index of the next significant token, skipping newlines inside groups.
  func peekIndex() -> Int {
    var index = position
    if groupingDepth > 0 {
      while tokens[index].kind == .newline { index += 1 }
    }
    return index
  }

  func peek() -> Token { tokens[peekIndex()] }

  func check(_ kind: TokenKind) -> Bool { peek().kind == kind }

  /// Consumes and returns the next significant token; never moves past the end of input.
  @discardableResult
  mutating func advance() -> Token {
    let index = peekIndex()
    let token = tokens[index]
    if token.kind != .endOfInput { position = index + 1 }
    return token
  }

  /// Consumes the next token if it has the given kind.
  mutating func match(_ kind: TokenKind) -> Bool {
    guard check(kind) else { return false }
    advance()
    return true
  }

  /// Consumes a token of the given kind or reports `expected <what>, found <token>`.
  ///
  /// - Parameter opening: the bracket that the expected token closes; the error gets a note
  ///   pointing at it.
  @discardableResult
  mutating func expect(_ kind: TokenKind, _ what: String, closing opening: Token? = nil) throws
    -> Token
  {
    if check(kind) { return advance() }
    var notes: [Diagnostic] = []
    if let opening {
      let spelling = file.slice(opening.range)
      notes.append(Diagnostic(.note, "to match this '\(spelling)'", in: file, at: opening.range))
    }
    throw error("expected \(what), found \(describe(peek()))", at: peek(), notes: notes)
  }

  mutating func skipNewlines() {
    while tokens[position].kind == .newline { position += 1 }
  }

  /// Records a syntax error at `token` and returns the error to throw.
  ///
  /// Errors at an `.invalid` token are not recorded again, because the lexer reported them.
  mutating func error(_ message: String, at token: Token, notes: [Diagnostic] = []) -> Error {
    if token.kind == .endOfInput && diagnostics.isEmpty { endedEarly = true }
    if token.kind != .invalid {
      record(message, at: token.range, notes: notes)
    }
    return diagnostics.count >= Parser.errorLimit ? FatalError() : RecoverableError()
  }

  mutating func record(_ message: String, at range: SourceRange, notes: [Diagnostic] = []) {
    diagnostics.append(Diagnostic(.error, message, in: file, at: range, notes: notes))
  }

  /// Names a token as messages do: its spelling in quotes, or a phrase for line breaks, the
  /// end of input and strings.
  func describe(_ token: Token) -> String {
    switch token.kind {
    case .newline: return "line break"
    case .endOfInput: return "end of input"
    case .string, .interpolationStart: return "a string"
    case .interpolationMiddle, .interpolationEnd: return "'}'"
    default: return "'\(file.slice(token.range))'"
    }
  }

  /// Counts one more level of nesting, failing the whole parse past `nestingLimit`.
  mutating func enterNesting(at token: Token) throws {
    nestingDepth += 1
    if nestingDepth > Parser.nestingLimit {
      record(
        "expressions and blocks are nested too deeply (limit is \(Parser.nestingLimit))",
        at: token.range)
      throw FatalError()
    }
  }

  mutating func leaveNesting() {
    nestingDepth -= 1
  }

  func range(from start: Token) -> SourceRange {
    let end = position > 0 ? tokens[position - 1].range.end : start.range.end
    return SourceRange(start: start.range.start, end: max(end, start.range.end))
  }

  /// Skips tokens after a syntax error until a statement boundary: past a line break or `;`,
  /// or before a `}`, the end of input, or a keyword that starts a statement on a new line.
  /// Braces opened while skipping are skipped up to their `}`, so the body of a broken `if`
  /// or `fn` goes with it. Consumes at least one token when the failed statement consumed none.
  mutating func synchronize(from start: Int) {
    groupingDepth = 0
    var braceDepth = 0
    if position == start && tokens[position].kind != .endOfInput {
      if tokens[position].kind == .leftBrace { braceDepth += 1 }
      position += 1
    }
    while true {
      let kind = tokens[position].kind
      switch kind {
      case .endOfInput:
        return
      case .leftBrace:
        braceDepth += 1
      case .rightBrace:
        if braceDepth == 0 { return }
        braceDepth -= 1
      case .newline, .semicolon:
        if braceDepth == 0 {
          position += 1
          return
        }
      default:
        let startsLine = position > 0 && tokens[position - 1].kind == .newline
        if braceDepth == 0 && kind.startsStatement && startsLine {
          return
        }
      }
      position += 1
    }
  }

  // MARK: - Statements

  /// program -> separator* (statement (separator+ statement)*)? separator* end-of-input
  mutating func parseProgram() {
    do {
      tree.topLevel = try parseStatements(insideBlock: false)
    } catch {
      // A fatal error has been recorded; the tree is incomplete and will not be run.
    }
  }

  /// Parses statements up to a `}` (inside a block) or the end of input, recovering after
  /// each broken statement.
  mutating func parseStatements(insideBlock: Bool) throws -> [StatementID] {
    var statements: [StatementID] = []
    while true {
      while match(.newline) || match(.semicolon) {}
      let token = peek()
      if token.kind == .endOfInput { break }
      if token.kind == .rightBrace {
        if insideBlock { break }
        advance()
        _ = error("unexpected '}' with no open block", at: token)
        continue
      }
      let start = position
      let savedGrouping = groupingDepth
      let savedNesting = nestingDepth
      do {
        statements.append(try parseStatement())
        try expectStatementEnd()
      } catch is RecoverableError {
        groupingDepth = savedGrouping
        nestingDepth = savedNesting
        synchronize(from: start)
      }
    }
    return statements
  }

  /// Checks that a statement is followed by a line break, `;`, `}` or the end of input.
  mutating func expectStatementEnd() throws {
    let token = tokens[position]
    switch token.kind {
    case .newline, .semicolon:
      position += 1
    case .rightBrace, .endOfInput:
      break
    default:
      throw error(
        "expected a line break or ';' after the statement, found \(describe(token))", at: token)
    }
  }

  /// statement -> let-statement | axis-statement | function-declaration | if-statement
  ///   | while-statement | for-statement | return-statement | "break" | "continue" | block
  ///   | simple-statement
  mutating func parseStatement() throws -> StatementID {
    let token = peek()
    switch token.kind {
    case .keywordLet: return try parseLetStatement()
    case .keywordAxis: return try parseAxisStatement()
    case .keywordFn: return try parseFunctionDeclaration()
    case .keywordIf: return try parseIfStatement()
    case .keywordWhile: return try parseWhileStatement()
    case .keywordFor: return try parseForStatement()
    case .keywordReturn: return try parseReturnStatement()
    case .keywordBreak:
      advance()
      return tree.add(.breakStatement, at: token.range)
    case .keywordContinue:
      advance()
      return tree.add(.continueStatement, at: token.range)
    case .leftBrace:
      let block = try parseBlock()
      return tree.add(.block(block), at: block.range)
    case .keywordElse:
      throw error("'else' without a matching 'if'", at: token)
    default:
      return try parseSimpleStatement()
    }
  }

  /// Reads the name after a keyword such as `let`, `axis`, `fn` or `for`.
  mutating func expectName(after keyword: String) throws -> Name {
    let token = peek()
    guard token.kind == .identifier else {
      let reason =
        TokenKind.keywords[file.slice(token.range)] != nil && token.kind != .identifier
        ? "; '\(file.slice(token.range))' is a keyword" : ""
      throw error(
        "expected a name after '\(keyword)', found \(describe(token))\(reason)", at: token)
    }
    advance()
    return Name(text: token.text, range: token.range)
  }

  /// let-statement -> "let" IDENTIFIER "=" expression
  mutating func parseLetStatement() throws -> StatementID {
    let keyword = advance()
    let name = try expectName(after: "let")
    try expect(.equal, "'=' after 'let \(name.text)'")
    skipNewlines()
    let value = try parseExpression()
    return tree.add(.letBinding(name, value: value), at: range(from: keyword))
  }

  /// axis-statement -> "axis" IDENTIFIER "=" "pc" "[" expression "]"
  mutating func parseAxisStatement() throws -> StatementID {
    let keyword = advance()
    let name = try expectName(after: "axis")
    try expect(.equal, "'=' after 'axis \(name.text)'")
    guard check(.keywordPc) else {
      throw error(
        "expected 'pc[N]' after 'axis \(name.text) =', found \(describe(peek()))", at: peek())
    }
    advance()
    let index = try parseBracketedIndex()
    return tree.add(.axisDeclaration(name, index: index), at: range(from: keyword))
  }

  /// function-declaration -> "fn" IDENTIFIER "(" (IDENTIFIER ("," IDENTIFIER)* ","?)? ")" block
  mutating func parseFunctionDeclaration() throws -> StatementID {
    let keyword = advance()
    let name = try expectName(after: "fn")
    let open = try expect(.leftParen, "'(' after 'fn \(name.text)'")
    groupingDepth += 1
    var parameters: [Name] = []
    while !check(.rightParen) {
      let parameter = try expectName(after: parameters.isEmpty ? "(" : ",")
      if parameters.contains(where: { $0.text == parameter.text }) {
        record("duplicate parameter '\(parameter.text)'", at: parameter.range)
      }
      parameters.append(parameter)
      if !match(.comma) { break }
    }
    try expect(.rightParen, "')' after the parameters", closing: open)
    groupingDepth -= 1
    let body = try parseBlock()
    let declaration = FunctionDeclaration(name: name, parameters: parameters, body: body)
    return tree.add(.function(declaration), at: range(from: keyword))
  }

  /// if-statement -> "if" expression block ("else" "if" expression block)* ("else" block)?
  mutating func parseIfStatement() throws -> StatementID {
    let keyword = advance()
    var clauses: [ConditionalClause] = []
    var elseBody: Block?
    repeat {
      let condition = try parseExpression()
      clauses.append(ConditionalClause(condition: condition, body: try parseBlock()))
      guard matchElse() else { break }
      if !match(.keywordIf) {
        elseBody = try parseBlock()
        break
      }
    } while true
    return tree.add(.conditional(clauses, elseBody: elseBody), at: range(from: keyword))
  }

  /// Consumes `else`, also when it starts the line after a `}`.
  mutating func matchElse() -> Bool {
    var index = position
    while tokens[index].kind == .newline { index += 1 }
    guard tokens[index].kind == .keywordElse else { return false }
    position = index + 1
    return true
  }

  /// while-statement -> "while" expression block
  mutating func parseWhileStatement() throws -> StatementID {
    let keyword = advance()
    let condition = try parseExpression()
    let body = try parseBlock()
    return tree.add(.whileLoop(condition: condition, body: body), at: range(from: keyword))
  }

  /// for-statement -> "for" IDENTIFIER "in" expression block
  mutating func parseForStatement() throws -> StatementID {
    let keyword = advance()
    let variable = try expectName(after: "for")
    try expect(.keywordIn, "'in' after 'for \(variable.text)'")
    let sequence = try parseExpression()
    let body = try parseBlock()
    let loop = Statement.forLoop(variable: variable, sequence: sequence, body: body)
    return tree.add(loop, at: range(from: keyword))
  }

  /// return-statement -> "return" expression?
  mutating func parseReturnStatement() throws -> StatementID {
    let keyword = advance()
    switch tokens[position].kind {
    case .newline, .semicolon, .rightBrace, .endOfInput:
      return tree.add(.returnStatement(nil), at: keyword.range)
    default:
      let value = try parseExpression()
      return tree.add(.returnStatement(value), at: range(from: keyword))
    }
  }

  /// block -> "{" separator* (statement (separator+ statement)*)? separator* "}"
  mutating func parseBlock() throws -> Block {
    let open = try expect(.leftBrace, "'{'")
    try enterNesting(at: open)
    let savedGrouping = groupingDepth
    groupingDepth = 0
    let statements = try parseStatements(insideBlock: true)
    groupingDepth = savedGrouping
    try expect(.rightBrace, "'}' at the end of the block", closing: open)
    leaveNesting()
    return Block(statements: statements, range: range(from: open))
  }

  /// simple-statement -> expression (assignment-operator expression)?
  /// assignment-operator -> "=" | "+=" | "-=" | "*=" | "/="
  mutating func parseSimpleStatement() throws -> StatementID {
    let first = peek()
    let target = try parseExpression()
    guard let op = Parser.assignmentOperator(peek().kind) else {
      return tree.add(.expression(target), at: range(from: first))
    }
    let operatorToken = advance()
    try checkAssignable(target, operatorToken: operatorToken)
    skipNewlines()
    let value = try parseExpression()
    let statement = Statement.assignment(target: target, op: op, value: value)
    return tree.add(statement, at: range(from: first))
  }

  /// Reports an assignment to something other than a variable, list element or coordinate.
  mutating func checkAssignable(_ target: ExpressionID, operatorToken: Token) throws {
    switch tree[target] {
    case .name, .index, .coordinate:
      return
    default:
      let message =
        "cannot assign to this expression; assign to a variable, a list element "
        + "or a face coordinate such as f.pc[1]"
      record(message, at: tree.range(of: target))
      throw RecoverableError()
    }
  }
}
