import Foundation
import OSSModel

/// A gpt-oss `config.json`, either key set (Hugging Face: `num_local_experts`, `rope_scaling` / `rope_parameters`,
/// `layer_types`; original: `num_experts`, `rope_scaling_factor`, `rope_ntk_*`).
///
/// Properties: a `ModelConfigError` naming the file, or a config that passes `validate` with a layer type per layer;
/// the heap stays proportional to the file (a huge `num_hidden_layers` must not allocate per layer before it is
/// checked).
struct ConfigJSONFuzz: FuzzHarness {
    static let name = "config-json"
    static let summary = "config.json (both key sets): ModelConfigError naming the file, or a config that validates"
    static let maxLength = 4 << 10
    static let allocationBound = (perInputByte: 64, fixed: 1 << 20)

    let file = "fuzz/config.json"

    init() {}

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        let config: ModelConfig
        do {
            config = try ModelConfig.decode(json: Data(input), file: file)
        } catch {
            return try check.typedError(error, allowed: [ModelConfigError.self], naming: file)
        }
        do { try config.validate(file: file) } catch {
            throw FuzzFailure(target: Self.name, property: "decoded config does not validate: \(error)")
        }
        try check.require(
            config.layerTypes.count == config.layers,
            "\(config.layerTypes.count) layer types for \(config.layers) layers")
        try check.require(
            config.expertsPerToken <= config.experts && config.heads % config.kvHeads == 0,
            "inconsistent config accepted: \(config)")
        return .accepted
    }
}
