// swift-tools-version: 6.1
// Op benchmarks in the Swift convention (`swift package benchmark`, ordo-one/benchmark): baselines, thresholds and
// exit codes for CI. A separate package so its dependencies (and a ~4 minute first build) stay out of `make test`.
//
//   cd Benchmarks && swift package benchmark                       # run
//   swift package benchmark baseline update main                  # store a baseline
//   swift package benchmark baseline check main                   # compare, non-zero exit on regression
import PackageDescription

let package = Package(
    name: "SwiftOSSBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "SwiftOSS", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The plugin discovers executable targets whose directory sits in a folder named `Benchmarks`.
        .executableTarget(
            name: "OpBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OSSCore", package: "SwiftOSS"),
                .product(name: "SwiftBackend", package: "SwiftOSS"),
                .product(name: "BLASBackend", package: "SwiftOSS"),
            ],
            path: "OpBenchmarks",
            swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"])],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ]
)
