import Foundation
import OSSCore
import XCTest

@testable import OSSFormats

/// One crafted bad GGUF file per validation rule; each asserts the specific typed error.
final class GGUFValidationTests: TemporaryDirectoryTestCase {
    private func open(_ b: GGUFBytes) throws -> GGUFFile {
        try GGUFFile(url: writeRaw(b.bytes, name: "bad.gguf"))
    }

    /// A valid file with one F32 tensor `t` of ne [4] after `prepare` has added key-value pairs.
    private func oneTensor(
        kvs: UInt64 = 0, ne: [Int64] = [4], type: UInt32 = 0, offset: UInt64 = 0, dataBytes: Int = 16,
        prepare: (inout GGUFBytes) -> Void = { _ in }
    ) -> GGUFBytes {
        var b = GGUFBytes(tensors: 1, kvs: kvs)
        prepare(&b)
        b.tensor("t", ne: ne, type: type, offset: offset)
        b.pad(to: 32)
        b.bytes += [UInt8](repeating: 0, count: dataBytes)
        return b
    }

    func testValidCraftedFileOpens() throws {
        let file = try open(oneTensor())
        XCTAssertEqual(file.info("t")?.byteCount, 16)
        XCTAssertEqual(file.dataSectionOffset % 32, 0)
    }

    func testTruncatedHeader() throws {
        let url = try writeRaw(Array("GGUF".utf8) + [3, 0], name: "short.gguf")
        assertGGUFError(try GGUFFile(url: url)) {
            if case .truncated(let f, 6, _) = $0 { return f == url }
            return false
        }
    }

    func testBadMagic() throws {
        assertGGUFError(try self.open(GGUFBytes(magic: Array("GGML".utf8), tensors: 0, kvs: 0))) {
            if case .badMagic(_, let found) = $0 { return found == Array("GGML".utf8) }
            return false
        }
    }

    func testUnsupportedVersion() throws {
        for version: UInt32 in [1, 4, 0x0300_0000] {
            assertGGUFError(try self.open(GGUFBytes(version: version, tensors: 0, kvs: 0))) {
                if case .unsupportedVersion(_, version) = $0 { return true }
                return false
            }
        }
    }

    func testImplausibleCounts() throws {
        assertGGUFError(try self.open(GGUFBytes(tensors: 0, kvs: 1 << 40))) {
            if case .implausibleCount(_, "key-value", 1 << 40) = $0 { return true }
            return false
        }
        assertGGUFError(try self.open(GGUFBytes(tensors: UInt64.max, kvs: 0))) {
            if case .implausibleCount(_, "tensor", UInt64.max) = $0 { return true }
            return false
        }
        var b = GGUFBytes(tensors: 0, kvs: 1)
        b.string("arr")
        b.u32(9)
        b.u32(4)
        b.u64(1_000_000)  // a million u32 in a few bytes
        assertGGUFError(try self.open(b)) {
            if case .implausibleCount(_, _, 1_000_000) = $0 { return true }
            return false
        }
    }

    func testStringPastEndOfFile() throws {
        var b = GGUFBytes(tensors: 0, kvs: 1)
        b.u64(100)  // key length, but only 20 bytes follow
        b.bytes += Array("abcdefghijklmnopqrst".utf8)
        assertGGUFError(try self.open(b)) {
            if case .truncated = $0 { return true }
            return false
        }
    }

    func testHugeStringLength() throws {
        var b = GGUFBytes(tensors: 0, kvs: 1)
        b.u64(1 << 40)
        b.bytes += [UInt8](repeating: 0x61, count: 32)
        assertGGUFError(try self.open(b)) {
            if case .invalidString(_, 24, let reason) = $0 { return reason.contains("exceeds") }
            return false
        }
    }

    func testInvalidUTF8Key() throws {
        var b = GGUFBytes(tensors: 0, kvs: 1)
        b.rawString([0x61, 0xFF, 0x62])
        b.u32(4)
        b.u32(1)
        assertGGUFError(try self.open(b)) {
            if case .invalidString(_, 24, let reason) = $0 { return reason.contains("UTF-8") }
            return false
        }
    }

    func testDuplicateKey() throws {
        var b = GGUFBytes(tensors: 0, kvs: 2)
        b.kvU32("general.x", 1)
        b.kvU32("general.x", 2)
        assertGGUFError(try self.open(b)) {
            if case .duplicateKey(_, "general.x") = $0 { return true }
            return false
        }
    }

    func testInvalidValueType() throws {
        var b = GGUFBytes(tensors: 0, kvs: 1)
        b.string("k")
        b.u32(13)
        b.u32(0)
        assertGGUFError(try self.open(b)) {
            if case .invalidValueType(_, "k", 13) = $0 { return true }
            return false
        }
    }

    func testArraysNestedTooDeep() throws {
        var b = GGUFBytes(tensors: 0, kvs: 1)
        b.string("deep")
        b.u32(9)
        for _ in 0..<5 {  // array of array of … (one element each)
            b.u32(9)
            b.u64(1)
        }
        b.bytes += [UInt8](repeating: 0, count: 64)
        assertGGUFError(try self.open(b)) {
            if case .invalidValueType(_, "deep", 9) = $0 { return true }
            return false
        }
    }

    func testAlignmentNotPowerOfTwo() throws {
        let b = oneTensor(kvs: 1) { $0.kvU32("general.alignment", 24) }
        assertGGUFError(try self.open(b)) {
            if case .invalidAlignment(_, let reason) = $0 { return reason.contains("24") }
            return false
        }
    }

    func testAlignmentOfWrongType() throws {
        var b = GGUFBytes(tensors: 0, kvs: 1)
        b.string("general.alignment")
        b.u32(10)
        b.u64(32)
        assertGGUFError(try self.open(b)) {
            if case .invalidAlignment(_, let reason) = $0 { return reason.contains("u64") }
            return false
        }
    }

    func testDuplicateTensorName() throws {
        var b = GGUFBytes(tensors: 2, kvs: 0)
        b.tensor("t", ne: [4], type: 0, offset: 0)
        b.tensor("t", ne: [4], type: 0, offset: 32)
        b.pad(to: 32)
        b.bytes += [UInt8](repeating: 0, count: 48)
        assertGGUFError(try self.open(b)) {
            if case .duplicateTensor(_, "t") = $0 { return true }
            return false
        }
    }

    func testTooManyDimensions() throws {
        assertGGUFError(try self.open(oneTensor(ne: [4, 1, 1, 1, 1]))) {
            if case .invalidTensorInfo(_, "t", let reason) = $0 { return reason.contains("5 dimensions") }
            return false
        }
    }

    func testNegativeDimension() throws {
        assertGGUFError(try self.open(oneTensor(ne: [4, -1]))) {
            if case .invalidTensorInfo(_, "t", let reason) = $0 { return reason.contains("negative") }
            return false
        }
    }

    func testSizeOverflow() throws {
        assertGGUFError(try self.open(oneTensor(ne: [4, Int64.max / 2]))) {
            if case .invalidTensorInfo(_, "t", let reason) = $0 { return reason.contains("overflow") }
            return false
        }
    }

    func testZeroSizedTensorWithOverflowingDimensions() throws {
        assertGGUFError(try self.open(oneTensor(ne: [0, Int64.max, Int64.max], dataBytes: 0))) {
            if case .invalidTensorInfo(_, "t", let reason) = $0 { return reason.contains("overflow") }
            return false
        }
    }

    func testRowNotMultipleOfBlockSize() throws {
        assertGGUFError(try self.open(oneTensor(ne: [40], type: 8, dataBytes: 68))) {
            if case .invalidTensorInfo(_, "t", let reason) = $0 { return reason.contains("block size 32") }
            return false
        }
    }

    /// The K-quants' 256-weight super-blocks: a row of 300 is rejected, a tensor one super-block short of its
    /// rows is past the end of the file; a well-formed Q6_K tensor opens and views as `q6_K`.
    func testKQuantBlocksAndTruncation() throws {
        assertGGUFError(try self.open(oneTensor(ne: [300], type: 12, dataBytes: 144 * 2))) {
            if case .invalidTensorInfo(_, "t", let reason) = $0 { return reason.contains("block size 256") }
            return false
        }
        assertGGUFError(try self.open(oneTensor(ne: [256, 2], type: 13, dataBytes: 176))) {
            if case .tensorPastEnd(_, "t", let end, let size) = $0 { return end == size + 176 }
            return false
        }
        let file = try open(oneTensor(ne: [512, 3], type: 14, dataBytes: 210 * 6))
        let w = try file.weight("t")
        XCTAssertEqual(w.dtype, .q6_K)
        XCTAssertEqual(w.shape, [3, 512])
    }

    func testUnknownTensorType() throws {
        for type: UInt32 in [4, 36, 40, 1000] {
            assertGGUFError(try self.open(oneTensor(type: type))) {
                if case .unknownTensorType(_, "t", type) = $0 { return true }
                return false
            }
        }
    }

    func testMisplacedTensor() throws {
        assertGGUFError(try self.open(oneTensor(offset: 32, dataBytes: 48))) {
            if case .misplacedTensor(_, "t", 32, 0) = $0 { return true }
            return false
        }
    }

    func testTensorDataPastEndOfFile() throws {
        assertGGUFError(try self.open(oneTensor(dataBytes: 12))) {
            if case .tensorPastEnd(_, "t", let end, let size) = $0 { return end == size + 4 }
            return false
        }
    }

    func testDataSectionPaddingMissing() throws {
        var b = GGUFBytes(tensors: 1, kvs: 0)
        b.tensor("t", ne: [0], type: 0, offset: 0)  // header ends unaligned, file ends there
        assertGGUFError(try self.open(b)) {
            if case .truncated = $0 { return true }
            return false
        }
    }

    func testViewsRejectUnsupportedTypesAndShapes() throws {
        var b = GGUFBytes(tensors: 3, kvs: 0)
        b.tensor("iq4", ne: [32], type: 20, offset: 0)  // IQ4_NL: a type the kernels do not run
        b.tensor("r4", ne: [2, 1, 1, 1], type: 0, offset: 32)
        b.tensor("i32", ne: [2], type: 26, offset: 64)
        b.pad(to: 32)
        b.bytes += [UInt8](repeating: 0, count: 96)
        let file = try open(b)
        assertGGUFError(try file.weight("iq4")) {
            if case .unsupportedType(_, "iq4", .iq4_nl, _, _) = $0 { return true }
            return false
        }
        assertGGUFError(try file.weight("r4")) {
            if case .unsupportedShape(_, "r4", [2, 1, 1, 1], _) = $0 { return true }
            return false
        }
        assertGGUFError(try file.floatTensor("i32")) {
            if case .unsupportedType(_, "i32", .i32, _, _) = $0 { return true }
            return false
        }
        assertGGUFError(try file.weight("absent")) {
            if case .tensorNotFound(_, "absent") = $0 { return true }
            return false
        }
        XCTAssertEqual(try file.floatTensor("r4").shape, Shape([1, 1, 1, 2]))
    }

    func testWriterRejectsBadInputAndLeavesNoFile() throws {
        let url = path("w.gguf")
        func rejects(
            _ metadata: [(key: String, value: GGUFValue)], _ tensors: [GGUFWriter.Entry], _ name: String,
            line: UInt = #line
        ) {
            assertGGUFError(
                try GGUFWriter.write(metadata: metadata, tensors: tensors, to: url),
                {
                    if case .invalidWriterInput(_, name, _) = $0 { return true }
                    return false
                }, line: line)
        }
        rejects([("k", .uint8(1)), ("k", .uint8(2))], [], "k")
        rejects([("", .uint8(1))], [], "")
        rejects([("mixed", .array(.int32, [.int32(1), .float32(2)]))], [], "mixed")
        rejects([("general.alignment", .uint32(48))], [], "general.alignment")
        rejects([("general.alignment", .uint64(64))], [], "general.alignment")
        rejects([], [.init(name: "a", values: [1], ne: [1]), .init(name: "a", values: [1], ne: [1])], "a")
        rejects(
            [], [.init(name: String(repeating: "n", count: 64), values: [1], ne: [1])],
            String(repeating: "n", count: 64))
        rejects([], [.init(name: "q", type: .q8_0, ne: [33]) { _ in }], "q")
        rejects([], [.init(name: "r5", type: .f32, ne: [1, 1, 1, 1, 1]) { _ in }], "r5")
        rejects([], [.init(name: "neg", type: .f32, ne: [-1]) { _ in }], "neg")
        rejects([], [.init(name: "count", values: [1, 2, 3], ne: [2])], "count")
        rejects([], [.init(name: "i8", values: [1], ne: [1], type: .i8)], "i8")
        struct FillFailed: Error {}
        XCTAssertThrowsError(
            try GGUFWriter.write(
                metadata: [], tensors: [.init(name: "f", type: .f32, ne: [1]) { _ in throw FillFailed() }],
                to: url)
        ) { XCTAssertTrue($0 is FillFailed) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "no file, no temporary")
    }
}
