import BLASBackend
import OSSCore
import SwiftBackend

/// The built-in backends, selectable with one argument (`--backend swift|blas|auto`).
public enum BackendKind: String, CaseIterable, Sendable, Codable {
    /// Pure Swift: SIMD, cache blocking, threads.
    case swift
    /// OpenBLAS for GEMM/GEMV plus our OpenMP C kernels for everything else.
    case blas
    /// Routes each op to whichever of the two a tuning profile measured faster.
    case auto

    /// Parses a backend name, throwing a readable error for anything else.
    public static func parse(_ name: String) throws -> BackendKind {
        guard let k = BackendKind(rawValue: name.lowercased()) else {
            throw BackendError.invalidArgument(
                op: "backend",
                detail: "unknown backend '\(name)' (choose from \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return k
    }
}
