// Times the face-language interpreter on the two loops that bench/language.sh compares with
// CPython, and prints one line per loop: the name, the iterations, the seconds and the result.
// Times are process CPU time, which other programs on the machine disturb less than wall
// time, and each is the best of several runs.
import FaceRuntime
import Foundation
import Interpreter

/// The loops, written once here; bench/language.sh runs the same loops in Python.
let loops: [(name: String, iterations: Int, source: String)] = [
  (
    "numeric", 1_000_000,
    """
    let s = 0
    let i = 0
    while i < 1000000 {
      s = s + i * 2
      i = i + 1
    }
    s
    """
  ),
  (
    "face-edit", 100_000,
    """
    let f = random(1)
    let total = 0
    let i = 0
    while i < 100000 {
      f.pc[1] = (i % 7) * 0.5σ
      total = total + f.pc[1] / 1σ
      i = i + 1
    }
    total
    """
  ),
]

// Arguments: the number of runs per loop (default 5), then optionally one loop's name.
let arguments = CommandLine.arguments
/// Returns the CPU time this process has used, in seconds.
func processCPUTime() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

let repeats = arguments.count > 1 ? Int(arguments[1]) ?? 5 : 5
let selected = arguments.count > 2 ? arguments[2] : nil
// 80 latent dimensions, the default face model's size.
let model = FaceModel.makeRandom(latentSize: 80, trainingFaces: 200, seed: 1)
for loop in loops where selected == nil || loop.name == selected {
  var best = Double.infinity
  var result = Value.nil
  for _ in 0..<repeats {
    let interpreter = Interpreter(model: model)
    let start = processCPUTime()
    result = try interpreter.evaluate(loop.source, chunkName: "\(loop.name).face")
    let seconds = processCPUTime() - start
    best = min(best, seconds)
  }
  print("\(loop.name) \(loop.iterations) \(String(format: "%.4f", best)) result=\(result)")
}
