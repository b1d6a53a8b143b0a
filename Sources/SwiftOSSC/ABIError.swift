import Foundation
import OSSCore
import OSSFormats
import OSSModel
import OSSTokenizer
import SwiftOSSABI

/// A failure with its C status and message: thrown by the ABI's own checks, or classified from a library error.
struct ABIError: Error {
    let status: oss_status
    let message: String

    init(_ status: oss_status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func invalid(_ message: String) -> ABIError { ABIError(OSS_ERROR_INVALID_ARGUMENT, message) }
    static func null(_ what: String) -> ABIError { ABIError(OSS_ERROR_INVALID_ARGUMENT, "\(what) is NULL") }

    /// The status and message of any error thrown below the ABI.
    static func classify(_ error: any Error) -> ABIError {
        switch error {
        case let e as ABIError: return e
        case let e as BackendError:
            switch e {
            case .shapeMismatch, .emptyInput: return ABIError(OSS_ERROR_SHAPE, e.description)
            case .unsupported: return ABIError(OSS_ERROR_DTYPE, e.description)
            case .invalidArgument: return ABIError(OSS_ERROR_INVALID_ARGUMENT, e.description)
            }
        case let e as OSSError:
            switch e {
            case .invalidShape: return ABIError(OSS_ERROR_SHAPE, e.description)
            case .invalidWeight: return ABIError(OSS_ERROR_DTYPE, e.description)
            }
        case let e as ModelError:
            switch e {
            case .tokenOutOfRange: return ABIError(OSS_ERROR_TOKEN_OUT_OF_RANGE, e.description)
            case .contextOverflow: return ABIError(OSS_ERROR_CONTEXT_OVERFLOW, e.description)
            case .unrecognizedCheckpoint, .missingTensor, .tensorShape, .tensorDType, .unrecognizedModelPath,
                .unsupportedArchitecture:
                return ABIError(OSS_ERROR_MODEL_FILE, e.description)
            case .emptyPrompt, .invalidParameter, .truncateOutOfRange, .rewindUnavailable:
                return ABIError(OSS_ERROR_INVALID_ARGUMENT, e.description)
            }
        case let e as TokenizerError:
            switch e {
            case .unknownTokenID: return ABIError(OSS_ERROR_TOKEN_OUT_OF_RANGE, e.description)
            case .unknownSpecialToken, .invalidUTF8: return ABIError(OSS_ERROR_INVALID_ARGUMENT, e.description)
            default: return ABIError(OSS_ERROR_MODEL_FILE, e.description)
            }
        case let e as SamplerError: return ABIError(OSS_ERROR_INVALID_ARGUMENT, e.description)
        case let e as ModelConfigError: return ABIError(OSS_ERROR_MODEL_FILE, e.description)
        case let e as SafetensorsError: return ABIError(OSS_ERROR_MODEL_FILE, e.description)
        case let e as GGUFError: return ABIError(OSS_ERROR_MODEL_FILE, e.description)
        case let e as CocoaError: return ABIError(OSS_ERROR_MODEL_FILE, e.localizedDescription)
        default: return ABIError(OSS_ERROR_INTERNAL, String(describing: error))
        }
    }

    nonisolated(unsafe) private static let names: [UInt32: UnsafePointer<CChar>] = {
        let table: [(oss_status, String)] = [
            (OSS_OK, "ok"), (OSS_ERROR_INVALID_ARGUMENT, "invalid argument"), (OSS_ERROR_SHAPE, "shape mismatch"),
            (OSS_ERROR_DTYPE, "unsupported dtype"), (OSS_ERROR_INVALID_HANDLE, "invalid handle"),
            (OSS_ERROR_TOKEN_OUT_OF_RANGE, "token out of range"), (OSS_ERROR_CONTEXT_OVERFLOW, "context overflow"),
            (OSS_ERROR_MODEL_FILE, "model file error"), (OSS_ERROR_BUFFER_TOO_SMALL, "buffer too small"),
            (OSS_ERROR_INVALID_STATE, "invalid state"), (OSS_ERROR_OUT_OF_MEMORY, "out of memory"),
            (OSS_ERROR_INTERNAL, "internal error"),
        ]
        return Dictionary(uniqueKeysWithValues: table.map { (UInt32($0.0.rawValue), permanentCString($0.1)) })
    }()
    nonisolated(unsafe) private static let unknownName = permanentCString("unknown status")

    /// The short name of a status (never NULL).
    static func name(of status: oss_status) -> UnsafePointer<CChar> { names[UInt32(status.rawValue)] ?? unknownName }
}

/// The message of the latest failing call, per thread (a strdup'd C string under a pthread key, freed on replace
/// and at thread exit).
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()
    nonisolated(unsafe) private static let empty = permanentCString("")

    static func set(_ message: String) {
        let old = pthread_getspecific(key)
        pthread_setspecific(key, strdup(message))
        free(old)
    }

    static var current: UnsafePointer<CChar> {
        guard let p = pthread_getspecific(key) else { return empty }
        return UnsafePointer(p.assumingMemoryBound(to: CChar.self))
    }
}
