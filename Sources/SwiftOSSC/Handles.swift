import Foundation
import SwiftOSSABI

/// Base of every object behind a C handle: reference counted by the C API (`references`, under `Handles.lock`),
/// kept alive by one Swift retain while `references` > 0.
class HandleObject {
    /// What the C API calls this kind of handle ("backend", "model", …), for messages.
    class var kindName: String { "handle" }
    /// C references (create = 1, retain +1, release −1); guarded by `Handles.lock`.
    fileprivate var references = 1
}

/// The registry of live handles: every C call looks its handle up here, so a handle that was released (or a pointer
/// that never was a handle) gives `OSS_ERROR_INVALID_HANDLE` instead of touching freed memory. A new object may
/// later get a released handle's address; using the old pointer then reaches the new object (or fails the kind
/// check): that much cannot be detected.
enum Handles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live = Set<UnsafeMutableRawPointer>()

    /// Registers `object` with one C reference and returns its handle.
    static func make(_ object: HandleObject) -> OpaquePointer {
        let raw = Unmanaged.passRetained(object).toOpaque()
        lock.lock()
        live.insert(raw)
        lock.unlock()
        return OpaquePointer(raw)
    }

    /// The live object of kind `T` behind `handle` (a strong reference: it stays alive while the caller uses it).
    static func get<T: HandleObject>(_ handle: OpaquePointer?, as kind: T.Type) throws -> T {
        guard let handle else { throw ABIError(OSS_ERROR_INVALID_HANDLE, "\(T.kindName) handle is NULL") }
        let raw = UnsafeMutableRawPointer(handle)
        lock.lock()
        defer { lock.unlock() }
        guard live.contains(raw) else {
            throw ABIError(
                OSS_ERROR_INVALID_HANDLE, "\(T.kindName) handle \(raw) is not live (released, or never created)")
        }
        let object = Unmanaged<HandleObject>.fromOpaque(raw).takeUnretainedValue()
        guard let typed = object as? T else {
            throw ABIError(
                OSS_ERROR_INVALID_HANDLE,
                "handle \(raw) is a \(type(of: object).kindName), expected a \(T.kindName)")
        }
        return typed
    }

    /// Adds a C reference.
    static func retain<T: HandleObject>(_ handle: OpaquePointer?, as kind: T.Type) throws {
        let object = try get(handle, as: kind)
        lock.lock()
        object.references += 1
        lock.unlock()
    }

    /// Drops a C reference (NULL is a no-op); the last one unregisters the handle and lets the object go.
    static func release<T: HandleObject>(_ handle: OpaquePointer?, as kind: T.Type) throws {
        guard handle != nil else { return }
        let object = try get(handle, as: kind)
        lock.lock()
        object.references -= 1
        let last = object.references == 0
        if last { live.remove(UnsafeMutableRawPointer(handle!)) }
        lock.unlock()
        if last { Unmanaged.passUnretained(object).release() }
    }

    /// Number of live handles (tests of the create/release loop).
    static var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return live.count
    }
}

/// Writes a new handle through `out` after checking `out` is not NULL (set to NULL first on every path).
func makeHandle(
    _ out: UnsafeMutablePointer<OpaquePointer?>?, _ what: String,
    _ create: () throws -> HandleObject
) throws {
    guard let out else { throw ABIError.null(what) }
    out.pointee = nil
    out.pointee = Handles.make(try create())
}
