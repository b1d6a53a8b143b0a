import Foundation
import OSSTokenizer
import SwiftOSSABI

// The tokenizer: encode / decode / special ids of a model's tokenizer.

/// A tokenizer behind an `oss_tokenizer` handle (immutable, shared freely).
final class TokenizerHandle: HandleObject {
    override class var kindName: String { "tokenizer" }
    let tokenizer: Tokenizer
    let specialCount: Int

    init(_ tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
        specialCount = Set(tokenizer.specialIDs.values).count
    }

    /// The directory of `libswiftoss.so` itself (where SwiftPM, and the Python package, put the tokenizer's
    /// resource bundle next to it).
    static let libraryDirectory: String? = {
        guard let file = oss_support_library_path() else { return nil }
        return URL(fileURLWithPath: String(cString: file)).deletingLastPathComponent().path
    }()

    /// `tokenizer.json` of the model directory when present, else the bundled o200k_harmony vocabulary: from
    /// `$OSS_O200K_VOCAB`, the resource bundle beside this library, or OSSTokenizer's own lookup.
    static func load(modelDirectory: String) throws -> TokenizerHandle {
        let json = URL(fileURLWithPath: modelDirectory).appendingPathComponent("tokenizer.json").path
        if FileManager.default.fileExists(atPath: json) {
            return TokenizerHandle(try Tokenizer.loadHuggingFace(path: json))
        }
        let env = ProcessInfo.processInfo.environment["OSS_O200K_VOCAB"] ?? ""
        if env.isEmpty, let dir = libraryDirectory {
            let beside = dir + "/SwiftOSS_OSSTokenizer.resources/Resources/" + Tokenizer.bundledVocabularyName
            if FileManager.default.isReadableFile(atPath: beside) {
                return TokenizerHandle(try Tokenizer.loadTikToken(
                    path: beside, specials: SpecialToken.o200kHarmony,
                    sampleableLimit: SpecialToken.o200kHarmonySampleableLimit))
            }
        }
        return TokenizerHandle(try Tokenizer.o200kHarmony())
    }
}

/// Copies `count` elements into `out` when they fit in `capacity`; `*countOut` always gets `count`.
func copyOut<T>(_ source: UnsafeBufferPointer<T>, to out: UnsafeMutablePointer<T>?, capacity: Int,
                countOut: UnsafeMutablePointer<Int>?, _ what: String) throws {
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
public func ossTokenizerGetCounts(_ h: OpaquePointer?, _ all: UnsafeMutablePointer<Int64>?,
                                  _ text: UnsafeMutablePointer<Int64>?, _ special: UnsafeMutablePointer<Int64>?) -> oss_status {
    abiCall("oss_tokenizer_get_counts") {
        let t = try Handles.get(h, as: TokenizerHandle.self)
        store(Int64(t.tokenizer.vocabularySize), all)
        store(Int64(t.tokenizer.table.count), text)
        store(Int64(t.specialCount), special)
    }
}

@_cdecl("oss_tokenizer_encode")
public func ossTokenizerEncode(_ h: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ length: Int, _ allowSpecial: Int32,
                               _ tokens: UnsafeMutablePointer<Int32>?, _ capacity: Int,
                               _ count: UnsafeMutablePointer<Int>?) -> oss_status {
    abiCall("oss_tokenizer_encode") {
        let t = try Handles.get(h, as: TokenizerHandle.self)
        let ids = try encode(t.tokenizer, text, length, allowSpecial)
        try ids.withUnsafeBufferPointer { try copyOut($0, to: tokens, capacity: capacity, countOut: count, "tokens_out") }
    }
}

/// Encodes `length` bytes at `text` (NULL only with length 0).
func encode(_ tokenizer: Tokenizer, _ text: UnsafePointer<CChar>?, _ length: Int, _ allowSpecial: Int32) throws -> [Int32] {
    guard length >= 0 else { throw ABIError.invalid("length \(length) < 0") }
    guard length > 0 else { return [] }
    guard let text else { throw ABIError.null("text") }
    let bytes = Array(UnsafeRawBufferPointer(start: text, count: length))
    return try tokenizer.encode(utf8: bytes, allowSpecial: allowSpecial != 0)
}

@_cdecl("oss_tokenizer_decode")
public func ossTokenizerDecode(_ h: OpaquePointer?, _ tokens: UnsafePointer<Int32>?, _ count: Int,
                               _ bytesOut: UnsafeMutablePointer<CChar>?, _ capacity: Int,
                               _ length: UnsafeMutablePointer<Int>?) -> oss_status {
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
public func ossTokenizerSpecialID(_ h: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                                  _ id: UnsafeMutablePointer<Int32>?) -> oss_status {
    abiCall("oss_tokenizer_special_id") {
        let t = try Handles.get(h, as: TokenizerHandle.self)
        guard let name else { throw ABIError.null("name") }
        guard let id else { throw ABIError.null("id_out") }
        id.pointee = try t.tokenizer.specialID(String(cString: name))
    }
}
