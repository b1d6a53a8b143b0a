import BLASBackend
import OSSCore
import SwiftBackend

extension BackendKind {
    /// Most threads a backend may run: each thread costs a worker (and scratch buffers) at creation, so a count from
    /// a flag or a C caller (INT32_MAX) must not become a million threads. Far above any CPU's count.
    public static let maxThreads = 1024

    /// A backend of this kind running `threads` threads. `auto` routes by `profile` (nil: the profile at
    /// `TuningProfile.defaultURL` if present, else `TuningProfile.default`). Throws on threads outside
    /// 1...`maxThreads` or an unreadable profile.
    public func make(threads: Int, profile: TuningProfile? = nil) throws -> any Backend {
        guard threads >= 1, threads <= Self.maxThreads else {
            throw BackendError.invalidArgument(
                op: "backend", detail: "\(rawValue): threads must be in 1...\(Self.maxThreads), got \(threads)")
        }
        switch self {
        case .swift: return SwiftBackend(threads: threads)
        case .blas: return BLASBackend(threads: threads)
        case .auto: return AutoBackend(threads: threads, profile: try profile ?? TuningProfile.loadDefault())
        }
    }
}
