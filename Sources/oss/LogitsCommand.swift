import ArgumentParser
import Foundation
import OSSBackends
import OSSCore
import OSSModel

/// `oss logits`: runs token ids through a model and prints each position's top logits as JSON on stdout,
/// for comparison with other implementations.
struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Print per-position argmax and top-k logits of a token sequence as JSON.")

    @Option(name: .long, help: "Model: a GGUF file or a gpt-oss checkpoint directory.")
    var model: String

    @Option(name: .long, help: "Comma-separated token ids, e.g. 11,48,85.")
    var tokens: String

    @OptionGroup var backendOptions: BackendOptions

    @Option(name: .long, help: "Logits listed per position.")
    var top: Int = 5

    @Flag(name: .long, help: "Also print every logit of every position.")
    var full = false

    @Option(name: .long, help: "Convert dense float matrices once at load, e.g. q8_0 (to measure what it costs).")
    var requant: String?

    @Option(name: .long, help: "KV cache element type, f32 (default) or f16 (to measure what f16 costs).")
    var kvCache: KVCacheType = .f32

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be ≥ 1, got \(top)") }
        try ModelOptions.checkRequant(requant)
        _ = try parsedTokens()
    }

    /// The `--tokens` list as ids (each a non-negative integer).
    func parsedTokens() throws -> [Int32] {
        let parts = tokens.split(separator: ",", omittingEmptySubsequences: false)
        return try parts.map { part in
            let s = part.trimmingCharacters(in: .whitespaces)
            guard let id = Int32(s), id >= 0 else {
                throw ValidationError("--tokens: '\(s)' is not a token id (comma-separated non-negative integers)")
            }
            return id
        }
    }

    func run() throws {
        let ids = try parsedTokens()
        let engine = try backendOptions.makeBackend()
        let model = try ModelLoader.load(
            path: self.model,
            options: ModelLoadOptions(
                backend: engine, contextLength: ids.count, requantize: requant.flatMap { DType(name: $0) },
                kvCache: kvCache)
        ).model
        let logits = try model.forward(tokens: ids, allLogits: true)
        let k = min(top, model.vocabSize)
        var topIDs = [Int32](repeating: 0, count: k)
        var topValues = [Float](repeating: 0, count: k)
        // Written by hand to keep the documented key order: backend, tokens, positions[pos, argmax, top, logits].
        var json =
            "{\"backend\":\"\(engine.name)\",\"tokens\":[\(ids.map(String.init).joined(separator: ","))],\"positions\":["
        for p in 0..<ids.count {
            let row = try logits.rows(p..<(p + 1)).reshaped([model.vocabSize])
            try engine.topK(row, k: k, ids: &topIDs, values: &topValues)
            json += p == 0 ? "" : ","
            json += "{\"pos\":\(p),\"argmax\":\(try engine.argmax(row)),\"top\":["
            json += zip(topIDs, topValues).map { "{\"id\":\($0),\"logit\":\(Self.number($1))}" }.joined(separator: ",")
            json += "]"
            if full { json += ",\"logits\":[" + row.toArray().map(Self.number).joined(separator: ",") + "]" }
            json += "}"
        }
        json += "]}\n"
        FileHandle.standardOutput.write(Data(json.utf8))
    }

    /// A Float as a JSON number (shortest round-trip form); non-finite values become null.
    static func number(_ v: Float) -> String { v.isFinite ? "\(v)" : "null" }
}
