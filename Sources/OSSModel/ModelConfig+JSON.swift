import Foundation
import OSSCore

extension ModelConfig {
    /// Reads `config.json` from a model directory (Hugging Face or original key set, detected per key).
    public static func load(directory: URL) throws -> ModelConfig {
        let url = directory.appendingPathComponent("config.json")
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelConfigError.unreadable(file: url.path, reason: "\(error.localizedDescription)")
        }
        return try decode(json: data, file: url.path)
    }

    /// Decodes config.json bytes. Accepts the Hugging Face keys (`num_local_experts`, `rope_scaling` or
    /// `rope_parameters`, `layer_types`, …) and the original checkpoint keys (`num_experts`, `experts_per_token`,
    /// `rope_scaling_factor`, `rope_ntk_alpha` = beta_slow, `rope_ntk_beta` = beta_fast).
    public static func decode(json data: Data, file: String) throws -> ModelConfig {
        let root: JSONValue
        do { root = try JSONValue.parse([UInt8](data)) } catch {
            throw ModelConfigError.malformed(
                file: file, reason: "\(error)".split(separator: "\n").first.map(String.init) ?? "")
        }
        guard let dict = root.objectDictionary else {
            throw ModelConfigError.malformed(file: file, reason: "top level is \(root.typeName), expected an object")
        }
        let r = ConfigReader(file: file, dict: dict, prefix: "")
        let layers = try r.int("num_hidden_layers")
        let initialContext = try r.optionalInt("initial_context_length")

        // RoPE: HF dict (`rope_scaling` or newer `rope_parameters`), else original flat keys.
        var theta = try r.optionalDouble("rope_theta")
        var yarn: YaRNScaling?
        if let rope = try r.optionalObject("rope_scaling", "rope_parameters") {
            theta = try theta ?? rope.optionalDouble("rope_theta")
            let type = try rope.optionalString("rope_type", "type") ?? "yarn"
            switch type {
            case "yarn":
                let factor = try rope.double("factor")
                guard let original = try rope.optionalInt("original_max_position_embeddings") ?? initialContext else {
                    throw ModelConfigError.missingKey(
                        file: file, key: "\(rope.prefix)original_max_position_embeddings or initial_context_length")
                }
                yarn = YaRNScaling(
                    factor: factor, originalContext: original,
                    betaFast: try rope.optionalDouble("beta_fast") ?? 32,
                    betaSlow: try rope.optionalDouble("beta_slow") ?? 1,
                    truncate: try rope.optionalBool("truncate") ?? false)
            case "default":
                yarn = nil
            default:
                throw ModelConfigError.invalidValue(
                    file: file, key: "\(rope.prefix)rope_type",
                    reason: "unsupported RoPE scaling '\(type)' (gpt-oss uses yarn)")
            }
        } else if let factor = try r.optionalDouble("rope_scaling_factor") {
            guard let original = initialContext else {
                throw ModelConfigError.missingKey(file: file, key: "initial_context_length")
            }
            yarn = YaRNScaling(
                factor: factor, originalContext: original,
                betaFast: try r.optionalDouble("rope_ntk_beta") ?? 32,
                betaSlow: try r.optionalDouble("rope_ntk_alpha") ?? 1)
        }
        guard let ropeTheta = theta else { throw ModelConfigError.missingKey(file: file, key: "rope_theta") }

        let maxPositions: Int
        if let m = try r.optionalInt("max_position_embeddings") {
            maxPositions = m
        } else if let ic = initialContext {
            let scaled = Double(ic) * (yarn?.factor ?? 1)
            guard scaled.isFinite, scaled < Double(Int32.max) else {
                throw ModelConfigError.invalidValue(
                    file: file, key: "initial_context_length",
                    reason: "context \(scaled) after RoPE scaling is too large")
            }
            maxPositions = Int(scaled)
        } else {
            throw ModelConfigError.missingKey(file: file, key: "max_position_embeddings or initial_context_length")
        }

        var layerTypes: [LayerAttention]?
        if let types = try r.optionalArray("layer_types") {
            layerTypes = try types.enumerated().map { i, v in
                guard case .string(let s) = v else {
                    throw ModelConfigError.wrongType(
                        file: file, key: "layer_types[\(i)]", expected: "a string", found: v.typeName)
                }
                guard let t = LayerAttention(rawValue: s) else {
                    throw ModelConfigError.invalidValue(
                        file: file, key: "layer_types[\(i)]",
                        reason: "unknown layer type '\(s)' (expected sliding_attention or full_attention)")
                }
                return t
            }
        }

        return try ModelConfig(
            layers: layers,
            hiddenSize: try r.int("hidden_size"),
            heads: try r.int("num_attention_heads"),
            kvHeads: try r.int("num_key_value_heads"),
            headDim: try r.int("head_dim"),
            experts: try r.int("num_local_experts", "num_experts"),
            expertsPerToken: try r.int("num_experts_per_tok", "experts_per_token"),
            intermediateSize: try r.int("intermediate_size"),
            vocabSize: try r.int("vocab_size"),
            maxPositions: maxPositions,
            slidingWindow: try r.optionalInt("sliding_window") ?? 0,
            layerTypes: layerTypes,
            ropeTheta: ropeTheta,
            yarn: yarn,
            rmsNormEps: Float(try r.optionalDouble("rms_norm_eps") ?? 1e-5),
            swigluLimit: Float(try r.optionalDouble("swiglu_limit") ?? 7),
            attentionBias: try r.optionalBool("attention_bias") ?? true,
            file: file)
    }
}

/// Typed accessors over one JSON object of a config file; every failure names the file and key.
struct ConfigReader {
    let file: String
    let dict: [String: JSONValue]
    /// Key path of this object for messages ("" at top level, "rope_scaling." inside).
    let prefix: String

    /// First present, non-null key among the aliases.
    private func lookup(_ keys: [String]) -> (String, JSONValue)? {
        for k in keys { if let v = dict[k], v != .null { return (k, v) } }
        return nil
    }

    func optionalInt(_ keys: String...) throws -> Int? {
        guard let (k, v) = lookup(keys) else { return nil }
        return try integer(k, v)
    }

    private func integer(_ k: String, _ v: JSONValue) throws -> Int {
        switch v {
        case .integer(let i): return i
        case .number(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        case .number(let d):
            throw ModelConfigError.invalidValue(file: file, key: prefix + k, reason: "must be an integer, got \(d)")
        default:
            throw ModelConfigError.wrongType(file: file, key: prefix + k, expected: "an integer", found: v.typeName)
        }
    }

    func int(_ keys: String...) throws -> Int {
        guard let (k, v) = lookup(keys) else {
            throw ModelConfigError.missingKey(file: file, key: keys.map { prefix + $0 }.joined(separator: " or "))
        }
        return try integer(k, v)
    }

    func optionalDouble(_ keys: String...) throws -> Double? {
        guard let (k, v) = lookup(keys) else { return nil }
        guard let d = v.number else {
            throw ModelConfigError.wrongType(file: file, key: prefix + k, expected: "a number", found: v.typeName)
        }
        return d
    }

    func double(_ keys: String...) throws -> Double {
        guard let (k, v) = lookup(keys) else {
            throw ModelConfigError.missingKey(file: file, key: keys.map { prefix + $0 }.joined(separator: " or "))
        }
        guard let d = v.number else {
            throw ModelConfigError.wrongType(file: file, key: prefix + k, expected: "a number", found: v.typeName)
        }
        return d
    }

    func optionalBool(_ keys: String...) throws -> Bool? {
        guard let (k, v) = lookup(keys) else { return nil }
        guard case .bool(let b) = v else {
            throw ModelConfigError.wrongType(file: file, key: prefix + k, expected: "a boolean", found: v.typeName)
        }
        return b
    }

    func optionalString(_ keys: String...) throws -> String? {
        guard let (k, v) = lookup(keys) else { return nil }
        guard case .string(let s) = v else {
            throw ModelConfigError.wrongType(file: file, key: prefix + k, expected: "a string", found: v.typeName)
        }
        return s
    }

    func optionalArray(_ keys: String...) throws -> [JSONValue]? {
        guard let (k, v) = lookup(keys) else { return nil }
        guard case .array(let a) = v else {
            throw ModelConfigError.wrongType(file: file, key: prefix + k, expected: "an array", found: v.typeName)
        }
        return a
    }

    func optionalObject(_ keys: String...) throws -> ConfigReader? {
        guard let (k, v) = lookup(keys) else { return nil }
        guard let o = v.objectDictionary else {
            throw ModelConfigError.wrongType(file: file, key: prefix + k, expected: "an object", found: v.typeName)
        }
        return ConfigReader(file: file, dict: o, prefix: prefix + k + ".")
    }
}
