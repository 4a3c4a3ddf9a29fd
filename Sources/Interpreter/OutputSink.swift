/// The receiver of what scripts print, show and save. The library never writes to standard
/// output itself.
///
/// The closures run on the interpreter's evaluation thread, one at a time.
public struct OutputSink: Sendable {
  /// Receives each line that `print` writes, without the line break.
  public var print: @Sendable (String) -> Void
  /// Receives each face that `show` displays; the host decides how to display it.
  public var show: @Sendable (Face) -> Void
  /// Receives the path of each file a script wrote, after it is complete.
  public var saved: @Sendable (String) -> Void

  /// Creates a sink; each closure left out discards what it would receive.
  public init(
    print: @escaping @Sendable (String) -> Void = { _ in },
    show: @escaping @Sendable (Face) -> Void = { _ in },
    saved: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.print = print
    self.show = show
    self.saved = saved
  }
}
