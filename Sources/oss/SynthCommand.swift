import ArgumentParser
import Foundation
import OSSModel

extension SyntheticPreset: ExpressibleByArgument {}
extension CheckpointLayout: ExpressibleByArgument {}
extension ModelFileFormat: ExpressibleByArgument {}

/// `oss synth`: writes a seeded synthetic model in a real format: a gpt-oss checkpoint (config.json + safetensors)
/// or a GGUF file as llama.cpp's converter writes it.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic model (gpt-oss: tiny = gpt-oss.md §6, mini ≈ 430 MB, 20b ≈ 13.8 GB).")

    @Option(name: .long, help: "Preset: \(SyntheticPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: SyntheticPreset

    @Option(name: .long, help: "Output: a directory for safetensors (created if missing), a .gguf file for gguf.")
    var out: String

    @Option(name: .long, help: "File format: safetensors (config.json + safetensors) or gguf (llama.cpp names, keys and blocks).")
    var format: ModelFileFormat = .safetensors

    @Option(name: .long, help: "Safetensors tensor names: original (block.N.*, fused qkv) or hf (model.layers.N.*, sharded).")
    var layout: CheckpointLayout = .original

    func validate() throws {
        guard layout != .gguf else { throw ValidationError("--layout gguf: use --format gguf") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: out)
        let start = Date()
        let what: String
        switch format {
        case .safetensors:
            try SyntheticModel.write(preset, to: url, layout: layout)
            what = "\(layout.rawValue) layout"
        case .gguf:
            try SyntheticModel.writeGGUF(preset, to: url)
            what = "gguf"
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int).flatMap { $0 }
        let size = format == .gguf ? "\(bytes ?? 0) bytes" : "\(try SyntheticModel.tensorBytes(preset)) tensor bytes"
        let seconds = Date().timeIntervalSince(start)
        FileHandle.standardError.write(Data(
            "oss synth: wrote \(preset.rawValue) (\(what), \(size)) to \(url.path) in \(String(format: "%.2f", seconds)) s\n".utf8))
    }
}
