import ArgumentParser
import Foundation
import OSSModel

extension SyntheticPreset: ExpressibleByArgument {}
extension CheckpointLayout: ExpressibleByArgument {}

/// `oss synth`: writes a seeded synthetic gpt-oss checkpoint (config.json + safetensors) in the real format.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic gpt-oss checkpoint (tiny = gpt-oss.md §6, mini ≈ 430 MB, 20b ≈ 13.8 GB).")

    @Option(name: .long, help: "Preset: \(SyntheticPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: SyntheticPreset

    @Option(name: .long, help: "Output directory (created if missing).")
    var out: String

    @Option(name: .long, help: "Tensor names: original (block.N.*, fused qkv) or hf (model.layers.N.*, sharded).")
    var layout: CheckpointLayout = .original

    func run() throws {
        let url = URL(fileURLWithPath: out)
        let start = Date()
        try SyntheticModel.write(preset, to: url, layout: layout)
        let bytes = try SyntheticModel.tensorBytes(preset)
        let seconds = Date().timeIntervalSince(start)
        FileHandle.standardError.write(Data(
            "oss synth: wrote \(preset.rawValue) (\(layout.rawValue) layout, \(bytes) tensor bytes) to \(url.path) in \(String(format: "%.2f", seconds)) s\n".utf8))
    }
}
