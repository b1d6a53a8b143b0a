import ArgumentParser
import Foundation
import OSSFormats
import OSSModel

extension QuantizationType: ExpressibleByArgument {}

/// `oss quantize IN OUT --type T`: a GGUF model rewritten with its matrices in a GGUF block type or a llama.cpp mix.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a model to GGUF (q4_0, q4_1, q5_0, q5_1, q8_0, q4_k, q5_k, q6_k, q4_k_m, q5_k_m).",
        discussion: """
            IN is a GGUF file (a split model by any shard) of any architecture `oss` runs, or a gpt-oss safetensors \
            checkpoint directory (written with llama.cpp's gpt-oss names and keys; its MXFP4 experts need \
            --allow-requantize). Matrices (2-D and 3-D tensors \
            named *weight, not norms or MoE routers) are decoded and quantized with SwiftOSS's scale-search \
            quantizers; \
            everything else is copied. The mixes follow llama.cpp's rules: output (or a tied embedding) in Q6_K, \
            q4_k_m / q5_k_m put attn_v and ffn_down of a share of the layers in Q6_K, q4_k is llama.cpp's Q4_K_S.
            """)

    @Argument(help: "Input model: a .gguf file or a gpt-oss checkpoint directory.") var input: String
    @Argument(help: "Output .gguf file (replaced atomically).") var output: String
    @Option(name: .long, help: "Target: \(QuantizationType.allCases.map(\.rawValue).joined(separator: ", ")).")
    var type: QuantizationType
    @Option(name: .long, help: "Threads encoding rows (default: all online cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Flag(name: .long, help: "Allow decoding already quantized tensors (Q8_0, MXFP4, …) and quantizing them again.")
    var allowRequantize = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
    }

    func run() throws {
        let start = Date()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
            throw ModelError.unrecognizedModelPath(path: input, reason: "no such file or directory")
        }
        let inputURL = URL(fileURLWithPath: input)
        let outputURL = URL(fileURLWithPath: output)
        let report =
            isDirectory.boolValue
            ? try GGUFQuantizer.quantize(
                checkpoint: inputURL, to: outputURL, type: type, threads: threads,
                allowRequantize: allowRequantize)
            : try GGUFQuantizer.quantize(
                GGUFArchive(url: inputURL), to: outputURL, type: type, threads: threads,
                allowRequantize: allowRequantize)
        var counts: [String: Int] = [:]
        for t in report.tensors { counts["\(t.to)", default: 0] += 1 }
        let types = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let seconds = Date().timeIntervalSince(start)
        let time = String(format: "%.2f", seconds)
        FileHandle.standardError.write(
            Data(
                ("oss quantize: \(input) → \(output) (\(type.rawValue)): \(types); "
                    + "\(report.inputBytes) → \(report.outputBytes) tensor bytes in \(time) s\n").utf8))
    }
}
