import Foundation
import OSSCore
import XCTest

@testable import OSSFormats

final class SafetensorsRoundTripTests: TemporaryDirectoryTestCase {
    func testRoundTripOfSeveralDTypesAndShapes() throws {
        let f32 = (0..<12).map { Float($0) * 0.25 - 1 }
        let f16 = [Float](arrayLiteral: 1, -2.5, 0.125, 65504, -0.0009765625)  // all exact in binary16
        let bf16 = [Float](arrayLiteral: 1, -3, 0.5, 256, -0.0078125, 1e30)  // 1e30 rounds
        let f64Bytes = [1.5, -2.0, 3.25, 1e300].flatMap { d in
            (0..<8).map { UInt8(truncatingIfNeeded: d.bitPattern >> (8 * UInt64($0))) }
        }
        let i32Bytes: [UInt8] = [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x78, 0x56, 0x34, 0x12]
        let u8Bytes: [UInt8] = [0, 1, 2, 127, 128, 254, 255]
        let i8Bytes: [UInt8] = (0..<32).map { UInt8($0 * 7 % 256) }
        let entries: [SafetensorsWriter.Entry] = [
            .init(name: "a.f32", values: f32, shape: [3, 4]),
            .init(name: "b.f16", values: f16, shape: [5], dtype: .f16),
            .init(name: "c.bf16", values: bf16, shape: [2, 3], dtype: .bf16),
            .init(name: "d.f64", dtype: .f64, shape: [2, 2], bytes: f64Bytes),
            .init(name: "e.i32", dtype: .i32, shape: [3], bytes: i32Bytes),
            .init(name: "f.u8", dtype: .u8, shape: [7], bytes: u8Bytes),
            .init(name: "g.bool", dtype: .bool, shape: [2], bytes: [0, 1]),
            .init(name: "h.i64.scalar", dtype: .i64, shape: [], bytes: [42, 0, 0, 0, 0, 0, 0, 0x80]),
            .init(name: "i.empty", values: [], shape: [0, 4]),
            .init(name: "j.i8.rank5", dtype: .i8, shape: [2, 2, 2, 2, 2], bytes: i8Bytes),
        ]
        let url = path("model.safetensors")
        try SafetensorsWriter.write(entries, metadata: ["format": "pt", "note": "quote \" and ünïcode"], to: url)

        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "quote \" and ünïcode"])
        XCTAssertEqual(file.tensorNames, entries.map(\.name).sorted())
        XCTAssertEqual(file.dataSectionOffset % 8, 0, "header padded to a multiple of 8")
        let expectedBytes: [String: [UInt8]] = [
            "a.f32": float32Bytes(f32), "d.f64": f64Bytes, "e.i32": i32Bytes, "f.u8": u8Bytes, "g.bool": [0, 1],
            "h.i64.scalar": [42, 0, 0, 0, 0, 0, 0, 0x80], "i.empty": [], "j.i8.rank5": i8Bytes,
        ]
        var total = 0
        for e in entries {
            let info = try XCTUnwrap(file.info(e.name))
            XCTAssertEqual(info.dtype, e.dtype, e.name)
            XCTAssertEqual(info.shape, e.shape, e.name)
            XCTAssertEqual(info.byteCount, e.shape.reduce(1, *) * e.dtype.size, e.name)
            XCTAssertEqual(info.fileOffset % e.dtype.size, 0, "\(e.name) aligned to its element size")
            XCTAssertEqual(info.file, url)
            if let bytes = expectedBytes[e.name] { XCTAssertEqual(Array(try file.rawBytes(e.name)), bytes, e.name) }
            total += info.byteCount
        }
        XCTAssertEqual(file.fileSize, file.dataSectionOffset + total, "data_offsets contiguous, no trailing bytes")

        let archive = try SafetensorsArchive(directory: directory)
        XCTAssertEqual(archive.tensorNames, file.tensorNames)
        XCTAssertEqual(try archive.weight("a.f32").decodedArray(), f32)
        XCTAssertEqual(try archive.weight("a.f32").shape, Shape([3, 4]))
        XCTAssertEqual(try archive.weight("b.f16").decodedArray(), f16)
        XCTAssertEqual(
            try archive.weight("c.bf16").decodedArray(), bf16.map { Codec.bf16ToFloat(Codec.floatToBF16($0)) })
        XCTAssertEqual(try archive.weight("c.bf16").dtype, .bf16)
        XCTAssertEqual(try archive.floatTensor("c.bf16").shape, Shape([2, 3]))
        XCTAssertEqual(try archive.floatTensor("b.f16").toArray(), f16)
        XCTAssertEqual(try archive.floatTensor("a.f32").toArray(), f32)
        XCTAssertEqual(try archive.weight("i.empty").shape, Shape([0, 4]))
        XCTAssertEqual(try archive.floatTensor("i.empty").count, 0)
        XCTAssertEqual(try archive.rawBytes("i.empty").count, 0)
    }

    func testHeaderIsReadableByFoundationWithSameLayout() throws {
        let url = path("x.safetensors")
        try SafetensorsWriter.write(
            [
                .init(name: "w", values: [1, 2, 3, 4], shape: [2, 2], dtype: .bf16),
                .init(name: "b", values: [5], shape: [1]),
            ], metadata: ["k": "v"], to: url)
        let data = try Data(contentsOf: url)
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0)
        let json = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any])
        XCTAssertEqual(json["__metadata__"] as? [String: String], ["k": "v"])
        let w = try XCTUnwrap(json["w"] as? [String: Any])
        XCTAssertEqual(w["dtype"] as? String, "BF16")
        XCTAssertEqual(w["shape"] as? [Int], [2, 2])
        // F32 (4-byte) tensors first, then the 2-byte ones.
        XCTAssertEqual((json["b"] as? [String: Any])?["data_offsets"] as? [Int], [0, 4])
        XCTAssertEqual(w["data_offsets"] as? [Int], [4, 12])
        XCTAssertEqual(data.count, 8 + n + 12)
    }

    func testUnalignedTensorsReadCorrectly() throws {
        // A one-byte tensor first, so the F32 and BF16 tensors start at odd offsets.
        let f32: [Float] = [1.5, -2.25, 1e-3]
        let bf16: [UInt16] = [Codec.floatToBF16(3.5), Codec.floatToBF16(-0.75)]
        let bf16Bytes = bf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
        var header =
            #"{"pad":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"#
            + #""w32":{"dtype":"F32","shape":[1,3],"data_offsets":[1,13]},"#
            + #""w16":{"dtype":"BF16","shape":[2],"data_offsets":[13,17]}}"#
        header += String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        let url = try craftSafetensors(header: header, data: [0xAB] + float32Bytes(f32) + bf16Bytes)
        let archive = try SafetensorsArchive(files: [url])
        let w32 = try archive.weight("w32")
        XCTAssertEqual(Int(bitPattern: w32.data) % 2, 1, "data really is at an odd address")
        XCTAssertEqual(w32.decodedArray(), f32)
        XCTAssertEqual(try archive.floatTensor("w32").toArray(), f32)
        XCTAssertEqual(try archive.weight("w16").decodedArray(), [3.5, -0.75])
        XCTAssertEqual(try archive.floatTensor("w16").toArray(), [3.5, -0.75])
        XCTAssertEqual(Array(try archive.rawBytes("pad")), [0xAB])
    }

    func testShardsThroughIndex() throws {
        try SafetensorsWriter.write(
            [
                .init(name: "layer.0.w", values: [1, 2, 3, 4], shape: [2, 2]),
                .init(name: "layer.0.b", values: [9], shape: [1], dtype: .bf16),
            ],
            to: path("model-00001-of-00002.safetensors"))
        try SafetensorsWriter.write(
            [.init(name: "layer.1.w", values: [5, 6], shape: [1, 2], dtype: .f16)],
            to: path("model-00002-of-00002.safetensors"))
        try SafetensorsWriter.writeIndex(
            weightMap: [
                "layer.0.w": "model-00001-of-00002.safetensors", "layer.0.b": "model-00001-of-00002.safetensors",
                "layer.1.w": "model-00002-of-00002.safetensors",
            ],
            metadata: ["total_size": "22"], to: path(SafetensorsIndex.fileName))
        // A stray file next to the index must not be read when the index exists.
        try writeRaw([1, 2, 3], name: "stray.safetensors")

        let archive = try SafetensorsArchive(directory: directory)
        XCTAssertEqual(archive.indexURL?.lastPathComponent, SafetensorsIndex.fileName)
        XCTAssertEqual(archive.files.count, 2)
        XCTAssertEqual(archive.tensorNames, ["layer.0.b", "layer.0.w", "layer.1.w"])
        XCTAssertTrue(archive.contains("layer.1.w"))
        XCTAssertFalse(archive.contains("layer.2.w"))
        XCTAssertEqual(archive.info("layer.1.w")?.file.lastPathComponent, "model-00002-of-00002.safetensors")
        XCTAssertEqual(try archive.weight("layer.0.w").decodedArray(), [1, 2, 3, 4])
        XCTAssertEqual(try archive.weight("layer.1.w").decodedArray(), [5, 6])
        XCTAssertEqual(try archive.floatTensor("layer.0.b").toArray(), [9])

        // The same directory without the index: every *.safetensors (the stray file is then an error).
        try FileManager.default.removeItem(at: path(SafetensorsIndex.fileName))
        assertSafetensorsError(try SafetensorsArchive(directory: self.directory)) {
            if case .fileTooSmall(let f, 3) = $0 { return f.lastPathComponent == "stray.safetensors" }
            return false
        }
        try FileManager.default.removeItem(at: path("stray.safetensors"))
        XCTAssertEqual(try SafetensorsArchive(directory: directory).tensorNames.count, 3)
    }

    func testWeightViewsTheMappingAndKeepsItAlive() throws {
        let url = path("m.safetensors")
        try SafetensorsWriter.write([.init(name: "w", values: [1, 2, 3, 4, 5, 6], shape: [2, 3])], to: url)
        var weight: WeightTensor?
        do {
            let archive = try SafetensorsArchive(files: [url])
            let w = try archive.weight("w")
            XCTAssertEqual(w.data, try archive.rawBytes("w").baseAddress, "no copy")
            XCTAssertTrue(w.owner is SafetensorsFile)
            weight = w
        }
        // The archive is gone; the owner keeps the mapping.
        XCTAssertEqual(weight?.decodedArray(), [1, 2, 3, 4, 5, 6])
    }

    func testMXFP4WeightDecodesToWrittenValues() throws {
        let lut: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]
        let experts = 2
        let out = 3
        let groups = 2
        let inFeatures = groups * 32
        // Deterministic bytes covering all 16 codes in both nibbles; scales 120…131.
        var blocks = [UInt8](repeating: 0, count: experts * out * groups * 16)
        for i in blocks.indices { blocks[i] = UInt8((i * 37 + 11) % 256) }
        blocks[0] = 0x2F  // the worked example of gpt-oss.md §3.3
        var scales = [UInt8](repeating: 0, count: experts * out * groups)
        for i in scales.indices { scales[i] = UInt8(120 + i % 12) }
        scales[0] = 126
        try SafetensorsWriter.write(
            [
                .init(name: "e.blocks", dtype: .u8, shape: [experts, out, groups, 16], bytes: blocks),
                .init(name: "e.scales", dtype: .u8, shape: [experts, out, groups], bytes: scales),
            ], to: path("moe.safetensors"))
        let archive = try SafetensorsArchive(directory: directory)
        let w = try archive.mxfp4Weight(blocks: "e.blocks", scales: "e.scales")
        XCTAssertEqual(w.dtype, .mxfp4)
        XCTAssertEqual(w.shape, Shape([experts, out, inFeatures]))
        XCTAssertEqual(w.data, try archive.rawBytes("e.blocks").baseAddress, "blocks viewed in place")
        XCTAssertEqual(UnsafeRawPointer(try XCTUnwrap(w.scales)), try archive.rawBytes("e.scales").baseAddress)

        let decoded = w.decodedArray()
        XCTAssertEqual(Array(decoded[0..<2]), [-3.0, 0.5])
        for e in 0..<experts {
            for o in 0..<out {
                for i in 0..<inFeatures {
                    let row = e * out + o
                    let byte = blocks[(row * groups + i / 32) * 16 + (i % 32) / 2]
                    let code = i % 2 == 1 ? byte >> 4 : byte & 0x0F
                    let scale = Float(sign: .plus, exponent: Int(scales[row * groups + i / 32]) - 127, significand: 1)
                    XCTAssertEqual(decoded[row * inFeatures + i], lut[Int(code)] * scale, "e\(e) o\(o) i\(i)")
                }
            }
        }
        // The per-expert view decodes the same rows.
        var row = [Float](repeating: 0, count: inFeatures)
        row.withUnsafeMutableBufferPointer { w.matrix(1).decodeRow(2, into: $0.baseAddress!) }
        XCTAssertEqual(row, Array(decoded[(5 * inFeatures)..<(6 * inFeatures)]))
    }

    func testMXFP4BlocksAndScalesInDifferentShards() throws {
        try SafetensorsWriter.write(
            [.init(name: "blocks", dtype: .u8, shape: [1, 1, 16], bytes: [UInt8](repeating: 0x71, count: 16))],
            to: path("a.safetensors"))
        try SafetensorsWriter.write(
            [.init(name: "scales", dtype: .u8, shape: [1, 1], bytes: [128])], to: path("b.safetensors"))
        var weight: WeightTensor?
        do { weight = try SafetensorsArchive(directory: directory).mxfp4Weight(blocks: "blocks", scales: "scales") }
        let values = try XCTUnwrap(weight).decodedArray()
        XCTAssertEqual(values.count, 32)
        XCTAssertEqual(Array(values[0..<2]), [1.0, 12.0])  // 0x71: low 1 → 0.5·2, high 7 → 6·2
    }

    func testWriterRejectsBadEntriesAndLeavesNoFile() throws {
        let url = path("bad.safetensors")
        assertSafetensorsError(
            try SafetensorsWriter.write(
                [
                    .init(name: "a", values: [1], shape: [1]),
                    .init(name: "a", values: [2], shape: [1]),
                ], to: url)
        ) {
            if case .duplicateTensor(_, "a") = $0 { return true }
            return false
        }
        assertSafetensorsError(
            try SafetensorsWriter.write([.init(name: "__metadata__", values: [1], shape: [1])], to: url)
        ) {
            if case .invalidEntry(_, "__metadata__", _) = $0 { return true }
            return false
        }
        assertSafetensorsError(
            try SafetensorsWriter.write([.init(name: "n", dtype: .f32, shape: [2, -1]) { _ in }], to: url)
        ) {
            if case .negativeDimension(_, "n", [2, -1]) = $0 { return true }
            return false
        }
        assertSafetensorsError(
            try SafetensorsWriter.write([.init(name: "o", dtype: .f64, shape: [Int.max / 4, 3]) { _ in }], to: url)
        ) {
            if case .sizeOverflow(_, "o", _) = $0 { return true }
            return false
        }
        assertSafetensorsError(
            try SafetensorsWriter.write([.init(name: "c", values: [1, 2, 3], shape: [2, 2])], to: url)
        ) {
            if case .invalidEntry(_, "c", _) = $0 { return true }
            return false
        }
        assertSafetensorsError(
            try SafetensorsWriter.write([.init(name: "u", values: [1], shape: [1], dtype: .u8)], to: url)
        ) {
            if case .invalidEntry(_, "u", _) = $0 { return true }
            return false
        }
        assertSafetensorsError(
            try SafetensorsWriter.write([.init(name: "r", dtype: .u8, shape: [3], bytes: [1, 2])], to: url)
        ) {
            if case .invalidEntry(_, "r", _) = $0 { return true }
            return false
        }
        struct FillFailed: Error {}
        XCTAssertThrowsError(
            try SafetensorsWriter.write(
                [.init(name: "f", dtype: .u8, shape: [4]) { _ in throw FillFailed() }],
                to: url)
        ) { XCTAssertTrue($0 is FillFailed) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "no temporary file left")
    }

    func testEmptyFileAndMetadataOnly() throws {
        let url = path("empty.safetensors")
        try SafetensorsWriter.write([], metadata: ["a": "b"], to: url)
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.tensorNames, [])
        XCTAssertEqual(file.metadata, ["a": "b"])
        try SafetensorsWriter.write([], to: url)
        XCTAssertEqual(try SafetensorsFile(url: url).metadata, [:])
    }
}
