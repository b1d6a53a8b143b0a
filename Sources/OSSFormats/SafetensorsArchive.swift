import Foundation

/// The safetensors weights of one model: a single file, several shards, or the shards named by
/// `model.safetensors.index.json`. Every file is mapped and validated on open; tensor names are unique across
/// files. Views (``rawBytes(_:)``, ``weight(_:)``, ``mxfp4Weight(blocks:scales:)``) point into the mappings.
public final class SafetensorsArchive: @unchecked Sendable {
    /// The mapped files, in the order given (or sorted by path, or in first-use order of the index).
    public let files: [SafetensorsFile]
    /// The index file, when the archive was opened through one.
    public let indexURL: URL?

    /// Tensor name → index into `files`.
    private let location: [String: Int]
    private let sortedNames: [String]

    /// Opens a model directory: `model.safetensors.index.json` when present, else every `*.safetensors` file in it
    /// (sorted by name). `directory` may also name a single `.safetensors` file or an index `.json` file.
    /// `residency` says how the bytes reach memory (default: mapped, faulted in on first use).
    public convenience init(directory: URL, residency: WeightResidency = .mmap) throws(SafetensorsError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            throw .cannotOpen(file: directory, reason: "no such file or directory")
        }
        if !isDirectory.boolValue {
            if directory.pathExtension == "json" {
                try self.init(index: directory, residency: residency)
            } else {
                try self.init(files: [directory], residency: residency)
            }
            return
        }
        let index = directory.appendingPathComponent(SafetensorsIndex.fileName)
        if FileManager.default.fileExists(atPath: index.path) {
            try self.init(index: index, residency: residency)
            return
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .cannotOpen(file: directory, reason: "\(error)")
        }
        let shards = names.filter { $0.hasSuffix(".safetensors") }.sorted()
        guard !shards.isEmpty else { throw .noSafetensorsFiles(directory: directory) }
        try self.init(files: shards.map { directory.appendingPathComponent($0) }, residency: residency)
    }

    /// Opens the given files as one archive (a tensor stored in two of them is an error).
    public convenience init(files urls: [URL], residency: WeightResidency = .mmap) throws(SafetensorsError) {
        var files: [SafetensorsFile] = []
        for url in urls { files.append(try SafetensorsFile(url: url, residency: residency)) }
        try self.init(opened: files, index: nil)
    }

    /// Opens the shards named by an index file (`model.safetensors.index.json` form). Checks that every shard
    /// exists and that every tensor of `weight_map` is in the shard it names. Tensors of a shard that the
    /// index does not list are still available.
    public convenience init(index url: URL, residency: WeightResidency = .mmap) throws(SafetensorsError) {
        let index = try SafetensorsIndex(url: url)
        let directory = url.deletingLastPathComponent()
        var shardOrder: [String] = []
        var shardFiles: [String: SafetensorsFile] = [:]
        for (tensor, shard) in index.weightMap where shardFiles[shard] == nil {
            let shardURL = directory.appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw .indexMissingFile(index: url, tensor: tensor, shard: shard)
            }
            shardFiles[shard] = try SafetensorsFile(url: shardURL, residency: residency)
            shardOrder.append(shard)
        }
        for (tensor, shard) in index.weightMap {
            guard let file = shardFiles[shard], file.info(tensor) != nil else {
                throw .indexTensorMissingFromShard(
                    index: url, tensor: tensor,
                    shard: directory.appendingPathComponent(shard))
            }
        }
        let files = shardOrder.compactMap { shardFiles[$0] }
        try self.init(opened: files, index: url)
    }

    private init(opened files: [SafetensorsFile], index: URL?) throws(SafetensorsError) {
        var location: [String: Int] = [:]
        for (i, file) in files.enumerated() {
            for name in file.tensorNames {
                if let previous = location.updateValue(i, forKey: name) {
                    throw .tensorInMultipleFiles(tensor: name, first: files[previous].url, second: file.url)
                }
            }
        }
        self.files = files
        self.indexURL = index
        self.location = location
        self.sortedNames = location.keys.sorted()
    }

    /// Brings every page of every mapped file into memory now (see ``WeightResidency/prefault``).
    public func prefault() { for f in files { f.prefault() } }

    /// Share of all files' bytes resident in memory now (1 for copies).
    public var residentFraction: Double { sizeWeightedShare(files.map { ($0.residentFraction, $0.fileSize) }) ?? 1 }

    /// Share of all files' bytes on 2 MiB pages now (see ``MappedFile``); nil where the kernel does not say.
    public var hugePageFraction: Double? { sizeWeightedShare(files.map { ($0.hugePageFraction, $0.fileSize) }) }

    /// Names of all tensors of all files, sorted.
    public var tensorNames: [String] { sortedNames }

    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// The tensor's description, nil when no file has it.
    public func info(_ name: String) -> SafetensorsTensorInfo? {
        location[name].flatMap { files[$0].info(name) }
    }

    /// The tensor's bytes, a view into its file's mapping (no copy, no alignment guarantee).
    public func rawBytes(_ name: String) throws(SafetensorsError) -> UnsafeRawBufferPointer {
        let (file, info) = try locate(name)
        return file.rawBytes(info)
    }

    /// The file holding `name` and the tensor's description.
    func locate(_ name: String) throws(SafetensorsError) -> (SafetensorsFile, SafetensorsTensorInfo) {
        guard let i = location[name], let info = files[i].info(name) else {
            throw .tensorNotFound(file: files.count == 1 ? files[0].url : nil, tensor: name)
        }
        return (files[i], info)
    }
}
