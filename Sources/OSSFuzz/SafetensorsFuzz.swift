import Foundation
import OSSCore
import OSSFormats

/// A `.safetensors` file: the u64 header length, the JSON header (dtypes, shapes, data offsets, `__metadata__`) and
/// the data section.
///
/// Properties: a `SafetensorsError` naming the file, or a file whose tensors each lie inside the data section with
/// `shape` product × dtype size bytes, overlap no other tensor, read back exactly the input's bytes at their offset,
/// and give typed weights and float tensors of their shape (or a typed error).
struct SafetensorsFuzz: FuzzHarness {
    static let name = "safetensors"
    static let summary =
        "safetensors header + layout: SafetensorsError naming the file, or tensors inside the data "
        + "section, disjoint, bytes read back, weight()/floatTensor() of their shape"
    static let maxLength = 32 << 10
    // JSON values (an enum per number, a String per key), dictionaries of entries, float copies of ≤ 2× the bytes.
    static let allocationBound = (perInputByte: 64, fixed: 1 << 20)

    let file: URL

    init() { file = FuzzScratch.shared.subdirectory(Self.name).appendingPathComponent("model.safetensors") }

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        try FuzzScratch.shared.write(input, to: file)
        let archive: SafetensorsArchive
        do {
            archive = try SafetensorsArchive(files: [file])
        } catch {
            return try check.typedError(error, allowed: [SafetensorsError.self], naming: file.path)
        }
        guard let st = archive.files.first else {
            throw FuzzFailure(target: Self.name, property: "archive without its file")
        }
        try check.require(st.fileSize == input.count, "file size \(st.fileSize), input \(input.count) bytes")
        let headerLength = input.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        try check.require(
            st.dataSectionOffset == 8 + headerLength,
            "data section at \(st.dataSectionOffset), header says \(8 + headerLength)")
        try check.require(
            st.tensorNames == st.tensorNames.sorted() && Set(st.tensorNames).count == st.tensorNames.count,
            "tensor names not sorted and unique")
        var ranges: [(begin: Int, end: Int, name: String)] = []
        for name in st.tensorNames {
            guard let info = st.info(name) else {
                throw FuzzFailure(target: Self.name, property: "listed tensor \"\(name)\" has no info")
            }
            let elements = info.shape.reduce(1) { $0 * $1 }
            try check.require(
                info.shape.allSatisfy { $0 >= 0 } && info.byteCount == elements * info.dtype.size,
                "\(info): byte count is not shape × dtype size")
            try check.require(
                info.fileOffset >= st.dataSectionOffset && info.fileOffset + info.byteCount <= input.count,
                "\(info) lies outside the data section \(st.dataSectionOffset)..<\(input.count)")
            let bytes: UnsafeRawBufferPointer
            do { bytes = try st.rawBytes(name) } catch {
                throw FuzzFailure(target: Self.name, property: "rawBytes(\(name)): \(error)")
            }
            try check.require(
                bytes.elementsEqual(input[info.fileOffset..<(info.fileOffset + info.byteCount)]),
                "\(info): bytes differ from the input at its offset")
            if info.byteCount > 0 { ranges.append((info.fileOffset, info.fileOffset + info.byteCount, name)) }
            try checkViews(archive, info, check)
        }
        ranges.sort { $0.begin < $1.begin }
        for (a, b) in zip(ranges, ranges.dropFirst()) {
            try check.require(a.end <= b.begin, "tensors \"\(a.name)\" and \"\(b.name)\" overlap")
        }
        return .accepted
    }

    /// `weight` and `floatTensor` of one tensor: its shape and dtype, or a typed error.
    private func checkViews(_ archive: SafetensorsArchive, _ info: SafetensorsTensorInfo, _ check: FuzzCheck)
        throws(FuzzFailure)
    {
        do {
            let w = try archive.weight(info.name)
            try check.require(
                w.shape.dims == info.shape, "weight(\(info.name)) has shape \(w.shape), header says \(info.shape)")
            try check.require(
                w.storedBytes == info.byteCount,
                "weight(\(info.name)) stores \(w.storedBytes) of \(info.byteCount) bytes")
        } catch {
            try check.typedError(error, allowed: [SafetensorsError.self], naming: file.path)
        }
        do {
            let t = try archive.floatTensor(info.name)
            try check.require(
                t.shape.dims == info.shape, "floatTensor(\(info.name)) has shape \(t.shape), header says \(info.shape)")
        } catch {
            try check.typedError(error, allowed: [SafetensorsError.self], naming: file.path)
        }
    }
}
