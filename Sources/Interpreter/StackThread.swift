#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs work on a new thread with a large stack and waits for it.
///
/// Parsing and evaluation recurse once per nesting level and per call. Their depth is
/// limited (256 syntax levels, 200 calls), but the limits multiply and debug builds use
/// large frames, so they run on a stack far larger than the 512 KiB to 8 MiB that threads
/// usually get. The system reserves the address space; pages are used only when touched.
enum StackThread {
  /// Stack size for evaluation threads.
  static let stackSize = 512 << 20

  /// The work a new thread runs, passed to it through `pthread_create`'s context pointer.
  private final class Work {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
  }

  /// Runs `body` on a thread with a `stackSize` stack and returns its result. If the system
  /// cannot create such a thread, `body` runs on the calling thread.
  static func run<T>(_ body: @escaping () -> T) -> T {
    var result: T?
    let work = Work { result = body() }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, stackSize)
    let context = Unmanaged.passRetained(work).toOpaque()
    #if canImport(Glibc)
      var thread = pthread_t()
    #else
      var thread: pthread_t?
    #endif
    let status = pthread_create(
      &thread, &attributes,
      { raw in
        Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
      }, context)
    guard status == 0 else {
      Unmanaged<Work>.fromOpaque(context).release()
      return body()
    }
    #if canImport(Glibc)
      pthread_join(thread, nil)
    #else
      pthread_join(thread!, nil)
    #endif
    return result!
  }
}
