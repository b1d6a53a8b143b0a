import Foundation
import OSSFuzz
import XCTest

/// Replays every committed fuzz input through its target's properties (the same code libFuzzer runs in `make fuzz`):
/// the seed corpus `Fuzz/corpus/<target>/` and the inputs of fixed crashes, `Fuzz/regressions/<target>/` (a name
/// ending in `-rejected` / `-accepted` also fixes the outcome).
final class FuzzRegressionTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    /// Runs every input of `target`'s corpus and regression directories; fails per broken property.
    func replay(_ target: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let runner = try FuzzRunner(name: target) else {
            return XCTFail("unknown fuzz target \(target)", file: file, line: line)
        }
        var inputs = 0
        for kind in ["corpus", "regressions"] {
            let dir = Self.root.appendingPathComponent(kind).appendingPathComponent(target)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") {
                let url = dir.appendingPathComponent(name)
                inputs += 1
                let outcome: FuzzOutcome
                do { outcome = try runner.run([UInt8](try Data(contentsOf: url))) } catch {
                    XCTFail("\(kind)/\(target)/\(name): \(error)", file: file, line: line)
                    continue
                }
                // A regression named *-rejected must get a typed error (*-accepted a valid result): what the fix made
                // of it, checked even where the heap is not measured (plain builds).
                if name.hasSuffix("-rejected"), outcome == .accepted {
                    XCTFail("\(kind)/\(target)/\(name): accepted, the fix rejects it", file: file, line: line)
                }
                if name.hasSuffix("-accepted"), outcome != .accepted {
                    XCTFail("\(kind)/\(target)/\(name): \(outcome), the fix accepts it", file: file, line: line)
                }
            }
        }
        XCTAssertGreaterThan(inputs, 0, "no corpus for fuzz target \(target)", file: file, line: line)
    }

    /// Each target has its test below (a new target needs one).
    func testEveryTargetIsReplayed() {
        XCTAssertEqual(
            FuzzTargets.names.sorted(),
            [
                "chat-template", "config-json", "encode", "gguf", "gguf-tokenizer", "harmony", "model-dir",
                "model-gguf",
                "safetensors", "safetensors-index", "server-request", "tiktoken", "tokenizer-json",
            ])
    }

    func testSafetensors() throws { try replay("safetensors") }
    func testSafetensorsIndex() throws { try replay("safetensors-index") }
    func testGGUF() throws { try replay("gguf") }
    func testConfigJSON() throws { try replay("config-json") }
    func testTikToken() throws { try replay("tiktoken") }
    func testTokenizerJSON() throws { try replay("tokenizer-json") }
    func testGGUFTokenizer() throws { try replay("gguf-tokenizer") }
    func testEncode() throws { try replay("encode") }
    func testHarmony() throws { try replay("harmony") }
    func testChatTemplate() throws { try replay("chat-template") }
    func testModelGGUF() throws { try replay("model-gguf") }
    func testModelDirectory() throws { try replay("model-dir") }
    func testServerRequest() throws { try replay("server-request") }
}
