import OSSCore
import XCTest

/// One conformance case: inputs drawn from a seed, the float64 reference computed once, then run on any backend.
protocol ConformanceCase {
    /// Op name as in the case name (`linear`, `attention`, …).
    var op: String { get }
    /// `key=value` list identifying the case, seed included (`dtype=q8_0,T=7,in=96,out=33,seed=0x…`).
    var parameters: String { get }
    /// Runs the op on `backend` with freshly poisoned outputs; nil when it matches the reference, else why not.
    func run(on backend: any Backend) throws -> String?
}

/// Drives cases over backend runners and names failures like ggml's test-backend-ops:
/// `linear(dtype=q8_0,T=7,in=96,out=33,seed=0x…,threads=2,backend=blas)`.
enum Conformance {
    /// Full name of `c` on `runner`.
    static func name(_ c: some ConformanceCase, _ runner: BackendRunner) -> String {
        "\(c.op)(\(c.parameters),threads=\(runner.threads),backend=\(runner.label))"
    }

    /// Every failure of `c` over `runners`, as `name: reason` lines (empty when all pass).
    static func problems(_ c: some ConformanceCase, runners: [BackendRunner]) -> [String] {
        var found: [String] = []
        for runner in runners {
            do {
                if let problem = try runner.run({ try c.run(on: $0) }) {
                    found.append("\(name(c, runner)): \(problem)")
                }
            } catch {
                found.append("\(name(c, runner)): threw \(error)")
            }
        }
        return found
    }

    /// Runs `c` on every backend runner of the suite and records each failure with XCTFail.
    static func check(
        _ c: some ConformanceCase, runners: [BackendRunner] = ConformanceBackends.runners,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        for problem in problems(c, runners: runners) { XCTFail(problem, file: file, line: line) }
    }

    /// Hex seed as printed in case names.
    static func hex(_ seed: UInt64) -> String { "0x" + String(seed, radix: 16) }

    /// nil when `backend.supports(op)`, else the reason (every built-in backend supports every op and dtype).
    static func unsupported(_ backend: any Backend, _ op: OpDescriptor) -> String? {
        backend.supports(op) ? nil : "supports(\(op)) is false"
    }
}
