import Foundation
import OSSFormats

/// A `model.safetensors.index.json` beside two valid shards (`model-00001-of-00002.safetensors`,
/// `model-00002-of-00002.safetensors`, tensors `a`/`b` and `c`), opened as a model directory.
///
/// Properties: a `SafetensorsError` naming the index (or a shard), or an archive whose files are all inside the
/// directory, that holds every tensor of the shards it opened, each readable.
struct SafetensorsIndexFuzz: FuzzHarness {
    static let name = "safetensors-index"
    static let summary =
        "model.safetensors.index.json: SafetensorsError naming the index, or an archive of shards "
        + "inside the directory whose every listed tensor is found and readable"
    static let maxLength = 4 << 10
    static let allocationBound = (perInputByte: 64, fixed: 1 << 20)

    let directory: URL
    let index: URL

    init() throws {
        directory = FuzzScratch.shared.subdirectory(Self.name)
        index = directory.appendingPathComponent("model.safetensors.index.json")
        for (file, entries) in Self.shards {
            try SafetensorsWriter.write(entries, to: directory.appendingPathComponent(file))
        }
    }

    /// The shards beside the index (small: their bytes are not what is fuzzed).
    static var shards: [(String, [SafetensorsWriter.Entry])] {
        [
            (
                "model-00001-of-00002.safetensors",
                [
                    .init(name: "a", values: [1, 2, 3, 4], shape: [2, 2]),
                    .init(name: "b", values: [5, 6], shape: [2], dtype: .bf16),
                ]
            ),
            ("model-00002-of-00002.safetensors", [.init(name: "c", values: [7], shape: [1], dtype: .f16)]),
        ]
    }

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        try FuzzScratch.shared.write(input, to: index)
        let archive: SafetensorsArchive
        do {
            archive = try SafetensorsArchive(directory: directory)
        } catch {
            return try check.typedError(error, allowed: [SafetensorsError.self], naming: directory.path)
        }
        try check.require(archive.indexURL?.path == index.path, "opened without the index")
        let root = directory.standardizedFileURL.path + "/"
        for f in archive.files {
            try check.require(
                f.url.standardizedFileURL.path.hasPrefix(root), "index reached \(f.url.path), outside \(root)")
        }
        let expected = Set(archive.files.flatMap(\.tensorNames))
        try check.require(
            Set(archive.tensorNames) == expected,
            "archive lists \(archive.tensorNames), its files hold \(expected.sorted())")
        for name in archive.tensorNames {
            do {
                let bytes = try archive.rawBytes(name)
                try check.require(
                    bytes.count == archive.info(name)?.byteCount, "\(name): \(bytes.count) bytes, info disagrees")
            } catch {
                throw FuzzFailure(target: Self.name, property: "listed tensor \(name) is not readable: \(error)")
            }
        }
        return .accepted
    }
}
