import OSSCore
import SwiftBackend
import BLASBackend

extension BackendKind {
    /// A backend of this kind running `threads` threads. `auto` routes by `profile` (nil: the profile at
    /// `TuningProfile.defaultURL` if present, else `TuningProfile.default`). Throws on threads < 1 or an unreadable profile.
    public func make(threads: Int, profile: TuningProfile? = nil) throws -> any Backend {
        guard threads >= 1 else {
            throw BackendError.invalidArgument(op: "backend", detail: "\(rawValue): threads must be ≥ 1, got \(threads)")
        }
        switch self {
        case .swift: return SwiftBackend(threads: threads)
        case .blas: return BLASBackend(threads: threads)
        case .auto: return AutoBackend(threads: threads, profile: try profile ?? TuningProfile.loadDefault())
        }
    }
}
