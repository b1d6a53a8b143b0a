import Foundation
import SwiftOSSABI

// The C ABI of SwiftOSS (`libswiftoss.so`): `@_cdecl` functions declared in swiftoss.h (module SwiftOSSABI).
//
// Every exported function runs its body through `abiCall`, which turns any thrown Swift error into an `oss_status`
// plus a thread-local message (`oss_last_error`). Bodies validate every pointer, enum and shape before they reach
// Swift code that could trap (preconditions), so nothing traps or throws across the boundary.
// Files: Handles (registry, retain/release), ABIError (statuses and messages), Ops (op level), Model, Tokenizer,
// Context.

/// Runs `body`; a thrown error becomes its status and the thread's last-error message, prefixed with `function`.
@inline(__always)
func abiCall(_ function: StaticString, _ body: () throws -> Void) -> oss_status {
    do {
        try body()
        return OSS_OK
    } catch {
        let failure = ABIError.classify(error)
        LastError.set("\(function): \(failure.message)")
        return failure.status
    }
}

/// Writes `value` through an optional out-pointer (NULL = the caller does not want it).
@inline(__always)
func store<T>(_ value: T, _ pointer: UnsafeMutablePointer<T>?) { pointer?.pointee = value }

/// A C string that lives as long as the process (names of enums and kinds).
func permanentCString(_ s: String) -> UnsafePointer<CChar> { UnsafePointer(strdup(s)!) }

@_cdecl("oss_abi_version")
public func ossABIVersion() -> Int32 { Int32(OSS_ABI_VERSION) }

@_cdecl("oss_status_name")
public func ossStatusName(_ status: oss_status) -> UnsafePointer<CChar> { ABIError.name(of: status) }

@_cdecl("oss_last_error")
public func ossLastError() -> UnsafePointer<CChar> { LastError.current }
