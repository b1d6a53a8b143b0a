import Foundation
import OSSTokenizer
import SwiftOSSABI

// The tokenizer: encode / decode / special ids of a model's tokenizer.

/// A tokenizer behind an `oss_tokenizer` handle (immutable, shared freely): whatever tokenizer the model came with
/// (a GGUF file's own, a checkpoint's tokenizer.json, or the bundled o200k_harmony).
final class TokenizerHandle: HandleObject {
    override class var kindName: String { "tokenizer" }
    let tokenizer: Tokenizer
    let specialCount: Int
    /// Ids that are text (not special) tokens.
    let textCount: Int
    /// The end-of-generation ids, ascending.
    let stopTokens: [Int32]

    init(_ tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
        let specials = Set(tokenizer.specialIDs.values)
        specialCount = specials.count
        // Mergeable tables hold no special id; SentencePiece tables hold every piece, specials included.
        textCount = tokenizer.table.count - specials.filter { tokenizer.table.hasRank(Int($0)) }.count
        stopTokens = tokenizer.endOfGeneration.sorted()
    }

    /// Another handle on the same tokenizer and counts.
    init(sharing other: TokenizerHandle) {
        tokenizer = other.tokenizer
        specialCount = other.specialCount
        textCount = other.textCount
        stopTokens = other.stopTokens
    }

    /// The directory of `libswiftoss.so` itself (where SwiftPM, and the Python package, put the tokenizer's
    /// resource bundle next to it).
    static let libraryDirectory: String? = {
        guard let file = oss_support_library_path() else { return nil }
        return URL(fileURLWithPath: String(cString: file)).deletingLastPathComponent().path
    }()
}

/// Copies `count` elements into `out` when they fit in `capacity`; `*countOut` always gets `count`.
func copyOut<T>(
    _ source: UnsafeBufferPointer<T>, to out: UnsafeMutablePointer<T>?, capacity: Int,
    countOut: UnsafeMutablePointer<Int>?, _ what: String
) throws {
    store(source.count, countOut)
    guard source.count <= capacity else {
        throw ABIError(OSS_ERROR_BUFFER_TOO_SMALL, "\(what): \(source.count) needed, capacity \(capacity)")
    }
    guard source.count > 0 else { return }
    guard let out else { throw ABIError.null(what) }
    out.update(from: source.baseAddress!, count: source.count)
}

@_cdecl("oss_tokenizer_retain")
public func ossTokenizerRetain(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_tokenizer_retain") { try Handles.retain(h, as: TokenizerHandle.self) }
}

@_cdecl("oss_tokenizer_release")
public func ossTokenizerRelease(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_tokenizer_release") { try Handles.release(h, as: TokenizerHandle.self) }
}

@_cdecl("oss_tokenizer_get_counts")
public func ossTokenizerGetCounts(
    _ h: OpaquePointer?, _ all: UnsafeMutablePointer<Int64>?,
    _ text: UnsafeMutablePointer<Int64>?, _ special: UnsafeMutablePointer<Int64>?
) -> oss_status {
    abiCall("oss_tokenizer_get_counts") {
        let t = try Handles.get(h, as: TokenizerHandle.self)
        store(Int64(t.tokenizer.vocabularySize), all)
        store(Int64(t.textCount), text)
        store(Int64(t.specialCount), special)
    }
}

@_cdecl("oss_tokenizer_encode")
public func ossTokenizerEncode(
    _ h: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ length: Int, _ flags: Int32,
    _ tokens: UnsafeMutablePointer<Int32>?, _ capacity: Int,
    _ count: UnsafeMutablePointer<Int>?
) -> oss_status {
    abiCall("oss_tokenizer_encode") {
        let t = try Handles.get(h, as: TokenizerHandle.self)
        let ids = try encode(t.tokenizer, text, length, flags)
        try ids.withUnsafeBufferPointer {
            try copyOut($0, to: tokens, capacity: capacity, countOut: count, "tokens_out")
        }
    }
}

/// Encodes `length` bytes at `text` (NULL only with length 0) with `flags` (`oss_encode_flags`).
func encode(_ tokenizer: Tokenizer, _ text: UnsafePointer<CChar>?, _ length: Int, _ flags: Int32) throws -> [Int32] {
    let known = Int32(OSS_ENCODE_ALLOW_SPECIAL.rawValue | OSS_ENCODE_ADD_SPECIAL.rawValue)
    guard flags & ~known == 0 else {
        throw ABIError.invalid("flags \(flags) has bits other than OSS_ENCODE_ALLOW_SPECIAL | OSS_ENCODE_ADD_SPECIAL")
    }
    guard length >= 0 else { throw ABIError.invalid("length \(length) < 0") }
    guard length == 0 || text != nil else { throw ABIError.null("text") }
    let bytes = length == 0 ? [] : Array(UnsafeRawBufferPointer(start: text, count: length))
    return try tokenizer.encode(
        utf8: bytes, allowSpecial: flags & Int32(OSS_ENCODE_ALLOW_SPECIAL.rawValue) != 0,
        addSpecial: flags & Int32(OSS_ENCODE_ADD_SPECIAL.rawValue) != 0)
}

@_cdecl("oss_tokenizer_decode")
public func ossTokenizerDecode(
    _ h: OpaquePointer?, _ tokens: UnsafePointer<Int32>?, _ count: Int,
    _ bytesOut: UnsafeMutablePointer<CChar>?, _ capacity: Int,
    _ length: UnsafeMutablePointer<Int>?
) -> oss_status {
    abiCall("oss_tokenizer_decode") {
        let t = try Handles.get(h, as: TokenizerHandle.self)
        guard count >= 0 else { throw ABIError.invalid("count \(count) < 0") }
        guard count == 0 || tokens != nil else { throw ABIError.null("tokens") }
        let ids = count == 0 ? [] : Array(UnsafeBufferPointer(start: tokens, count: count))
        let bytes = try t.tokenizer.decodeBytes(ids)
        try bytes.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) {
                try copyOut($0, to: bytesOut, capacity: capacity, countOut: length, "bytes_out")
            }
        }
    }
}

@_cdecl("oss_tokenizer_special_id")
public func ossTokenizerSpecialID(
    _ h: OpaquePointer?, _ name: UnsafePointer<CChar>?,
    _ id: UnsafeMutablePointer<Int32>?
) -> oss_status {
    abiCall("oss_tokenizer_special_id") {
        let t = try Handles.get(h, as: TokenizerHandle.self)
        guard let name else { throw ABIError.null("name") }
        guard let id else { throw ABIError.null("id_out") }
        id.pointee = try t.tokenizer.specialID(String(cString: name))
    }
}

@_cdecl("oss_tokenizer_get_bos_eos")
public func ossTokenizerGetBOSEOS(
    _ h: OpaquePointer?, _ bos: UnsafeMutablePointer<Int32>?,
    _ eos: UnsafeMutablePointer<Int32>?, _ addsBOS: UnsafeMutablePointer<Int32>?,
    _ addsEOS: UnsafeMutablePointer<Int32>?
) -> oss_status {
    abiCall("oss_tokenizer_get_bos_eos") {
        let t = try Handles.get(h, as: TokenizerHandle.self).tokenizer
        store(t.bosID ?? -1, bos)
        store(t.eosID ?? -1, eos)
        store(t.addBOS && t.bosID != nil ? 1 : 0, addsBOS)
        store(t.addEOS && t.eosID != nil ? 1 : 0, addsEOS)
    }
}

@_cdecl("oss_tokenizer_get_stop_tokens")
public func ossTokenizerGetStopTokens(
    _ h: OpaquePointer?, _ tokens: UnsafeMutablePointer<Int32>?, _ capacity: Int,
    _ count: UnsafeMutablePointer<Int>?
) -> oss_status {
    abiCall("oss_tokenizer_get_stop_tokens") {
        let t = try Handles.get(h, as: TokenizerHandle.self)
        try t.stopTokens.withUnsafeBufferPointer {
            try copyOut($0, to: tokens, capacity: capacity, countOut: count, "tokens_out")
        }
    }
}
