import Foundation
import OSSCore
import OSSFormats

/// A GGUF file: magic, version, counts, the key-value section (every value type, nested arrays), tensor infos,
/// alignment padding, data; opened alone and as the first shard of a split model whose second shard is valid.
///
/// Properties: a `GGUFError` naming the file, or a file whose tensors lie in order at aligned offsets inside the
/// file with `ne` product / block × type size bytes that read back exactly, typed metadata reads and weight views of
/// their shape (or typed errors); as a split model, shards that agree (or a typed error).
struct GGUFFuzz: FuzzHarness {
    static let name = "gguf"
    static let summary =
        "GGUF header, key-values, tensor infos, split shards: GGUFError naming the file, or aligned "
        + "tensors inside the file that read back, typed metadata and weight views"
    static let maxLength = 96 << 10
    // Metadata values are enums in arrays (a 1-byte u8 element becomes a 9-byte-plus value), float copies of ≤ 4×.
    static let allocationBound = (perInputByte: 96, fixed: 1 << 20)

    let file: URL
    /// The input as shard 1 of 2 beside a valid shard 2.
    let firstShard: URL

    init() throws {
        let directory = FuzzScratch.shared.subdirectory(Self.name)
        file = directory.appendingPathComponent("input.gguf")
        firstShard = directory.appendingPathComponent("split-00001-of-00002.gguf")
        try GGUFWriter.write(
            metadata: [
                ("general.architecture", .string("llama")), ("split.no", .uint16(1)),
                ("split.count", .uint16(2)), ("split.tensors.count", .int32(2)),
            ],
            tensors: [.init(name: "second", values: [1, 2, 3, 4], ne: [4])],
            to: directory.appendingPathComponent("split-00002-of-00002.gguf"))
    }

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        try FuzzScratch.shared.write(input, to: file)
        var outcome = FuzzOutcome.accepted
        do {
            let gguf = try GGUFFile(url: file)
            try checkFile(gguf, input, check)
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            outcome = try check.typedError(error, allowed: [GGUFError.self], naming: file.path)
        }
        try FuzzScratch.shared.write(input, to: firstShard)
        do {
            let archive = try GGUFArchive(url: firstShard)
            for f in archive.files {
                try check.require(
                    f.url.deletingLastPathComponent() == firstShard.deletingLastPathComponent(),
                    "shard \(f.url.path) outside the directory")
            }
            for f in archive.files {
                for t in f.tensors {
                    try check.require(
                        archive.info(t.name)?.fileOffset == t.fileOffset, "archive does not find \(t.name) in its shard"
                    )
                }
            }
        } catch {
            try check.typedError(error, allowed: [GGUFError.self], naming: firstShard.deletingLastPathComponent().path)
        }
        return outcome
    }

    private func checkFile(_ gguf: GGUFFile, _ input: [UInt8], _ check: FuzzCheck) throws {
        try check.require(gguf.version == 2 || gguf.version == 3, "version \(gguf.version) accepted")
        try check.require(
            gguf.alignment > 0 && gguf.alignment & (gguf.alignment - 1) == 0, "alignment \(gguf.alignment)")
        try check.require(
            gguf.metadataKeys.count == gguf.metadata.count && Set(gguf.metadataKeys).count == gguf.metadataKeys.count,
            "metadata keys not unique")
        try check.require(
            gguf.dataSectionOffset <= input.count, "data section at \(gguf.dataSectionOffset) past the end")
        var expected = 0
        for info in gguf.tensors {
            try check.require(
                info.offset == expected && info.offset % gguf.alignment == 0,
                "\(info): offset \(info.offset), expected \(expected)")
            let elements = info.ne.reduce(1) { $0 * $1 }
            try check.require(
                info.byteCount == elements / info.type.blockSize * info.type.typeSize,
                "\(info): byte count is not ne product / block × type size")
            try check.require(
                info.fileOffset == gguf.dataSectionOffset + info.offset
                    && info.fileOffset + info.byteCount <= input.count, "\(info) lies outside the file")
            let bytes = try gguf.rawBytes(info.name)
            try check.require(
                bytes.elementsEqual(input[info.fileOffset..<(info.fileOffset + info.byteCount)]),
                "\(info): bytes differ from the input at its offset")
            expected = (info.offset + info.byteCount + gguf.alignment - 1) / gguf.alignment * gguf.alignment
            try checkViews(gguf, info, check)
        }
        for key in gguf.metadataKeys { _ = gguf.metadata[key]?.description }
    }

    /// `weight` and `floatTensor` of one tensor: its shape, or a typed error.
    private func checkViews(_ gguf: GGUFFile, _ info: GGUFTensorInfo, _ check: FuzzCheck) throws(FuzzFailure) {
        do {
            let w = try gguf.weight(info.name)
            try check.require(
                w.shape.dims == info.shape, "weight(\(info.name)) has shape \(w.shape), ne says \(info.ne)")
        } catch {
            try check.typedError(error, allowed: [GGUFError.self], naming: file.path)
        }
        do {
            let t = try gguf.floatTensor(info.name)
            try check.require(
                t.shape.dims == info.shape, "floatTensor(\(info.name)) has shape \(t.shape), ne says \(info.ne)")
        } catch {
            try check.typedError(error, allowed: [GGUFError.self], naming: file.path)
        }
    }
}
