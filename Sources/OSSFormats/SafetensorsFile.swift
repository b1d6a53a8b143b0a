import Foundation

/// One `.safetensors` file, mapped read-only (`PROT_READ`, `MAP_PRIVATE`) and validated completely on open
/// (see ``SafetensorsHeader`` for the checks). Tensor bytes are views into the mapping: nothing is copied, and the
/// file stays mapped while this object (or a view's `owner` pointing to it) is alive.
///
/// Layout: u64 little-endian header length N, N bytes of JSON header, then the data section; `data_offsets` in the
/// header are relative to the data section. Tensors are aligned only as the writer chose (possibly odd addresses).
public final class SafetensorsFile: @unchecked Sendable {
    public let url: URL
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// Size of the file in bytes.
    public let fileSize: Int
    /// Offset of the data section from the start of the file (8 + header length).
    public let dataSectionOffset: Int

    /// Brings every page of the mapping into memory now (nothing to do for a copy).
    public func prefault() { mapping.prefault() }
    /// Share of the file's pages resident in memory now (1 for a copy).
    public var residentFraction: Double { mapping.residentFraction }
    /// Share of the file's bytes on 2 MiB pages now; nil where the kernel does not say.
    public var hugePageFraction: Double? { mapping.hugePageFraction }
    /// How the bytes are held.
    public var residency: WeightResidency { mapping.residency }

    private let mapping: MappedFile
    private let infos: [String: SafetensorsTensorInfo]
    private let sortedNames: [String]

    /// Maps (or copies, per `residency`) and validates `url`.
    public init(url: URL, residency: WeightResidency = .mmap) throws(SafetensorsError) {
        let mapping: MappedFile
        do {
            mapping = try MappedFile(url: url, residency: residency)
        } catch {
            throw .cannotOpen(file: url, reason: "\(error.operation): \(error.reason)")
        }
        let size = mapping.size
        guard size >= 8 else { throw .fileTooSmall(file: url, size: size) }
        let headerLength = mapping.base.loadUnaligned(as: UInt64.self).littleEndian
        guard headerLength <= UInt64(SafetensorsHeader.maxHeaderLength) else {
            throw .headerTooLarge(file: url, headerLength: headerLength, limit: SafetensorsHeader.maxHeaderLength)
        }
        let n = Int(headerLength)
        guard n <= size - 8 else { throw .headerExceedsFile(file: url, headerLength: headerLength, fileSize: size) }
        let dataStart = 8 + n
        let header = try SafetensorsHeader(
            json: UnsafeRawBufferPointer(start: mapping.base + 8, count: n),
            dataSize: size - dataStart, file: url)
        var infos = [String: SafetensorsTensorInfo](minimumCapacity: header.entries.count)
        for e in header.entries {
            infos[e.name] = SafetensorsTensorInfo(
                name: e.name, dtype: e.dtype, shape: e.shape, file: url,
                byteCount: e.end - e.begin, fileOffset: dataStart + e.begin)
        }
        self.url = url
        self.mapping = mapping
        self.metadata = header.metadata
        self.fileSize = size
        self.dataSectionOffset = dataStart
        self.infos = infos
        self.sortedNames = infos.keys.sorted()
    }

    /// Names of all tensors, sorted.
    public var tensorNames: [String] { sortedNames }

    /// The tensor's description, nil when the file has no tensor of that name.
    public func info(_ name: String) -> SafetensorsTensorInfo? { infos[name] }

    /// The tensor's bytes: a view into the mapping (no copy, no alignment guarantee; read with `loadUnaligned`).
    /// Valid while this file object is alive.
    public func rawBytes(_ name: String) throws(SafetensorsError) -> UnsafeRawBufferPointer {
        guard let info = infos[name] else { throw .tensorNotFound(file: url, tensor: name) }
        return rawBytes(info)
    }

    /// The bytes of a tensor of this file (`info` must come from ``info(_:)``).
    func rawBytes(_ info: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mapping.base + info.fileOffset, count: info.byteCount)
    }

    /// First byte of a tensor of this file (a valid pointer even for a zero-size tensor).
    func pointer(_ info: SafetensorsTensorInfo) -> UnsafeRawPointer { mapping.base + info.fileOffset }
}
