import Foundation
import LatentLang

extension Builtins {
  /// Making, blending and inspecting faces.
  static func faces() -> [Builtin] {
    [
      Builtin("random(seed, truncation)", arity: 1...2) { machine, arguments in
        let seed = try arguments.wholeNumber(0, "seed", in: 0...(1 << 53))
        var truncation = 1.0
        if arguments.count == 2 {
          truncation = try arguments.number(1, "truncation")
          guard truncation >= 0 && truncation.isFinite else {
            throw ScriptError(
              "'truncation' in random(seed, truncation) must be a finite number, 0 or more, "
                + "got \(NumberFormat.format(truncation)); 1 gives the training faces' spread")
          }
        }
        let latent = machine.basis.pca.randomLatent(
          seed: UInt64(seed), truncation: Float(truncation))
        return .face(
          try machine.face(
            latent: latent,
            from: "random(\(seed), \(NumberFormat.format(truncation)))",
            hint: "use a smaller truncation, such as 1"))
      },
      Builtin("mean()", arity: 0...0) { machine, _ in
        .face(try machine.face(latent: machine.basis.pca.mean, from: "mean()"))
      },
      Builtin("training(index)", arity: 1...1) { machine, arguments in
        let count = machine.model.trainingFaceCount
        let index = try arguments.number(0, "index")
        guard count > 0 else { throw ScriptError("this model has no training faces") }
        guard index == index.rounded() else {
          throw ScriptError(
            "a training face index must be a whole number, got \(NumberFormat.format(index)); "
              + "this model has training faces 0 to \(count - 1)")
        }
        guard index >= 0, index < Double(count) else {
          throw ScriptError(
            "training face index \(NumberFormat.format(index)) is out of range; this model has "
              + "training faces 0 to \(count - 1)")
        }
        let latent = machine.model.trainingLatent(at: Int(index))
        return .face(try machine.face(latent: latent, from: "training(\(Int(index)))"))
      },
      Builtin("lerp(a, b, t)", arity: 3...3) { machine, arguments in
        try interpolate(arguments, machine: machine, spherical: false)
      },
      Builtin("slerp(a, b, t)", arity: 3...3) { machine, arguments in
        try interpolate(arguments, machine: machine, spherical: true)
      },
      Builtin("latent(face)", arity: 1...1) { _, arguments in
        .list(try arguments.face(0, "face").latent.map { .number(Double($0)) })
      },
    ]
  }

  /// Runs lerp or slerp: faces for both, and numbers, σ values and directions for lerp.
  static func interpolate(_ arguments: Arguments, machine: Machine, spherical: Bool) throws
    -> Value
  {
    let t = try arguments.number(2, "t")
    guard t.isFinite else {
      throw ScriptError(
        "'t' in \(arguments.signature) must be a finite number, got \(NumberFormat.format(t))")
    }
    switch (arguments[0], arguments[1]) {
    case (.face(var a), .face(var b)):
      if t == 0 { return .face(a) }
      if t == 1 { return .face(b) }
      a.cacheLatent()
      b.cacheLatent()
      let mean = machine.basis.pca.mean
      let latent =
        spherical
        ? Interpolation.slerp(a.latent, b.latent, around: mean, t: t)
        : Interpolation.lerp(a.latent, b.latent, t: t)
      return .face(
        try machine.face(
          latent: latent, from: "\(arguments.signature) with t = \(NumberFormat.format(t))",
          hint: "use a t nearer the range 0 to 1"))
    case (.number(let a), .number(let b)) where !spherical:
      return .number(t == 1 ? b : a + t * (b - a))
    case (.sigma(let a), .sigma(let b)) where !spherical:
      return .sigma(t == 1 ? b : a + t * (b - a))
    case (.direction(let a), .direction(let b)) where !spherical:
      let offset = t == 1 ? b.offset : Interpolation.lerp(a.offset, b.offset, t: t)
      guard let direction = Direction(offset: offset, basis: a.basis) else {
        throw a.basis.nonFiniteError(
          "\(arguments.signature) with t = \(NumberFormat.format(t))", making: "a direction",
          from: offset, hint: "use a t nearer the range 0 to 1")
      }
      return .direction(direction)
    default:
      let kinds = spherical ? "two faces" : "two faces, numbers, σ values or directions"
      throw ScriptError(
        "\(arguments.signature) blends \(kinds), not \(Operators.article(arguments[0])) and "
          + Operators.article(arguments[1]))
    }
  }
}

/// Linear and spherical interpolation of latent vectors.
enum Interpolation {
  /// Returns `a + t (b − a)`, computed in Double; t = 0 gives `a` and t = 1 gives `b` exactly.
  static func lerp(_ a: [Float], _ b: [Float], t: Double) -> [Float] {
    if t == 0 { return a }
    if t == 1 { return b }
    return zip(a, b).map { x, y in Float(Double(x) + t * (Double(y) - Double(x))) }
  }

  /// Interpolates along the great circle between the offsets of `a` and `b` from `mean`, so a
  /// blend of two typical faces stays as far from the mean face as they are.
  ///
  /// t = 0 gives `a` and t = 1 gives `b` exactly. Where the arc is undefined or unstable the
  /// result blends smoothly into `lerp`, so it never returns NaN for finite input. That
  /// happens for offsets less than 1e-6 rad apart and for offsets within 1e-2 rad of
  /// opposite (all lerp within 1e-4 rad). It also happens when one offset is shorter than
  /// 1e-3 of the other (all lerp below 1e-6).
  static func slerp(_ a: [Float], _ b: [Float], around mean: [Float], t: Double) -> [Float] {
    if t == 0 { return a }
    if t == 1 { return b }
    let linear = lerp(a, b, t: t)
    let u = zip(a, mean).map { Double($0) - Double($1) }
    let v = zip(b, mean).map { Double($0) - Double($1) }
    let lengthU = norm(u)
    let lengthV = norm(v)
    guard lengthU.isFinite, lengthV.isFinite, lengthU > 0, lengthV > 0 else { return linear }
    let cosine = max(-1, min(1, zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } / (lengthU * lengthV)))
    let angle = acos(cosine)
    let sine = sin(angle)
    guard sine > 1e-6 else { return linear }
    let shortness = min(lengthU, lengthV) / max(lengthU, lengthV)
    let weight =
      smoothstep(from: 1e-6, to: 1e-3, shortness) * smoothstep(from: 1e-4, to: 1e-2, .pi - angle)
    guard weight > 0 else { return linear }
    let weightA = sin((1 - t) * angle) / sine
    let weightB = sin(t * angle) / sine
    var result = [Float](repeating: 0, count: a.count)
    for i in 0..<a.count {
      let spherical = Double(mean[i]) + weightA * u[i] + weightB * v[i]
      result[i] = Float(weight * spherical + (1 - weight) * Double(linear[i]))
    }
    return result
  }

  private static func norm(_ vector: [Double]) -> Double {
    vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
  }

  /// 0 below `low`, 1 above `high`, and a smooth cubic step between.
  private static func smoothstep(from low: Double, to high: Double, _ x: Double) -> Double {
    let s = max(0, min(1, (x - low) / (high - low)))
    return s * s * (3 - 2 * s)
  }
}
