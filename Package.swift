// swift-tools-version: 6.1
import PackageDescription

// Swift SIMD code must be compiled for AVX2+FMA: on baseline x86-64, SIMD8<Float>.addingProduct
// becomes a libm `fmaf` call per lane (~100x slower). `haswell` is the portable AVX2+FMA floor.
let cpuTarget: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
let cFast: [CSetting] = [.unsafeFlags(["-O3", "-mavx2", "-mfma", "-mf16c", "-fopenmp"])]

let package = Package(
    name: "SwiftOSS",
    platforms: [.macOS(.v14)],
    products: [
        // MARK: Public API
        .library(name: "OSSCore", targets: ["OSSCore"]),
        .library(name: "SwiftBackend", targets: ["SwiftBackend"]),
        .library(name: "BLASBackend", targets: ["BLASBackend"]),
        .library(name: "OSSBackends", targets: ["OSSBackends"]),
        .library(name: "OSSFormats", targets: ["OSSFormats"]),
        .library(name: "OSSTokenizer", targets: ["OSSTokenizer"]),
        .library(name: "OSSModel", targets: ["OSSModel"]),
        .library(name: "OSSBench", targets: ["OSSBench"]),
        .library(name: "OSSServer", targets: ["OSSServer"]),
        .executable(name: "oss", targets: ["oss"]),
        // The C ABI: libswiftoss.so, declared by CModules/SwiftOSSABI/include/swiftoss.h.
        .library(name: "swiftoss", type: .dynamic, targets: ["SwiftOSSC"]),
        // The fuzz targets (Fuzz/README.md): a libFuzzer binary in `make fuzz`, a replay tool otherwise.
        .executable(name: "oss-fuzz", targets: ["oss-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The server (OSSServer): HTTP, logging, graceful shutdown, metrics; AsyncHTTPClient drives it in tests.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // MARK: Public API
        .target(name: "OSSCore", swiftSettings: cpuTarget),
        .target(name: "SwiftBackend", dependencies: ["OSSCore"], swiftSettings: cpuTarget),
        .target(name: "BLASBackend", dependencies: ["OSSCore", "CKernels"], swiftSettings: cpuTarget),
        .target(
            name: "OSSBackends", dependencies: ["OSSCore", "SwiftBackend", "BLASBackend"], swiftSettings: cpuTarget),
        .target(name: "OSSFormats", dependencies: ["OSSCore"], swiftSettings: cpuTarget),
        .target(
            name: "OSSTokenizer", dependencies: ["OSSCore"], resources: [.copy("Resources")], swiftSettings: cpuTarget),
        .target(name: "OSSModel", dependencies: ["OSSCore", "OSSFormats", "OSSTokenizer"], swiftSettings: cpuTarget),
        .target(
            name: "OSSBench", dependencies: ["OSSCore", "OSSBackends", "OSSFormats", "OSSModel", "CKernels"],
            swiftSettings: cpuTarget),
        .target(
            name: "OSSServer",
            dependencies: [
                "OSSCore", "OSSBackends", "OSSTokenizer", "OSSModel", "OSSBench",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: cpuTarget),
        .executableTarget(
            name: "oss",
            dependencies: [
                "OSSCore", "OSSBackends", "OSSFormats", "OSSTokenizer", "OSSModel", "OSSBench", "OSSServer",
                "SwiftBackend", "BLASBackend",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: cpuTarget),

        // C ABI (`@_cdecl` functions) over the model and backends; its header is the module SwiftOSSABI.
        .target(
            name: "SwiftOSSC",
            dependencies: [
                "OSSCore", "OSSBackends", "OSSFormats", "OSSTokenizer", "OSSModel", "SwiftOSSABI", "BLASBackend",
            ],
            swiftSettings: cpuTarget),

        // Fuzz targets: each parser's properties (Sources/OSSFuzz), shared by libFuzzer (`make fuzz`) and the replay
        // of the committed corpus and regression inputs in `make test` (FuzzRegressionTests).
        .target(
            name: "OSSFuzz",
            dependencies: [
                "OSSCore", "OSSFormats", "OSSTokenizer", "OSSModel", "OSSServer", "SwiftBackend",
                "FuzzSupport",
            ],
            swiftSettings: cpuTarget),
        .executableTarget(name: "oss-fuzz", dependencies: ["OSSFuzz"], swiftSettings: cpuTarget),

        // MARK: Implementation details
        // Peak heap of one fuzz input, through the sanitizer allocator's hooks (nothing without a sanitizer).
        .target(name: "FuzzSupport", path: "CModules/FuzzSupport"),
        // swiftoss.h (the C ABI's contract) and compile-time checks of its struct layouts.
        .target(name: "SwiftOSSABI", path: "CModules/SwiftOSSABI"),
        // C kernels: OpenBLAS (pthread flavour, held at one thread) for GEMM/GEMV, our own OpenMP (LLVM libomp)
        // kernels for everything else. No stable API of its own: use it through BLASBackend.
        .target(
            name: "CKernels",
            path: "CModules/CKernels",
            cSettings: cFast + [.unsafeFlags(["-idirafter", "/usr/lib/llvm-16/lib/clang/16/include"])],
            linkerSettings: [.linkedLibrary("omp5"), .linkedLibrary("openblas"), .linkedLibrary("m")]),

        // MARK: Tests
        .testTarget(name: "OSSCoreTests", dependencies: ["OSSCore"], swiftSettings: cpuTarget),
        .testTarget(
            name: "BackendConformanceTests",
            dependencies: ["OSSCore", "SwiftBackend", "BLASBackend", "OSSBackends", "CKernels"],
            swiftSettings: cpuTarget),
        .testTarget(name: "OSSFormatsTests", dependencies: ["OSSCore", "OSSFormats"], swiftSettings: cpuTarget),
        .testTarget(name: "OSSTokenizerTests", dependencies: ["OSSCore", "OSSTokenizer"], swiftSettings: cpuTarget),
        .testTarget(
            name: "OSSModelTests",
            dependencies: [
                "OSSCore", "OSSFormats", "OSSModel", "OSSBackends", "OSSTokenizer", "SwiftBackend", "BLASBackend",
            ],
            swiftSettings: cpuTarget),
        .testTarget(
            name: "OSSServerTests",
            dependencies: [
                "OSSServer", "OSSModel", "OSSTokenizer", "OSSBackends", "OSSCore", "BLASBackend",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: cpuTarget),
        .testTarget(
            name: "OSSBenchTests", dependencies: ["OSSBench", "OSSCore", "OSSBackends"], swiftSettings: cpuTarget),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["OSSFuzz"], swiftSettings: cpuTarget),
    ]
)
