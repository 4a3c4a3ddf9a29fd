// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "facesh",
  products: [
    .library(name: "FaceRuntime", targets: ["FaceRuntime"]),
    .library(name: "LatentLang", targets: ["LatentLang"]),
    .library(name: "Interpreter", targets: ["Interpreter"]),
    .executable(name: "facesh", targets: ["facesh"]),
  ],
  targets: [
    // OpenBLAS: CBLAS for GEMM and its bundled LAPACK for the symmetric eigensolver.
    .target(
      name: "CFaceBLAS",
      linkerSettings: [.linkedLibrary("openblas")]
    ),
    // libpng, libjpeg-turbo, giflib and libimagequant behind a C layer that turns their
    // longjmp-based error reporting into return codes.
    .target(
      name: "CFaceImage",
      linkerSettings: [
        .linkedLibrary("png"), .linkedLibrary("jpeg"), .linkedLibrary("gif"),
        .linkedLibrary("imagequant"), .linkedLibrary("z"),
      ]
    ),
    .systemLibrary(name: "CEditLine", path: "Sources/CEditLine"),
    .target(name: "FaceRuntime", dependencies: ["CFaceBLAS", "CFaceImage"]),
    .target(name: "LatentLang"),
    .target(name: "Interpreter", dependencies: ["LatentLang", "FaceRuntime"]),
    .executableTarget(
      name: "facesh",
      dependencies: ["Interpreter", "LatentLang", "FaceRuntime", "CEditLine"]
    ),
    .executableTarget(name: "facesh-bench", dependencies: ["FaceRuntime", "CFaceBLAS"], path: "Sources/facesh-bench"),
    .testTarget(name: "FaceRuntimeTests", dependencies: ["FaceRuntime"], resources: [.copy("Fixtures")]),
    .testTarget(name: "LatentLangTests", dependencies: ["LatentLang"]),
    .testTarget(
      name: "InterpreterTests", dependencies: ["Interpreter", "LatentLang", "FaceRuntime"],
      resources: [.copy("Scripts")]),
    // Depends on facesh so that building the tests builds the binary they run.
    .testTarget(name: "FaceshTests", dependencies: ["FaceRuntime", "facesh"]),
    // libFuzzer entry point over the lexer, parser and evaluator; docs/FUZZING.md has the
    // build command, which adds -sanitize=fuzzer.
    .executableTarget(
      name: "LatentFuzz", dependencies: ["LatentLang", "Interpreter", "FaceRuntime"]),
    // Times the interpreter's loops for bench/language.sh.
    .executableTarget(name: "latent-bench", dependencies: ["Interpreter", "FaceRuntime"]),
    .executableTarget(name: "fit-bench", dependencies: ["FaceRuntime"]),
  ],
  swiftLanguageModes: [.v5]
)
