import ArgumentParser
import Foundation
import OSSFormats
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

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Preset: gpt-oss \(SyntheticPreset.allCases.map(\.rawValue).joined(separator: ", ")); dense (GGUF only) "
                + "\(SyntheticDensePreset.allCases.map(\.rawValue).joined(separator: ", ")).",
            discussion:
                "llama-1b has Llama-3.2-1B shapes (H 2048, 16 layers, 32/8 heads, FFN 8192, vocab 128256, tied)."))
    var preset: String

    @Option(
        name: .long,
        help:
            "Matrix type of dense presets: \(SyntheticModel.denseWeightTypes.map { $0.description.lowercased() }.joined(separator: ", "))."
    )
    var dtype: String = "f16"

    @Option(name: .long, help: "Output: a directory for safetensors (created if missing), a .gguf file for gguf.")
    var out: String

    @Option(
        name: .long,
        help: "File format: safetensors (config.json + safetensors) or gguf (llama.cpp names, keys and blocks).")
    var format: ModelFileFormat = .safetensors

    @Option(
        name: .long,
        help: "Safetensors tensor names: original (block.N.*, fused qkv) or hf (model.layers.N.*, sharded).")
    var layout: CheckpointLayout = .original

    func validate() throws {
        guard layout != .gguf else { throw ValidationError("--layout gguf: use --format gguf") }
        if SyntheticDensePreset(rawValue: preset) != nil {
            guard format == .gguf else {
                throw ValidationError("--preset \(preset) is written as GGUF only: add --format gguf")
            }
            _ = try denseType()
        } else if SyntheticPreset(rawValue: preset) == nil {
            throw ValidationError(
                "--preset: unknown preset '\(preset)' (gpt-oss: "
                    + SyntheticPreset.allCases.map(\.rawValue).joined(separator: ", ") + "; dense: "
                    + SyntheticDensePreset.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
    }

    /// `--dtype` as a ggml type the dense presets can be written in.
    func denseType() throws -> GGMLType {
        guard
            let type = SyntheticModel.denseWeightTypes.first(where: {
                $0.description.lowercased() == dtype.lowercased()
            })
        else {
            throw ValidationError(
                "--dtype must be one of \(SyntheticModel.denseWeightTypes.map { $0.description.lowercased() }.joined(separator: ", ")), got \(dtype)"
            )
        }
        return type
    }

    func run() throws {
        let url = URL(fileURLWithPath: out)
        let start = Date()
        let what: String
        if let dense = SyntheticDensePreset(rawValue: preset) {
            let type = try denseType()
            try SyntheticModel.writeGGUF(dense, type: type, to: url)
            what = "gguf, \(type)"
        } else if let moe = SyntheticPreset(rawValue: preset) {
            switch format {
            case .safetensors:
                try SyntheticModel.write(moe, to: url, layout: layout)
                what = "\(layout.rawValue) layout"
            case .gguf:
                try SyntheticModel.writeGGUF(moe, to: url)
                what = "gguf"
            }
        } else {
            throw ValidationError("--preset: unknown preset '\(preset)'")
        }
        let size: String
        if format == .gguf {
            size = "\((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0) bytes"
        } else {
            size = "\(try SyntheticModel.tensorBytes(SyntheticPreset(rawValue: preset) ?? .tiny)) tensor bytes"
        }
        let seconds = Date().timeIntervalSince(start)
        FileHandle.standardError.write(
            Data(
                "oss synth: wrote \(preset) (\(what), \(size)) to \(url.path) in \(String(format: "%.2f", seconds)) s\n"
                    .utf8))
    }
}
