/// The syntax tree, stored as flat arrays of nodes that refer to each other by index.
///
/// Because nodes live in arrays instead of a tree of class references, freeing a huge tree never
/// recurses. A chain of left-associative operators is one node with a list of terms, so a
/// 100,000-term sum is one node rather than a tree 100,000 levels deep.
package struct SyntaxTree: Sendable {
  package private(set) var expressions: [Expression] = []
  package private(set) var expressionRanges: [SourceRange] = []
  package private(set) var statements: [Statement] = []
  package private(set) var statementRanges: [SourceRange] = []
  /// The statements of the program, in order.
  package var topLevel: [StatementID] = []

  package init() {}

  package subscript(_ id: ExpressionID) -> Expression { expressions[id.index] }
  package subscript(_ id: StatementID) -> Statement { statements[id.index] }
  package func range(of id: ExpressionID) -> SourceRange { expressionRanges[id.index] }
  package func range(of id: StatementID) -> SourceRange { statementRanges[id.index] }

  mutating func add(_ expression: Expression, at range: SourceRange) -> ExpressionID {
    expressions.append(expression)
    expressionRanges.append(range)
    return ExpressionID(index: expressions.count - 1)
  }

  mutating func add(_ statement: Statement, at range: SourceRange) -> StatementID {
    statements.append(statement)
    statementRanges.append(range)
    return StatementID(index: statements.count - 1)
  }
}

/// The index of an expression node in a `SyntaxTree`.
package struct ExpressionID: Hashable, Sendable {
  package let index: Int
}

/// The index of a statement node in a `SyntaxTree`.
package struct StatementID: Hashable, Sendable {
  package let index: Int
}

/// A name as written in the source, with where it was written.
package struct Name: Sendable {
  package var text: String
  package var range: SourceRange
}

package enum UnaryOperator: String, Sendable {
  case negate = "-"
  case plus = "+"
  case not = "not"
}

package enum BinaryOperator: String, Sendable {
  case add = "+"
  case subtract = "-"
  case multiply = "*"
  case divide = "/"
  case remainder = "%"
  case power = "^"
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessEqual = "<="
  case greater = ">"
  case greaterEqual = ">="
  case and = "and"
  case or = "or"
}

package enum AssignmentOperator: String, Sendable {
  case assign = "="
  case add = "+="
  case subtract = "-="
  case multiply = "*="
  case divide = "/="

  /// The arithmetic a compound assignment applies, or nil for plain `=`.
  package var arithmetic: BinaryOperator? {
    switch self {
    case .assign: return nil
    case .add: return .add
    case .subtract: return .subtract
    case .multiply: return .multiply
    case .divide: return .divide
    }
  }
}

/// One operator and its right operand in a chain such as `a + b - c`.
package struct BinaryTerm: Sendable {
  package var op: BinaryOperator
  package var operand: ExpressionID
  /// The operator's source range, for runtime errors about it.
  package var operatorRange: SourceRange
}

/// A PCA axis as written in a coordinate access: `pc[N]` or a name declared with `axis`.
package enum AxisReference: Sendable {
  case pc(index: ExpressionID)
  case named(Name)
}

/// One edit in `face with { pc[1] = 2σ, shirt += 1σ }`.
package struct FaceEdit: Sendable {
  package var axis: AxisReference
  package var op: AssignmentOperator
  package var value: ExpressionID
  package var range: SourceRange
}

/// A piece of an interpolated string.
package enum InterpolationPart: Sendable {
  case text(String)
  case expression(ExpressionID)
}

package enum Expression: Sendable {
  case number(Double)
  /// A number in units of σ, such as `2σ`.
  case sigma(Double)
  case string(String)
  case interpolation([InterpolationPart])
  case boolean(Bool)
  case nilLiteral
  case name(String)
  case list([ExpressionID])
  case unary(UnaryOperator, ExpressionID)
  /// A chain of operators of one precedence level, evaluated left to right; `^` and the
  /// comparisons always have exactly one term.
  case binary(first: ExpressionID, rest: [BinaryTerm])
  /// `start to end step step`, inclusive of `end`.
  case range(start: ExpressionID, end: ExpressionID, step: ExpressionID?)
  case call(callee: ExpressionID, arguments: [ExpressionID])
  case index(base: ExpressionID, index: ExpressionID)
  /// `face.pc[N]`, `face.name` for a named axis, or a bare `pc[N]` (nil face) on the current
  /// face.
  case coordinate(face: ExpressionID?, axis: AxisReference)
  /// `face with { edits }`: a copy of the face with the edits applied.
  case with(face: ExpressionID, edits: [FaceEdit])
}

/// A braced list of statements with its own scope.
package struct Block: Sendable {
  package var statements: [StatementID]
  package var range: SourceRange
}

package struct FunctionDeclaration: Sendable {
  package var name: Name
  package var parameters: [Name]
  package var body: Block
}

/// One `if` or `else if` condition with the block it guards.
package struct ConditionalClause: Sendable {
  package var condition: ExpressionID
  package var body: Block
}

package enum Statement: Sendable {
  case expression(ExpressionID)
  case letBinding(Name, value: ExpressionID)
  case assignment(target: ExpressionID, op: AssignmentOperator, value: ExpressionID)
  /// `axis name = pc[index]`.
  case axisDeclaration(Name, index: ExpressionID)
  case function(FunctionDeclaration)
  /// `if`, any number of `else if`, and an optional `else`, as one node.
  case conditional([ConditionalClause], elseBody: Block?)
  case whileLoop(condition: ExpressionID, body: Block)
  case forLoop(variable: Name, sequence: ExpressionID, body: Block)
  case returnStatement(ExpressionID?)
  case breakStatement
  case continueStatement
  case block(Block)
}
