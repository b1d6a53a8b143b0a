import Foundation
import OSSCore
import XCTest

@testable import OSSFormats

final class GGUFRoundTripTests: TemporaryDirectoryTestCase {
    func testMetadataOfAllValueTypesRoundTrips() throws {
        let metadata: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string("gpt-oss")),
            ("u8", .uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(65000)), ("i16", .int16(-32000)),
            ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)), ("f32", .float32(1.5e-3)),
            ("bool.true", .bool(true)), ("bool.false", .bool(false)), ("str.unicode", .string("ünï \"code\" 😀")),
            ("u64", .uint64(UInt64.max)), ("i64", .int64(Int64.min)), ("f64", .float64(-2.718281828459045)),
            ("arr.tokens", .array(.string, [.string("a"), .string(""), .string("<|end|>")])),
            ("arr.u8", .array(.uint8, [.uint8(1), .uint8(2)])),
            ("arr.f32", .array(.float32, [.float32(0.5), .float32(-1)])),
            ("arr.empty", .array(.int32, [])),
            ("arr.nested", .array(.array, [.array(.int32, [.int32(1), .int32(2)]), .array(.int32, [.int32(3)])])),
        ]
        let url = path("meta.gguf")
        try GGUFWriter.write(metadata: metadata, tensors: [], to: url)
        let file = try GGUFFile(url: url)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.alignment, 32)
        XCTAssertEqual(file.metadataKeys, metadata.map(\.key))
        for (key, value) in metadata { XCTAssertEqual(file.metadata[key], value, key) }
        XCTAssertEqual(file.metadata["arr.tokens"]?.stringArray, ["a", "", "<|end|>"])
        XCTAssertEqual(file.metadata["u32"]?.intValue, 4_000_000_000)
        XCTAssertNil(file.metadata["u64"]?.intValue, "u64 max does not fit Int")
        XCTAssertEqual(file.metadata["f32"]?.doubleValue, Double(Float(1.5e-3)))
        XCTAssertEqual(file.tensors.count, 0)
        XCTAssertEqual(
            Set(GGUFValueType.allCases.map(\.rawValue)), Set(metadata.map { $0.value.type.rawValue }),
            "every value type is covered")
    }

    func testTensorsRoundTripInTheirTypes() throws {
        let f32 = (0..<12).map { Float($0) - 5.5 }
        let f16: [Float] = [1, -0.5, 1024, 0.0009765625]
        let bf16: [Float] = [3, -7, 0.125, 65536]
        let q8Source: [Float] = (0..<128).map { (i: Int) -> Float in sin(Float(i) * 0.37) * 3 }
        let q8 = try WeightTensor.encode(q8Source, shape: [2, 64], dtype: .q8_0)
        let mxSource: [Float] = (0..<(2 * 3 * 64)).map { (i: Int) -> Float in Float((i * 7919) % 97) / 8 - 6 }
        let mx = try WeightTensor.encode(mxSource, shape: [2, 3, 64], dtype: .mxfp4)
        let url = path("model.gguf")
        try GGUFWriter.write(
            metadata: [("general.alignment", .uint32(64))],
            tensors: [
                .init(name: "norm", values: f32, ne: [4, 3]),
                .init(name: "half", values: f16, ne: [4], type: .f16),
                .init(name: "brain", values: bf16, ne: [2, 2], type: .bf16),
                .init(name: "q8", weight: q8),
                .init(name: "experts", weight: mx),
            ], to: url)

        let file = try GGUFFile(url: url)
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.tensorNames, ["norm", "half", "brain", "q8", "experts"])
        for info in file.tensors { XCTAssertEqual(info.fileOffset % 64, 0, info.name) }
        let norm = try XCTUnwrap(file.info("norm"))
        XCTAssertEqual(norm.ne, [4, 3])
        XCTAssertEqual(norm.shape, [3, 4])
        XCTAssertEqual(try file.weight("norm").shape, Shape([3, 4]))
        XCTAssertEqual(try file.weight("norm").decodedArray(), f32)
        XCTAssertEqual(try file.floatTensor("norm").toArray(), f32)
        XCTAssertEqual(try file.floatTensor("half").toArray(), f16)
        XCTAssertEqual(try file.weight("brain").decodedArray(), bf16)

        let q8Back = try file.weight("q8")
        XCTAssertEqual(q8Back.dtype, .q8_0)
        XCTAssertEqual(file.info("q8")?.ne, [64, 2])
        XCTAssertEqual(q8Back.data, try file.rawBytes("q8").baseAddress, "Q8_0 is viewed in place")
        XCTAssertEqual(q8Back.decodedArray(), q8.decodedArray())

        let mxInfo = try XCTUnwrap(file.info("experts"))
        XCTAssertEqual(mxInfo.ne, [64, 3, 2])
        XCTAssertEqual(mxInfo.byteCount, 2 * 3 * 2 * 17)
        let mxBack = try file.weight("experts")
        XCTAssertEqual(mxBack.shape, Shape([2, 3, 64]))
        XCTAssertTrue(mxBack.owner is WeightStorage, "MXFP4 is repacked once into its own storage")
        XCTAssertEqual(mxBack.decodedArray(), mx.decodedArray(), "HF → GGUF → HF repack is lossless")
        XCTAssertThrowsError(try file.floatTensor("q8"))
    }

    func testGGUFMXFP4BlockLayout() throws {
        // One hand-made GGUF block: e = 128 (scale 2), qs[k] = k | (15 − k) << 4, so element k has code k and
        // element k + 16 has code 15 − k (ggml's split-halves order).
        let lut: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]
        let block: [UInt8] = [128] + (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let url = path("block.gguf")
        try GGUFWriter.write(
            metadata: [], tensors: [.init(name: "w", type: .mxfp4, ne: [32]) { $0.copyBytes(from: block) }],
            to: url)
        let values = try GGUFFile(url: url).weight("w").decodedArray()
        let expected: [Float] = (0..<32).map { (i: Int) -> Float in lut[i < 16 ? i : 31 - i] * 2 }
        XCTAssertEqual(values, expected)
        XCTAssertEqual(values[7].sign, .plus)
        XCTAssertEqual(values[8].sign, .minus, "code 8 is −0")
    }

    func testWriterProducesWhatGGMLExpects() throws {
        // Hand-check the byte layout of a one-tensor file against the format description.
        let url = path("tiny.gguf")
        try GGUFWriter.write(
            metadata: [("k", .uint32(7))], tensors: [.init(name: "t", values: [1, 2], ne: [2])], to: url)
        var expected = GGUFBytes(tensors: 1, kvs: 1)
        expected.kvU32("k", 7)
        expected.tensor("t", ne: [2], type: 0, offset: 0)
        expected.pad(to: 32)
        expected.bytes += float32Bytes([1, 2])
        expected.pad(to: 32)
        XCTAssertEqual(Array(try Data(contentsOf: url)), expected.bytes)
    }
}
