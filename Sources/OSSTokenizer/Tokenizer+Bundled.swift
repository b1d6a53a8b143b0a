import Foundation

extension Tokenizer {
    /// File name of the bundled o200k_base vocabulary (MIT, from OpenAI's tiktoken; see LICENSE-o200k_base.txt).
    public static let bundledVocabularyName = "o200k_base.tiktoken"

    /// The o200k_harmony tokenizer from the vocabulary bundled with this package.
    ///
    /// Lookup order: `$OSS_O200K_VOCAB` (a file path); the SwiftPM resource bundle
    /// (`SwiftOSS_OSSTokenizer.resources/Resources/`) in each of `directories` (e.g. the directory of a shared library
    /// that embeds this module, whose resources were installed beside it), then next to the running executable;
    /// this source file's `Resources/` directory (a build tree).
    /// SwiftPM's generated `Bundle.module` is not used: on Linux it aborts when the bundle is missing, e.g. after the
    /// executable was copied elsewhere; here that is a typed `missingBundledVocabulary` error listing the paths tried.
    ///
    /// The parsed tokenizer is kept for the process: later calls that resolve to the same file (path, size and
    /// modification time unchanged) return it without reading the 3.6 MB file again (model loads, server restarts of a
    /// context, the C ABI's and Python's `Model` create/release loops).
    public static func o200kHarmony(searching directories: [URL] = []) throws -> Tokenizer {
        let path = try bundledVocabularyPath(searching: directories)
        return try BundledVocabularyCache.shared.tokenizer(path: path) {
            try loadTikToken(
                path: path, specials: SpecialToken.o200kHarmony,
                sampleableLimit: SpecialToken.o200kHarmonySampleableLimit)
        }
    }

    /// Path of the bundled vocabulary file (see `o200kHarmony(searching:)` for the lookup order).
    public static func bundledVocabularyPath(searching directories: [URL] = []) throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["OSS_O200K_VOCAB"], !env.isEmpty { candidates.append(env) }
        var executableDirectories = directories + [Bundle.main.bundleURL]
        if let exe = Bundle.main.executableURL { executableDirectories.append(exe.deletingLastPathComponent()) }
        for dir in executableDirectories {
            candidates.append(
                dir.appendingPathComponent("SwiftOSS_OSSTokenizer.resources/Resources/\(bundledVocabularyName)").path)
            candidates.append(
                dir.appendingPathComponent(
                    "SwiftOSS_OSSTokenizer.bundle/Contents/Resources/Resources/\(bundledVocabularyName)"
                ).path)
        }
        candidates.append(
            URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Resources/\(bundledVocabularyName)").path)
        for path in candidates where FileManager.default.isReadableFile(atPath: path) { return path }
        throw TokenizerError.missingBundledVocabulary(
            "no readable \(bundledVocabularyName) at: " + candidates.joined(separator: ", ")
                + " (set OSS_O200K_VOCAB to its path)")
    }
}

/// The last o200k_harmony tokenizer parsed, keyed by its file's path, size and modification time.
final class BundledVocabularyCache: @unchecked Sendable {
    static let shared = BundledVocabularyCache()

    private struct Key: Equatable {
        let path: String
        let size: UInt64
        let modified: Date
    }

    private let lock = NSLock()
    private var entry: (key: Key, tokenizer: Tokenizer)?

    /// The cached tokenizer of `path` if the file is unchanged, else `load()`'s result (cached when the file's
    /// attributes can be read).
    func tokenizer(path: String, load: () throws -> Tokenizer) throws -> Tokenizer {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let key = attributes.flatMap { a -> Key? in
            guard let size = a[.size] as? NSNumber, let modified = a[.modificationDate] as? Date else { return nil }
            return Key(path: path, size: size.uint64Value, modified: modified)
        }
        if let key {
            lock.lock()
            let hit = entry.flatMap { $0.key == key ? $0.tokenizer : nil }
            lock.unlock()
            if let hit { return hit }
        }
        let tokenizer = try load()
        if let key {
            lock.lock()
            entry = (key, tokenizer)
            lock.unlock()
        }
        return tokenizer
    }
}
