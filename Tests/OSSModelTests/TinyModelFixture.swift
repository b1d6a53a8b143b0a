import BLASBackend
import Foundation
import OSSCore
import OSSFormats
import OSSModel
import SwiftBackend

/// Temporary directories with the §6 tiny checkpoint, written once per test process per layout, all inside one
/// per-process scratch directory that is removed at exit.
enum TinyModelFixture {
    /// The 12 test tokens of §6: `(37t + 11) mod 1024`.
    static let tokens: [Int32] = (0..<12).map { Int32((37 * $0 + 11) % 1024) }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var written: [CheckpointLayout: URL] = [:]
    nonisolated(unsafe) private static var root: URL?

    /// This process's scratch directory (removed when the test process exits).
    private static func scratchRoot() throws -> URL {
        if let r = root { return r }
        let r = FileManager.default.temporaryDirectory
            .appendingPathComponent("ossmodel-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: r, withIntermediateDirectories: true)
        root = r
        atexit { TinyModelFixture.removeScratch() }
        return r
    }

    private static func removeScratch() {
        if let r = root { try? FileManager.default.removeItem(at: r) }
    }

    /// A directory holding the tiny preset in `layout` (written on first use, reused after).
    static func directory(_ layout: CheckpointLayout) throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let url = written[layout] { return url }
        let url = try scratchRoot().appendingPathComponent("tiny-\(layout.rawValue)")
        try SyntheticModel.write(.tiny, to: url, layout: layout)
        written[layout] = url
        return url
    }

    nonisolated(unsafe) private static var ggufWritten: [Bool: URL] = [:]

    /// The tiny preset as a llama.cpp gpt-oss GGUF file (gate and up split, or fused), written on first use.
    static func gguf(fusedGateUp: Bool = false) throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let url = ggufWritten[fusedGateUp] { return url }
        let url = try scratchRoot().appendingPathComponent("tiny\(fusedGateUp ? "-fused" : "").gguf")
        try SyntheticModel.writeGGUF(.tiny, to: url, fusedGateUp: fusedGateUp)
        ggufWritten[fusedGateUp] = url
        return url
    }

    nonisolated(unsafe) private static var denseWritten: [String: URL] = [:]

    /// A dense synthetic preset as GGUF with matrices in `type`, written on first use.
    static func dense(_ preset: SyntheticDensePreset, _ type: GGMLType = .f32) throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(preset.rawValue)-\(type)"
        if let url = denseWritten[key] { return url }
        let url = try scratchRoot().appendingPathComponent("\(key).gguf")
        try SyntheticModel.writeGGUF(preset, type: type, to: url)
        denseWritten[key] = url
        return url
    }

    /// Copies the GGUF file at `source` to `name` in a fresh directory, with metadata keys set (nil values remove
    /// them), tensors dropped and extra tensors appended.
    static func rewrite(
        _ source: URL, name: String, metadata edits: [String: GGUFValue?] = [:], dropping: Set<String> = [],
        adding: [GGUFWriter.Entry] = []
    ) throws -> URL {
        let file = try GGUFFile(url: source)
        let out = try temporaryDirectory("rewrite").appendingPathComponent(name)
        var metadata: [(key: String, value: GGUFValue)] = []
        for key in file.metadataKeys {
            if let edit = edits[key] {
                if let v = edit { metadata.append((key, v)) }
            } else {
                metadata.append((key, file.metadata[key]!))
            }
        }
        for (key, value) in edits where file.metadata[key] == nil { if let value { metadata.append((key, value)) } }
        let entries = file.tensors.filter { !dropping.contains($0.name) }.map { info in
            GGUFWriter.Entry(name: info.name, type: info.type, ne: info.ne) {
                $0.copyMemory(from: try file.rawBytes(info.name))
            }
        }
        try GGUFWriter.write(metadata: metadata, tensors: entries + adding, to: out)
        return out
    }

    /// A fresh empty directory inside this process's scratch directory.
    static func temporaryDirectory(_ tag: String) throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        let url = try scratchRoot().appendingPathComponent("\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Both built-in backends at two threads (the tests must pass on a loaded 2-core machine).
    static var backends: [any Backend] { [SwiftBackend(threads: 2), BLASBackend(threads: 2)] }
}
