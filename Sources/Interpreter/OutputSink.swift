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
  /// Receives warnings that do not stop the script, such as a PNG saved with another model,
  /// without a "warning:" prefix.
  public var warning: @Sendable (String) -> Void
  /// Receives the progress of long builtins such as `fit`, several times a second or more.
  public var progress: @Sendable (TaskProgress) -> Void

  /// Creates a sink; each closure left out discards what it would receive.
  public init(
    print: @escaping @Sendable (String) -> Void = { _ in },
    show: @escaping @Sendable (Face) -> Void = { _ in },
    saved: @escaping @Sendable (String) -> Void = { _ in },
    warning: @escaping @Sendable (String) -> Void = { _ in },
    progress: @escaping @Sendable (TaskProgress) -> Void = { _ in }
  ) {
    self.print = print
    self.show = show
    self.saved = saved
    self.warning = warning
    self.progress = progress
  }
}

/// The state of a long-running builtin.
public struct TaskProgress: Sendable {
  /// The name of the running task, such as `fit 'me.jpg'`.
  public let task: String
  /// Steps done and the total; `done == total` in the last report.
  public let done: Int
  public let total: Int
  /// A short status such as `24.3 dB`; in the last report, the outcome.
  public let detail: String
  /// True in the last report of a task, which comes once, also when it finished early.
  public let finished: Bool

  public init(task: String, done: Int, total: Int, detail: String, finished: Bool) {
    self.task = task
    self.done = done
    self.total = total
    self.detail = detail
    self.finished = finished
  }
}
