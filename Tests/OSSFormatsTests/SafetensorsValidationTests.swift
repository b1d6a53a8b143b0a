import Foundation
import XCTest

@testable import OSSFormats

/// One crafted bad file per validation rule; each asserts the specific typed error.
final class SafetensorsValidationTests: TemporaryDirectoryTestCase {
    private func open(_ url: URL) throws -> SafetensorsFile { try SafetensorsFile(url: url) }

    func testFileShorterThanEightBytes() throws {
        let url = try writeRaw([1, 0, 0], name: "short.safetensors")
        assertSafetensorsError(try self.open(url)) {
            if case .fileTooSmall(let f, 3) = $0 { return f == url }
            return false
        }
    }

    func testEmptyFile() throws {
        let url = try writeRaw([], name: "empty.safetensors")
        assertSafetensorsError(try self.open(url)) {
            if case .fileTooSmall(_, 0) = $0 { return true }
            return false
        }
    }

    func testHeaderLongerThanFile() throws {
        let url = try craftSafetensors(header: "{}", declaredLength: 3)
        assertSafetensorsError(try self.open(url)) {
            if case .headerExceedsFile(let f, 3, 10) = $0 { return f == url }
            return false
        }
    }

    func testHugeHeaderLength() throws {
        let url = try craftSafetensors(header: "{}", declaredLength: 0xFFFF_FFFF_FFFF_FFF0)
        assertSafetensorsError(try self.open(url)) {
            if case .headerTooLarge(_, 0xFFFF_FFFF_FFFF_FFF0, 100_000_000) = $0 { return true }
            return false
        }
    }

    func testMalformedJSON() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#, data: [0, 0, 0, 0])
        assertSafetensorsError(try self.open(url)) {
            if case .malformedHeader(let f, let reason) = $0 { return f == url && reason.contains("end of input") }
            return false
        }
    }

    func testInvalidUTF8InHeader() throws {
        let header = "{\"w\u{FFFD}\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}"
        var bytes = Array(header.utf8)
        let i = try XCTUnwrap(bytes.firstIndex(of: 0xEF))
        bytes.replaceSubrange(i..<(i + 3), with: [0xC3, 0x28, 0x20])  // invalid two-byte sequence
        let n = UInt64(bytes.count)
        let url = try writeRaw(
            (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + bytes + [7],
            name: "utf8.safetensors")
        assertSafetensorsError(try self.open(url)) {
            if case .malformedHeader(_, let reason) = $0 { return reason.contains("UTF-8") }
            return false
        }
    }

    func testTrailingGarbageAfterJSON() throws {
        let url = try craftSafetensors(header: "{} x")
        assertSafetensorsError(try self.open(url)) {
            if case .malformedHeader = $0 { return true }
            return false
        }
    }

    func testNonObjectJSON() throws {
        let url = try craftSafetensors(header: "[1,2]   ")
        assertSafetensorsError(try self.open(url)) {
            if case .headerNotObject(let f, "array") = $0 { return f == url }
            return false
        }
    }

    func testUnknownDType() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        assertSafetensorsError(try self.open(url)) {
            if case .unknownDType(let f, "w", "F7") = $0 { return f == url }
            return false
        }
    }

    func testDTypeOfWrongJSONType() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        assertSafetensorsError(try self.open(url)) {
            if case .invalidEntry(_, "w", let reason) = $0 { return reason.contains("dtype") }
            return false
        }
    }

    func testMissingField() throws {
        let url = try craftSafetensors(header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0])
        assertSafetensorsError(try self.open(url)) {
            if case .invalidEntry(_, "w", let reason) = $0 { return reason.contains("data_offsets") }
            return false
        }
    }

    func testEntryNotAnObject() throws {
        let url = try craftSafetensors(header: #"{"w":[1,2]}"#)
        assertSafetensorsError(try self.open(url)) {
            if case .invalidEntry(_, "w", let reason) = $0 { return reason.contains("not an object") }
            return false
        }
    }

    func testNonIntegerShape() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        assertSafetensorsError(try self.open(url)) {
            if case .invalidEntry(_, "w", let reason) = $0 { return reason.contains("shape") }
            return false
        }
    }

    func testNegativeShape() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}"#,
            data: [UInt8](repeating: 0, count: 16))
        assertSafetensorsError(try self.open(url)) {
            if case .negativeDimension(let f, "w", [-1, -4]) = $0 { return f == url }
            return false
        }
    }

    func testShapeTimesSizeDiffersFromByteRange() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#,
            data: [UInt8](repeating: 0, count: 24))
        assertSafetensorsError(try self.open(url)) {
            if case .byteCountMismatch(let f, "w", [2, 3], .f32, 24, 20) = $0 { return f == url }
            return false
        }
    }

    func testShapeSizeOverflow() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#)
        assertSafetensorsError(try self.open(url)) {
            if case .sizeOverflow(_, "w", [4_611_686_018_427_387_904, 4]) = $0 { return true }
            return false
        }
    }

    func testZeroSizedShapeWithOverflowingDimensions() throws {
        // 0 elements, but a view computing the element count in another order would overflow: rejected.
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}}"#)
        assertSafetensorsError(try self.open(url)) {
            if case .sizeOverflow(_, "w", _) = $0 { return true }
            return false
        }
    }

    func testOffsetsPastTheEnd() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
            data: [UInt8](repeating: 0, count: 10))
        assertSafetensorsError(try self.open(url)) {
            if case .offsetsOutOfBounds(let f, "w", 4, 12, 10) = $0 { return f == url }
            return false
        }
    }

    func testOffsetBeyondIntRange() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551615]}}"#)
        assertSafetensorsError(try self.open(url)) {
            if case .invalidEntry(_, "w", let reason) = $0 { return reason.contains("data_offsets") }
            return false
        }
    }

    func testBeginAfterEnd() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"U8","shape":[0],"data_offsets":[8,4]}}"#,
            data: [UInt8](repeating: 0, count: 8))
        assertSafetensorsError(try self.open(url)) {
            if case .invalidOffsets(let f, "w", 8, 4) = $0 { return f == url }
            return false
        }
    }

    func testNegativeBegin() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"U8","shape":[2],"data_offsets":[-1,1]}}"#, data: [0, 0])
        assertSafetensorsError(try self.open(url)) {
            if case .invalidOffsets(_, "w", -1, 1) = $0 { return true }
            return false
        }
    }

    func testOverlappingTensors() throws {
        let url = try craftSafetensors(
            header:
                #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[4],"data_offsets":[6,10]}}"#,
            data: [UInt8](repeating: 0, count: 10))
        assertSafetensorsError(try self.open(url)) {
            if case .overlappingTensors(let f, "a", "b") = $0 { return f == url }
            return false
        }
    }

    func testTensorInsideAnother() throws {
        let url = try craftSafetensors(
            header:
                #"{"big":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}}"#,
            data: [UInt8](repeating: 0, count: 16))
        assertSafetensorsError(try self.open(url)) {
            if case .overlappingTensors(_, "big", "a") = $0 { return true }
            return false
        }
    }

    func testZeroSizeTensorsDoNotOverlap() throws {
        let url = try craftSafetensors(
            header:
                #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"z":{"dtype":"F32","shape":[0,3],"data_offsets":[2,2]}}"#,
            data: [1, 2, 3, 4])
        let file = try self.open(url)
        XCTAssertEqual(file.info("z")?.byteCount, 0)
        XCTAssertEqual(Array(try file.rawBytes("a")), [1, 2, 3, 4])
    }

    func testDuplicateNames() throws {
        let url = try craftSafetensors(
            header:
                #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#,
            data: [0, 0])
        assertSafetensorsError(try self.open(url)) {
            if case .duplicateTensor(let f, "w") = $0 { return f == url }
            return false
        }
    }

    func testDuplicateFieldInEntry() throws {
        let url = try craftSafetensors(
            header: #"{"w":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}"#, data: [0])
        assertSafetensorsError(try self.open(url)) {
            if case .invalidEntry(_, "w", let reason) = $0 { return reason.contains("twice") }
            return false
        }
    }

    func testMetadataWithNonStringValue() throws {
        let url = try craftSafetensors(header: #"{"__metadata__":{"format":"pt","total":12}}"#)
        assertSafetensorsError(try self.open(url)) {
            if case .invalidMetadata(let f, let reason) = $0 { return f == url && reason.contains("total") }
            return false
        }
    }

    func testMetadataNotAnObject() throws {
        let url = try craftSafetensors(header: #"{"__metadata__":"pt"}"#)
        assertSafetensorsError(try self.open(url)) {
            if case .invalidMetadata(_, let reason) = $0 { return reason.contains("not an object") }
            return false
        }
    }

    func testMissingFile() throws {
        let url = path("absent.safetensors")
        assertSafetensorsError(try self.open(url)) {
            if case .cannotOpen(let f, _) = $0 { return f == url }
            return false
        }
    }

    func testUnknownTensorName() throws {
        let url = path("one.safetensors")
        try SafetensorsWriter.write([.init(name: "w", values: [1], shape: [1])], to: url)
        assertSafetensorsError(try self.open(url).rawBytes("nope")) {
            if case .tensorNotFound(url, "nope") = $0 { return true }
            return false
        }
        assertSafetensorsError(try SafetensorsArchive(files: [url]).weight("nope")) {
            if case .tensorNotFound(_, "nope") = $0 { return true }
            return false
        }
    }

    // MARK: archive-level checks

    private func writeShard(_ name: String, tensors: [String]) throws {
        try SafetensorsWriter.write(tensors.map { .init(name: $0, values: [1, 2], shape: [2]) }, to: path(name))
    }

    func testIndexReferencingMissingFile() throws {
        try writeShard("s1.safetensors", tensors: ["a"])
        try SafetensorsWriter.writeIndex(
            weightMap: ["a": "s1.safetensors", "b": "s2.safetensors"], metadata: [:],
            to: path(SafetensorsIndex.fileName))
        assertSafetensorsError(try SafetensorsArchive(directory: self.directory)) {
            if case .indexMissingFile(let i, "b", "s2.safetensors") = $0 {
                return i.lastPathComponent == SafetensorsIndex.fileName
            }
            return false
        }
    }

    func testIndexNamingTensorMissingFromShard() throws {
        try writeShard("s1.safetensors", tensors: ["a"])
        try writeShard("s2.safetensors", tensors: ["b"])
        try SafetensorsWriter.writeIndex(
            weightMap: ["a": "s1.safetensors", "b": "s1.safetensors"], metadata: [:],
            to: path(SafetensorsIndex.fileName))
        assertSafetensorsError(try SafetensorsArchive(directory: self.directory)) {
            if case .indexTensorMissingFromShard(_, "b", let shard) = $0 {
                return shard.lastPathComponent == "s1.safetensors"
            }
            return false
        }
    }

    func testTensorInTwoShards() throws {
        try writeShard("s1.safetensors", tensors: ["a", "shared"])
        try writeShard("s2.safetensors", tensors: ["b", "shared"])
        try SafetensorsWriter.writeIndex(
            weightMap: ["a": "s1.safetensors", "b": "s2.safetensors", "shared": "s1.safetensors"],
            metadata: [:], to: path(SafetensorsIndex.fileName))
        assertSafetensorsError(try SafetensorsArchive(directory: self.directory)) {
            if case .tensorInMultipleFiles("shared", let a, let b) = $0 {
                return a.lastPathComponent == "s1.safetensors" && b.lastPathComponent == "s2.safetensors"
            }
            return false
        }
        // Without the index the same two files are still one archive with a duplicate.
        assertSafetensorsError(
            try SafetensorsArchive(files: [self.path("s1.safetensors"), self.path("s2.safetensors")])
        ) {
            if case .tensorInMultipleFiles("shared", _, _) = $0 { return true }
            return false
        }
    }

    func testMalformedIndex() throws {
        try writeShard("s1.safetensors", tensors: ["a"])
        let index = path(SafetensorsIndex.fileName)
        let cases: [(String, String)] = [
            (#"{"weight_map": {"a": "s1.safetensors""#, "end of input"),
            (#"["s1.safetensors"]"#, "not an object"),
            (#"{"metadata": {}}"#, "weight_map"),
            (#"{"weight_map": {"a": 3}}"#, "not a file name"),
            (#"{"weight_map": {"a": "s1.safetensors", "a": "s1.safetensors"}}"#, "twice"),
            (#"{"weight_map": {"a": "../s1.safetensors"}}"#, "inside the directory"),
            (#"{"weight_map": {"a": "/etc/passwd"}}"#, "inside the directory"),
            (#"{"weight_map": {}}"#, "empty"),
        ]
        for (text, reasonPart) in cases {
            try Data(text.utf8).write(to: index)
            assertSafetensorsError(try SafetensorsArchive(directory: self.directory)) {
                if case .indexMalformed(let i, let reason) = $0 { return i == index && reason.contains(reasonPart) }
                return false
            }
        }
    }

    func testDirectoryWithoutSafetensors() throws {
        try writeRaw([1], name: "config.json")
        assertSafetensorsError(try SafetensorsArchive(directory: self.directory)) {
            if case .noSafetensorsFiles = $0 { return true }
            return false
        }
    }

    // MARK: typed views

    func testWeightRejectsNonFloatDTypes() throws {
        try SafetensorsWriter.write(
            [
                .init(name: "u", dtype: .u8, shape: [4], bytes: [1, 2, 3, 4]),
                .init(name: "i", dtype: .i32, shape: [1], bytes: [1, 0, 0, 0]),
            ], to: path("m.safetensors"))
        let archive = try SafetensorsArchive(directory: directory)
        assertSafetensorsError(try archive.weight("u")) {
            if case .unsupportedDType(_, "u", .u8, _, _) = $0 { return true }
            return false
        }
        assertSafetensorsError(try archive.weight("i")) {
            if case .unsupportedDType(_, "i", .i32, _, _) = $0 { return true }
            return false
        }
        assertSafetensorsError(try archive.floatTensor("i")) {
            if case .unsupportedDType(_, "i", .i32, _, _) = $0 { return true }
            return false
        }
    }

    func testWeightRejectsRankOutsideOneToThree() throws {
        try SafetensorsWriter.write(
            [
                .init(name: "s", values: [1], shape: []),
                .init(name: "r4", values: [1], shape: [1, 1, 1, 1]),
            ], to: path("m.safetensors"))
        let archive = try SafetensorsArchive(directory: directory)
        for name in ["s", "r4"] {
            assertSafetensorsError(try archive.weight(name)) {
                if case .unsupportedShape(_, name, _, _) = $0 { return true }
                return false
            }
        }
        XCTAssertEqual(try archive.floatTensor("s").toArray(), [1])
    }

    func testMXFP4ShapeAndDTypeChecks() throws {
        try SafetensorsWriter.write(
            [
                .init(name: "blocks", dtype: .u8, shape: [2, 3, 16], bytes: [UInt8](repeating: 0, count: 96)),
                .init(name: "scales", dtype: .u8, shape: [2, 3], bytes: [UInt8](repeating: 127, count: 6)),
                .init(name: "scalesWrong", dtype: .u8, shape: [2, 2], bytes: [UInt8](repeating: 127, count: 4)),
                .init(name: "blocks15", dtype: .u8, shape: [2, 3, 15], bytes: [UInt8](repeating: 0, count: 90)),
                .init(name: "scalesF16", values: [1, 1, 1, 1, 1, 1], shape: [2, 3], dtype: .f16),
            ], to: path("m.safetensors"))
        let archive = try SafetensorsArchive(directory: directory)
        XCTAssertEqual(try archive.mxfp4Weight(blocks: "blocks", scales: "scales").shape, [2, 96])
        assertSafetensorsError(try archive.mxfp4Weight(blocks: "blocks", scales: "scalesWrong")) {
            if case .unsupportedShape(_, "scalesWrong", [2, 2], _) = $0 { return true }
            return false
        }
        assertSafetensorsError(try archive.mxfp4Weight(blocks: "blocks15", scales: "scales")) {
            if case .unsupportedShape(_, "blocks15", [2, 3, 15], _) = $0 { return true }
            return false
        }
        assertSafetensorsError(try archive.mxfp4Weight(blocks: "blocks", scales: "scalesF16")) {
            if case .unsupportedDType(_, "scalesF16", .f16, _, "U8") = $0 { return true }
            return false
        }
        assertSafetensorsError(try archive.mxfp4Weight(blocks: "scalesF16", scales: "scales")) {
            if case .unsupportedDType(_, "scalesF16", .f16, _, "U8") = $0 { return true }
            return false
        }
    }
}
