import Foundation
import OSSCore

/// A GGUF model: one file, or the shards of a split model opened as one (gguf.md §7).
///
/// Shards are named `<prefix>-%05d-of-%05d.gguf` (1-based); shard 1 holds the model metadata, and each shard has
/// `split.no` (0-based), `split.count` and, in the first, `split.tensors.count`. Any shard's path opens the whole
/// model. Every file is mapped and validated (``GGUFFile``); tensor names are unique across shards and their total
/// must equal `split.tensors.count`. A file without `split.count` (or with `split.count` ≤ 1) is a single file.
public final class GGUFArchive: @unchecked Sendable {
    /// The shards in order (one file when the model is not split).
    public let files: [GGUFFile]
    /// Tensor name → (shard index, info).
    private let location: [String: (file: Int, info: GGUFTensorInfo)]

    /// The first shard's path (the file that names the model in errors).
    public var url: URL { files[0].url }
    /// Metadata of the first shard (the model's keys).
    public var metadata: [String: GGUFValue] { files[0].metadata }
    /// Tensors of every shard, in shard then file order.
    public var tensors: [GGUFTensorInfo] { files.flatMap(\.tensors) }

    /// Opens `url` and, when it is a shard of a split model, every sibling shard.
    /// - Parameter residency: how the files reach memory (mapped by default; see `WeightResidency`).
    public init(url: URL, residency: WeightResidency = .mmap) throws(GGUFError) {
        let first: GGUFFile
        let (prefix, _, countInName) = Self.splitName(url)
        if let prefix, let countInName {
            first = try GGUFFile(
                url: Self.shardURL(prefix: prefix, number: 1, count: countInName), residency: residency)
        } else {
            first = try GGUFFile(url: url, residency: residency)
        }
        var files = [first]
        let count = try Self.splitInt(first, "split.count") ?? 1
        if count > 1 {
            guard let prefix, let countInName else {
                throw .invalidSplit(
                    file: url,
                    reason: "split.count is \(count) but the file name is not "
                        + "<prefix>-00001-of-\(String(format: "%05d", count)).gguf")
            }
            guard countInName == count else {
                throw .invalidSplit(
                    file: first.url, reason: "split.count is \(count) but the name says \(countInName) shards")
            }
            guard try Self.splitInt(first, "split.no") ?? 0 == 0 else {
                throw .invalidSplit(
                    file: first.url, reason: "the first shard has split.no \(try Self.splitInt(first, "split.no") ?? 0)"
                )
            }
            for n in 2...count {
                let shardURL = Self.shardURL(prefix: prefix, number: n, count: count)
                guard FileManager.default.fileExists(atPath: shardURL.path) else {
                    throw .invalidSplit(file: first.url, reason: "shard \(n) of \(count) is missing: \(shardURL.path)")
                }
                let shard = try GGUFFile(url: shardURL, residency: residency)
                guard try Self.splitInt(shard, "split.no") == n - 1, try Self.splitInt(shard, "split.count") == count
                else {
                    throw .invalidSplit(
                        file: shardURL, reason: "split.no / split.count do not say shard \(n - 1) of \(count)")
                }
                files.append(shard)
            }
        }
        var location: [String: (file: Int, info: GGUFTensorInfo)] = [:]
        for (i, file) in files.enumerated() {
            for info in file.tensors {
                if let previous = location.updateValue((i, info), forKey: info.name) {
                    throw .invalidSplit(
                        file: file.url,
                        reason: "tensor \"\(info.name)\" is also in \(files[previous.file].url.lastPathComponent)")
                }
            }
        }
        if count > 1, let expected = try Self.splitInt(first, "split.tensors.count"), expected != location.count {
            throw .invalidSplit(
                file: first.url, reason: "split.tensors.count is \(expected), the shards hold \(location.count) tensors"
            )
        }
        self.files = files
        self.location = location
    }

    /// `(prefix, number, count)` of a `<prefix>-%05d-of-%05d.gguf` name, nils for any other name.
    static func splitName(_ url: URL) -> (prefix: String?, number: Int?, count: Int?) {
        let name = url.lastPathComponent
        guard name.hasSuffix(".gguf") else { return (nil, nil, nil) }
        let stem = Array(name.dropLast(5).utf8)
        // "-00001-of-00003" is 15 bytes.
        guard stem.count > 15 else { return (nil, nil, nil) }
        let tail = stem.suffix(15)
        let t = Array(tail)
        func digits(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard t[i] >= 0x30 && t[i] <= 0x39 else { return nil }
                v = v * 10 + Int(t[i] - 0x30)
            }
            return v
        }
        guard t[0] == 0x2D, t[6] == 0x2D, t[7] == 0x6F, t[8] == 0x66, t[9] == 0x2D,
            let number = digits(1..<6), let count = digits(10..<15), number >= 1, count >= 1, number <= count
        else {
            return (nil, nil, nil)
        }
        let prefix = url.deletingLastPathComponent()
            .appendingPathComponent(String(decoding: stem.dropLast(15), as: UTF8.self)).path
        return (prefix, number, count)
    }

    static func shardURL(prefix: String, number: Int, count: Int) -> URL {
        URL(fileURLWithPath: prefix + String(format: "-%05d-of-%05d.gguf", number, count))
    }

    /// A `split.*` integer key of `file` (nil when absent).
    private static func splitInt(_ file: GGUFFile, _ key: String) throws(GGUFError) -> Int? {
        guard let v = file.metadata[key] else { return nil }
        guard let i = v.intValue, i >= 0 else {
            throw .invalidKey(file: file.url, key: key, found: "\(v.type) \(v)", expected: "a non-negative integer")
        }
        return i
    }

    /// Brings every page of every shard into memory now.
    public func prefault() { for f in files { f.prefault() } }
    /// Share of the shards' pages resident in memory now (weighted by size).
    public var residentFraction: Double { sizeWeightedShare(files.map { ($0.residentFraction, $0.mapping.size) }) ?? 1 }
    /// Share of the shards' bytes on 2 MiB pages now (weighted by size); nil where the kernel does not say.
    public var hugePageFraction: Double? { sizeWeightedShare(files.map { ($0.hugePageFraction, $0.mapping.size) }) }

    /// The tensor's info (and shard), nil when absent.
    public func info(_ name: String) -> GGUFTensorInfo? { location[name]?.info }

    /// Whether a tensor of that name exists in any shard.
    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// A weight view of tensor `name` (see ``GGUFFile/weight(_:)``).
    public func weight(_ name: String) throws(GGUFError) -> WeightTensor {
        guard let l = location[name] else { throw .tensorNotFound(file: url, tensor: name) }
        return try files[l.file].weight(name)
    }

    /// A tensor converted to Float32 (see ``GGUFFile/floatTensor(_:)``).
    public func floatTensor(_ name: String) throws(GGUFError) -> Tensor {
        guard let l = location[name] else { throw .tensorNotFound(file: url, tensor: name) }
        return try files[l.file].floatTensor(name)
    }

    /// The tensor's bytes in its shard's mapping (no copy), valid while this archive is alive.
    public func rawBytes(_ name: String) throws(GGUFError) -> UnsafeRawBufferPointer {
        guard let l = location[name] else { throw .tensorNotFound(file: url, tensor: name) }
        return try files[l.file].rawBytes(name)
    }
}
