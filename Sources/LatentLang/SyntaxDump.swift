/// Prints a syntax tree back as source with every operator chain in parentheses, so tests can
/// compare the tree's shape as text.
package struct SyntaxDump {
  private let tree: SyntaxTree
  private var output = ""

  /// Dumps a whole program, one statement a line, blocks indented by two spaces.
  package static func dump(_ tree: SyntaxTree) -> String {
    var dumper = SyntaxDump(tree: tree)
    for statement in tree.topLevel {
      dumper.write(statement, indent: "")
    }
    return dumper.output
  }

  /// Dumps one expression.
  package static func dump(_ expression: ExpressionID, in tree: SyntaxTree) -> String {
    SyntaxDump(tree: tree).text(of: expression)
  }

  private init(tree: SyntaxTree) {
    self.tree = tree
  }

  private mutating func write(_ statement: StatementID, indent: String) {
    switch tree[statement] {
    case .expression(let expression):
      output += indent + text(of: expression) + "\n"
    case .letBinding(let name, let value):
      output += indent + "let \(name.text) = \(text(of: value))\n"
    case .assignment(let target, let op, let value):
      output += indent + "\(text(of: target)) \(op.rawValue) \(text(of: value))\n"
    case .axisDeclaration(let name, let index):
      output += indent + "axis \(name.text) = pc[\(text(of: index))]\n"
    case .function(let declaration):
      let parameters = declaration.parameters.map(\.text).joined(separator: ", ")
      output += indent + "fn \(declaration.name.text)(\(parameters)) {\n"
      write(declaration.body, indent: indent)
    case .conditional(let clauses, let elseBody):
      for (number, clause) in clauses.enumerated() {
        let keyword = number == 0 ? indent + "if" : indent + "} else if"
        output += "\(keyword) \(text(of: clause.condition)) {\n"
        writeStatements(of: clause.body, indent: indent)
      }
      if let elseBody {
        output += indent + "} else {\n"
        writeStatements(of: elseBody, indent: indent)
      }
      output += indent + "}\n"
    case .whileLoop(let condition, let body):
      output += indent + "while \(text(of: condition)) {\n"
      write(body, indent: indent)
    case .forLoop(let variable, let sequence, let body):
      output += indent + "for \(variable.text) in \(text(of: sequence)) {\n"
      write(body, indent: indent)
    case .returnStatement(let value):
      output += indent + (value.map { "return \(text(of: $0))" } ?? "return") + "\n"
    case .breakStatement:
      output += indent + "break\n"
    case .continueStatement:
      output += indent + "continue\n"
    case .block(let block):
      output += indent + "{\n"
      write(block, indent: indent)
    }
  }

  /// Writes a block's statements and its closing brace.
  private mutating func write(_ block: Block, indent: String) {
    writeStatements(of: block, indent: indent)
    output += indent + "}\n"
  }

  private mutating func writeStatements(of block: Block, indent: String) {
    for statement in block.statements {
      write(statement, indent: indent + "  ")
    }
  }

  private func text(of expression: ExpressionID) -> String {
    switch tree[expression] {
    case .number(let value):
      return NumberFormat.format(value)
    case .sigma(let value):
      return NumberFormat.format(value) + "σ"
    case .string(let value):
      return NumberFormat.quote(value)
    case .interpolation(let parts):
      let body = parts.map { part -> String in
        switch part {
        case .text(let text): return String(NumberFormat.quote(text).dropFirst().dropLast())
        case .expression(let inner): return "{" + self.text(of: inner) + "}"
        }
      }
      return "\"" + body.joined() + "\""
    case .boolean(let value):
      return value ? "true" : "false"
    case .nilLiteral:
      return "nil"
    case .name(let name):
      return name
    case .list(let elements):
      return "[" + elements.map { text(of: $0) }.joined(separator: ", ") + "]"
    case .unary(let op, let operand):
      let separator = op == .not ? " " : ""
      return "(\(op.rawValue)\(separator)\(text(of: operand)))"
    case .binary(let first, let rest):
      let terms = rest.map { " \($0.op.rawValue) \(text(of: $0.operand))" }
      return "(" + text(of: first) + terms.joined() + ")"
    case .range(let start, let end, let step):
      let stepText = step.map { " step \(text(of: $0))" } ?? ""
      return "(\(text(of: start)) to \(text(of: end))\(stepText))"
    case .call(let callee, let arguments):
      return text(of: callee) + "(" + arguments.map { text(of: $0) }.joined(separator: ", ") + ")"
    case .index(let base, let index):
      return "\(text(of: base))[\(text(of: index))]"
    case .coordinate(let face, let axis):
      let prefix = face.map { text(of: $0) + "." } ?? ""
      return prefix + text(of: axis)
    case .with(let face, let edits):
      let list = edits.map { "\(text(of: $0.axis)) \($0.op.rawValue) \(text(of: $0.value))" }
      return "\(text(of: face)) with {" + list.joined(separator: ", ") + "}"
    }
  }

  private func text(of axis: AxisReference) -> String {
    switch axis {
    case .pc(let index): return "pc[\(text(of: index))]"
    case .named(let name): return name.text
    }
  }
}

/// Number and string spellings shared by the syntax dump and the interpreter's output.
package enum NumberFormat {
  /// Formats `value` as the shortest text that reads back as it: integers without a fraction,
  /// and `nan`, `inf` and `-inf` for the special values.
  package static func format(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == value.rounded() && abs(value) < 1e15 {
      return value == 0 ? "0" : String(Int64(value))
    }
    return "\(value)"
  }

  /// `text` in double quotes with `"`, `\`, `{`, `}` and control characters escaped.
  package static func quote(_ text: String) -> String {
    var result = "\""
    for character in text {
      switch character {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "{": result += "\\{"
      case "}": result += "\\}"
      case "\n": result += "\\n"
      case "\t": result += "\\t"
      case "\r": result += "\\r"
      default: result.append(character)
      }
    }
    return result + "\""
  }
}
