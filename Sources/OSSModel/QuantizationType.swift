import OSSCore
import OSSFormats

/// What `oss quantize --type` writes: one block type for every quantizable matrix, or llama.cpp's `_M` mixes.
///
/// The per-tensor rules are llama.cpp's (`llama_tensor_get_type` of llama-quant.cpp, for the ftypes below):
/// - only tensors of 2 or 3 dimensions whose name ends in `weight` are quantized, never norms (`*_norm.weight`) or
///   the MoE router (`ffn_gate_inp.weight`); everything else (1-D scales, biases, sinks) is copied as stored;
/// - the output matrix (`output.weight`, or `token_embd.weight` when the embedding is tied) becomes Q6_K (Q8_0 for
///   `q8_0`, or when its rows are not whole 256-blocks);
/// - `q4_k` is llama.cpp's Q4_K_S: Q4_K, with `attn_v` (and fused `attn_qkv`) of the first 4 such tensors and
///   `ffn_down` of the first 1/8 of the layers in Q5_K;
/// - `q4_k_m` / `q5_k_m`: Q4_K / Q5_K, with `attn_v` / `attn_qkv` and `ffn_down` in Q6_K for the layers where
///   `use_more_bits` holds (the first and last eighth of the layers and every third in between);
/// - a matrix whose rows are not whole blocks falls back as llama.cpp does: Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0,
///   and to F16 when even 32-blocks do not fit.
/// Not carried over: llama.cpp's special cases for 8-expert models (Mixtral), 70B models, Falcon and the IQ types.
public enum QuantizationType: String, CaseIterable, Sendable {
    case q4_0, q4_1, q5_0, q5_1, q8_0, q4_k, q5_k, q6_k, q4_k_m, q5_k_m

    /// The type of the plain matrices.
    public var baseType: GGMLType {
        switch self {
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .q5_0: return .q5_0
        case .q5_1: return .q5_1
        case .q8_0: return .q8_0
        case .q4_k, .q4_k_m: return .q4_K
        case .q5_k, .q5_k_m: return .q5_K
        case .q6_k: return .q6_K
        }
    }

    /// `general.file_type` (llama_ftype): MOSTLY_Q4_0 2, Q4_1 3, Q8_0 7, Q5_0 8, Q5_1 9, Q4_K_S 14, Q4_K_M 15,
    /// Q5_K_S 16, Q5_K_M 17, Q6_K 18.
    public var fileType: UInt32 {
        switch self {
        case .q4_0: return 2
        case .q4_1: return 3
        case .q8_0: return 7
        case .q5_0: return 8
        case .q5_1: return 9
        case .q4_k: return 14
        case .q4_k_m: return 15
        case .q5_k: return 16
        case .q5_k_m: return 17
        case .q6_k: return 18
        }
    }

    /// The `use_more_bits` layers of llama.cpp: the first and last eighth, and every third layer in between.
    static func useMoreBits(_ layer: Int, _ layers: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }

    /// Whether llama.cpp quantizes a tensor of this name and shape at all.
    static func isQuantizable(name: String, ne: [Int]) -> Bool {
        (2...3).contains(ne.count) && name.hasSuffix("weight") && !name.contains("_norm.weight")
            && !name.contains("ffn_gate_inp.weight") && name != "position_embd.weight" && name != "token_types.weight"
    }

    /// The layer of a `blk.N.` tensor name.
    static func layer(of name: String) -> Int? {
        guard name.hasPrefix("blk.") else { return nil }
        return Int(name.dropFirst(4).prefix { $0.isNumber })
    }

    /// The output type of every tensor `(name, ne)` of a model with `layers` blocks (nil: copied as stored), in the
    /// given order (the attn_v counter of llama.cpp follows it).
    public func plan(tensors: [(name: String, ne: [Int])], layers: Int) -> [GGMLType?] {
        let hasOutput = tensors.contains { $0.name == "output.weight" }
        let attentionV = tensors.filter { Self.isAttentionV($0.name) }.count
        var attentionVSeen = 0
        return tensors.map { t in
            guard Self.isQuantizable(name: t.name, ne: t.ne) else { return nil }
            var type = baseType
            if t.name == "output.weight" || (!hasOutput && t.name == "token_embd.weight") {
                type = baseType == .q8_0 || t.ne[0] % 256 != 0 ? .q8_0 : .q6_K
            } else if Self.isAttentionV(t.name) {
                if (self == .q4_k_m || self == .q5_k_m) && Self.useMoreBits(attentionVSeen, attentionV) { type = .q6_K }
                if self == .q4_k && attentionVSeen < 4 { type = .q5_K }
                attentionVSeen += 1
            } else if t.name.contains("ffn_down"), let layer = Self.layer(of: t.name) {
                if (self == .q4_k_m || self == .q5_k_m) && Self.useMoreBits(layer, layers) { type = .q6_K }
                if self == .q4_k && layer < layers / 8 { type = .q5_K }
            }
            return Self.fallback(type, rowLength: t.ne[0])
        }
    }

    /// llama.cpp's `attn_v`-like tensors: `attn_v`, the fused `attn_qkv` and `attn_kv_b`.
    static func isAttentionV(_ name: String) -> Bool {
        name.contains("attn_v.weight") || name.contains("attn_qkv.weight") || name.contains("attn_kv_b.weight")
    }

    /// A type whose blocks fit rows of `rowLength`: the K-quants fall back to 32-weight types, those to F16.
    static func fallback(_ type: GGMLType, rowLength: Int) -> GGMLType {
        guard rowLength % type.blockSize != 0 else { return type }
        let smaller: GGMLType
        switch type {
        case .q4_K: smaller = .q5_0
        case .q5_K: smaller = .q5_1
        case .q6_K: smaller = .q8_0
        default: smaller = type
        }
        return rowLength % smaller.blockSize == 0 ? smaller : .f16
    }
}
