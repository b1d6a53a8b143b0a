import Foundation
import OSSCore
import XCTest

@testable import OSSFormats

/// Hostile GGUF files beyond one-rule-per-file (GGUFValidationTests): every truncation and seeded byte corruption
/// of a real file, lengths and offsets near 2⁶⁴, overlapping tensors, bad alignments. Each opens or fails with a
/// typed `GGUFError`; none crashes, and none reads or allocates beyond what the file holds (counts are checked
/// against the bytes left before anything is allocated).
final class GGUFHostileTests: TemporaryDirectoryTestCase {
    /// A small real file: strings, arrays, numbers and three tensors (F32, Q8_0, MXFP4).
    private func validFile() throws -> [UInt8] {
        let url = path("valid.gguf")
        let q8 = try WeightTensor.encode((0..<64).map { Float($0) / 8 }, shape: [2, 32], dtype: .q8_0)
        let mx = try WeightTensor.encode((0..<32).map { Float($0 % 7) - 3 }, shape: [1, 32], dtype: .mxfp4)
        try GGUFWriter.write(
            metadata: [
                ("general.architecture", .string("llama")), ("llama.block_count", .uint32(2)),
                ("llama.rope.freq_base", .float32(10_000)), ("tokenizer.ggml.add_bos_token", .bool(true)),
                ("tokenizer.ggml.tokens", .array(.string, ["a", "b", "ü"].map { .string($0) })),
                ("tokenizer.ggml.scores", .array(.float32, [0, -1, -2].map { .float32($0) })),
            ],
            tensors: [
                GGUFWriter.Entry(name: "f", values: [1, 2, 3, 4], ne: [4]),
                GGUFWriter.Entry(name: "q", weight: q8), GGUFWriter.Entry(name: "m", weight: mx),
            ],
            to: url)
        return Array(try Data(contentsOf: url))
    }

    private func openBytes(_ bytes: [UInt8], _ name: String = "x.gguf") -> Result<GGUFFile, GGUFError> {
        let url = path(name)
        do { try Data(bytes).write(to: url) } catch {
            XCTFail("\(error)")
            return .failure(.cannotOpen(file: url, reason: ""))
        }
        do { return .success(try GGUFFile(url: url)) } catch { return .failure(error) }
    }

    func testEveryTruncationIsATypedError() throws {
        let bytes = try validFile()
        guard case .success(let whole) = openBytes(bytes) else { return XCTFail("the valid file must open") }
        XCTAssertEqual(whole.tensors.count, 3)
        // The zero padding after the last tensor's data may be cut: the file is complete without it.
        let last = try XCTUnwrap(whole.tensors.last)
        let dataEnd = last.fileOffset + last.byteCount
        var kinds: [String: Int] = [:]
        for n in 0..<bytes.count {
            switch openBytes(Array(bytes[..<n])) {
            case .success(let file):
                XCTAssertGreaterThanOrEqual(n, dataEnd, "a file truncated to \(n) of \(bytes.count) bytes opened")
                XCTAssertEqual(file.tensors.count, 3)
            case .failure(let e):
                XCTAssertFalse(e.description.contains("\n"), "one line: \(e)")
                kinds["\(e)".split(separator: ":").dropFirst().first.map(String.init) ?? "", default: 0] += 1
            }
        }
        XCTAssertGreaterThan(kinds.count, 2, "truncations fail in several ways: \(kinds.keys)")
    }

    func testSeededCorruptionsOpenOrFailTyped() throws {
        let bytes = try validFile()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        var opened = 0
        var failed = 0
        for _ in 0..<400 {
            var b = bytes
            for _ in 0..<Int(1 + next() % 4) {
                // Mostly the header (where lengths, counts and types live), sometimes anywhere.
                let limit = next() % 4 == 0 ? b.count : min(b.count, 400)
                b[Int(next() % UInt64(limit))] ^= UInt8(truncatingIfNeeded: 1 << (next() % 8))
            }
            switch openBytes(b) {
            case .success: opened += 1
            case .failure(let e):
                failed += 1
                XCTAssertFalse(e.description.contains("\n"))
            }
        }
        XCTAssertGreaterThan(failed, 100, "most header corruptions are caught (\(opened) opened)")
    }

    func testArrayLengthsNearTwoToThe64() throws {
        for (elementType, count) in [
            (UInt32(0), UInt64.max), (8, UInt64.max), (8, 1 << 63), (9, 1 << 62), (4, UInt64.max / 4 + 1),
        ] {
            var b = GGUFBytes(tensors: 0, kvs: 1)
            b.string("a")
            b.u32(9)
            b.u32(elementType)
            b.u64(count)
            b.bytes += [UInt8](repeating: 0, count: 64)
            guard case .failure(let e) = openBytes(b.bytes) else { return XCTFail("array of \(count) opened") }
            guard case .implausibleCount(_, _, count) = e else { return XCTFail("\(e)") }
        }
        // A string whose length is near 2⁶⁴.
        var b = GGUFBytes(tensors: 0, kvs: 1)
        b.u64(UInt64.max - 7)
        b.bytes += [UInt8](repeating: 0x61, count: 16)
        guard case .failure(.invalidString) = openBytes(b.bytes) else { return XCTFail("huge string opened") }
    }

    func testOffsetsDimensionsAndOverlaps() throws {
        func expect(_ tensors: [(String, [Int64], UInt64)], data: Int, _ check: (GGUFError) -> Bool, line: UInt = #line)
        {
            var b = GGUFBytes(tensors: UInt64(tensors.count), kvs: 0)
            for (name, ne, offset) in tensors { b.tensor(name, ne: ne, type: 0, offset: offset) }
            b.pad(to: 32)
            b.bytes += [UInt8](repeating: 0, count: data)
            switch openBytes(b.bytes) {
            case .success: XCTFail("opened", line: line)
            case .failure(let e): XCTAssertTrue(check(e), "\(e)", line: line)
            }
        }
        // An offset near 2⁶⁴.
        expect([("t", [4], UInt64.max)], data: 16) {
            if case .misplacedTensor(_, "t", UInt64.max, 0) = $0 { return true }
            return false
        }
        // Two tensors at the same offset (overlapping).
        expect([("a", [8], 0), ("b", [8], 0)], data: 64) {
            if case .misplacedTensor(_, "b", 0, 32) = $0 { return true }
            return false
        }
        // The second tensor inside the first one.
        expect([("a", [64], 0), ("b", [8], 128)], data: 512) {
            if case .misplacedTensor(_, "b", 128, 256) = $0 { return true }
            return false
        }
        // Dimensions whose product overflows, or near Int64.max.
        for ne: [Int64] in [[Int64.max, 2], [1 << 62, 4], [1 << 31, 1 << 31, 1 << 31], [Int64.max]] {
            expect([("t", ne, 0)], data: 16) {
                if case .invalidTensorInfo(_, "t", _) = $0 { return true }
                if case .tensorPastEnd(_, "t", _, _) = $0 { return true }
                return false
            }
        }
        // A tensor count the file cannot hold.
        var b = GGUFBytes(tensors: 1 << 62, kvs: 0)
        b.bytes += [UInt8](repeating: 0, count: 64)
        guard case .failure(.implausibleCount(_, "tensor", 1 << 62)) = openBytes(b.bytes) else { return XCTFail() }
    }

    func testAlignmentValues() throws {
        for value in [UInt32(0), 3, 1 << 21, UInt32.max] {
            var b = GGUFBytes(tensors: 0, kvs: 1)
            b.kvU32("general.alignment", value)
            guard case .failure(let e) = openBytes(b.bytes), case .invalidAlignment = e else {
                return XCTFail("alignment \(value) accepted")
            }
        }
        // A valid large alignment (64) places data accordingly.
        var b = GGUFBytes(tensors: 1, kvs: 1)
        b.kvU32("general.alignment", 64)
        b.tensor("t", ne: [4], type: 0, offset: 0)
        b.pad(to: 64)
        b.bytes += [UInt8](repeating: 0, count: 16)
        guard case .success(let file) = openBytes(b.bytes) else { return XCTFail() }
        XCTAssertEqual(file.dataSectionOffset % 64, 0)
    }

    func testTensorNamesThatAreNotUTF8() throws {
        var b = GGUFBytes(tensors: 1, kvs: 0)
        b.rawString([0x74, 0xC3, 0x28])
        b.u32(1)
        b.i64(4)
        b.u32(0)
        b.u64(0)
        b.pad(to: 32)
        b.bytes += [UInt8](repeating: 0, count: 16)
        guard case .failure(.invalidString) = openBytes(b.bytes) else { return XCTFail() }
    }
}
