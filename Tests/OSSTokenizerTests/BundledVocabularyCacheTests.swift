import Foundation
import XCTest

@testable import OSSTokenizer

/// The process-wide cache behind `Tokenizer.o200kHarmony`: a file parsed once is reused while its path, size and
/// modification time are unchanged, and parsed again when the file changes.
final class BundledVocabularyCacheTests: XCTestCase {
    func testReusesAnUnchangedFileAndReloadsAChangedOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oss-vocab-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("v.tiktoken")
        // the 256 single-byte tokens, then the same with "ab" added
        let bytes = (0..<256).map { "\(Data([UInt8($0)]).base64EncodedString()) \($0)\n" }.joined()
        try Data(bytes.utf8).write(to: file)
        let cache = BundledVocabularyCache()
        var loads = 0
        func load() throws -> Tokenizer {
            loads += 1
            return try Tokenizer.loadTikToken(path: file.path, specials: [])
        }
        let first = try cache.tokenizer(path: file.path, load: load)
        let second = try cache.tokenizer(path: file.path, load: load)
        XCTAssertEqual(loads, 1, "an unchanged file is parsed once")
        XCTAssertEqual(first.table.count, second.table.count)
        try Data((bytes + "YWI= 256\n").utf8).write(to: file)
        let third = try cache.tokenizer(path: file.path, load: load)
        XCTAssertEqual(loads, 2, "a changed file is parsed again")
        XCTAssertEqual(third.table.count, first.table.count + 1)
        // a failing load is not cached: the next call tries again
        try Data("not base64 at all\n".utf8).write(to: file)
        XCTAssertThrowsError(try cache.tokenizer(path: file.path, load: load))
        XCTAssertThrowsError(try cache.tokenizer(path: file.path, load: load))
        XCTAssertEqual(loads, 4)
    }

    func testBundledTokenizerIsTheSameOnEveryCall() throws {
        let a = try Tokenizer.o200kHarmony()
        let b = try Tokenizer.o200kHarmony()
        XCTAssertEqual(a.table.count, b.table.count)
        XCTAssertEqual(a.encode("Hello, world!"), b.encode("Hello, world!"))
    }
}
