import Foundation
import OSSCore
import OSSFormats
import OSSModel
import OSSTokenizer

/// The seed corpora of the targets, written by the project's own writers: micro synthetic models (gpt-oss and
/// Llama-family, GGUF and safetensors), vocabulary excerpts of o200k, GGUF vocabularies of both kinds, chat templates
/// and harmony conversations. `oss-fuzz seeds DIR` writes them to `DIR/<target>/`; they are committed under
/// `Fuzz/corpus` (small: the largest is a ~50 KB model).
public enum FuzzSeeds {
    /// Writes every target's seeds below `directory`; returns the number of files per target.
    @discardableResult
    public static func write(to directory: URL) throws -> [String: Int] {
        let work = FuzzScratch.shared.subdirectory("seeds")
        var counts: [String: Int] = [:]
        func seed(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
            let dir = directory.appendingPathComponent(target)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(bytes).write(to: dir.appendingPathComponent(name))
            counts[target, default: 0] += 1
        }
        func read(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

        // Micro models.
        let gptOSS = try microGPTOSS(vocab: 64)
        let checkpoint = work.appendingPathComponent("gpt-oss-micro")
        try SyntheticModel.write(config: gptOSS, seedBase: 7, name: "micro", to: checkpoint, layout: .original)
        let hfCheckpoint = work.appendingPathComponent("gpt-oss-micro-hf")
        try SyntheticModel.write(config: gptOSS, seedBase: 7, name: "micro", to: hfCheckpoint, layout: .huggingFace)
        let config = try read(checkpoint.appendingPathComponent("config.json"))
        let hfConfig = try read(hfCheckpoint.appendingPathComponent("config.json"))
        let safetensors = try read(checkpoint.appendingPathComponent("model.safetensors"))
        try seed("model-dir", "gpt-oss-micro", ModelDirectoryFuzz.input(config: config, safetensors: safetensors))
        try seed(
            "model-dir", "gpt-oss-micro-hf-config", ModelDirectoryFuzz.input(config: hfConfig, safetensors: safetensors)
        )
        try seed("config-json", "original", config)
        try seed("config-json", "hugging-face", hfConfig)
        try seed("safetensors", "gpt-oss-micro", safetensors)
        try seed(
            "safetensors-index", "gpt-oss-micro-hf",
            try read(hfCheckpoint.appendingPathComponent(SafetensorsIndexName.value)))

        let writers: [(String, (URL) throws -> Void)] = [
            (
                "gpt-oss-micro",
                { u in try SyntheticModel.writeGGUF(config: microGPTOSS(vocab: 265), seedBase: 7, name: "micro", to: u)
                }
            ),
            (
                "llama-micro",
                { u in
                    try SyntheticModel.writeGGUF(
                        config: microLlama(.llama, vocab: 355, tied: true),
                        vocabulary: .syntheticSentencePiece(size: 355), type: .f16,
                        seedBase: 9, name: "llama-micro", to: u)
                }
            ),
            (
                "qwen2-micro",
                { u in
                    try SyntheticModel.writeGGUF(
                        config: microLlama(.qwen2, vocab: 300, tied: true),
                        vocabulary: qwenVocabulary(300), type: .f16,
                        seedBase: 11, name: "qwen2-micro", to: u)
                }
            ),
            (
                "qwen3-micro",
                { u in
                    try SyntheticModel.writeGGUF(
                        config: microLlama(.qwen3, vocab: 300, tied: false),
                        vocabulary: qwenVocabulary(300), type: .q8_0,
                        seedBase: 13, name: "qwen3-micro", to: u)
                }
            ),
        ]
        var ggufModels: [(String, URL)] = []
        for (name, write) in writers {
            let url = work.appendingPathComponent("\(name).gguf")
            try write(url)
            ggufModels.append((name, url))
        }
        for (name, url) in ggufModels {
            let bytes = try read(url)
            try seed("model-gguf", name, bytes)
            if name == "qwen3-micro" { try seed("gguf", name, bytes) }  // one model: the others add the same structure
        }

        // GGUF containers: every value type, nested arrays, tensors of several ggml types; a split shard.
        try seed("gguf", "value-types", try read(try valueTypesGGUF(work)))
        try seed("gguf", "split-first-shard", try read(try splitShardGGUF(work)))

        // Safetensors: small files of every float dtype, U8 MXFP4 blocks, metadata, an empty header.
        let small = work.appendingPathComponent("small.safetensors")
        try SafetensorsWriter.write(
            [
                .init(name: "w", values: [1, -2, 3, 0.5, 0, 7], shape: [2, 3]),
                .init(name: "h", values: [1, 2, 3, 4], shape: [4], dtype: .f16),
                .init(name: "b", values: [1, 2], shape: [1, 2], dtype: .bf16),
                .init(name: "blocks", dtype: .u8, shape: [2, 1, 16], bytes: Array(0..<32)),
                .init(name: "scales", dtype: .u8, shape: [2, 1], bytes: [127, 128]),
            ], metadata: ["format": "pt"], to: small)
        try seed("safetensors", "small", try read(small))
        try seed("safetensors", "empty", Array("\u{8}\0\0\0\0\0\0\0{}      ".utf8))

        // Index files over the target's fixture shards.
        let indexFile = work.appendingPathComponent("index.json")
        try SafetensorsWriter.writeIndex(
            weightMap: [
                "a": SafetensorsIndexFuzz.shards[0].0, "b": SafetensorsIndexFuzz.shards[0].0,
                "c": SafetensorsIndexFuzz.shards[1].0,
            ],
            metadata: ["total_size": "16"], to: indexFile)
        try seed("safetensors-index", "two-shards", try read(indexFile))
        try seed(
            "safetensors-index", "one-shard",
            Array("{\"weight_map\": {\"c\": \"\(SafetensorsIndexFuzz.shards[1].0)\"}}".utf8))

        // Vocabularies: an o200k excerpt as .tiktoken (in order and shuffled) and as tokenizer.json; GGUF vocabularies.
        let o200k = try Tokenizer.o200kHarmony()
        let excerpt = try TokenTable(tokens: (0..<320).map { (o200k.table.bytes(ofRank: $0)!, $0) })
        let tiktoken = Tokenizer.tikTokenText(excerpt)
        try seed("tiktoken", "o200k-320", Array(tiktoken.utf8))
        try seed(
            "tiktoken", "o200k-320-reversed",
            Array(tiktoken.split(separator: "\n").reversed().joined(separator: "\r\n").utf8))
        try seed("tokenizer-json", "o200k-320", huggingFaceJSON(excerpt, pairs: true))
        try seed("tokenizer-json", "o200k-320-string-merges", huggingFaceJSON(excerpt, pairs: false))
        let vocabularies: [(String, GGUFVocabulary)] = [
            ("sentencepiece-355", try .syntheticSentencePiece(size: 355)), ("qwen2-300", try qwenVocabulary(300)),
            (
                "llama-bpe-600",
                try .syntheticBPE(
                    size: 600, pre: "llama-bpe", specials: GGUFVocabulary.llama3Specials,
                    bos: "<|begin_of_text|>", eos: "<|eot_id|>", eot: "<|eot_id|>", addBOS: true,
                    chatTemplate: GGUFVocabulary.llama3Template)
            ),
            ("o200k-harmony-265", try .o200kHarmony(size: 265)),
        ]
        for (name, v) in vocabularies {
            let url = work.appendingPathComponent("\(name).gguf")
            try GGUFWriter.write(
                metadata: [("general.architecture", .string("llama"))] + v.metadata, tensors: [], to: url)
            try seed("gguf-tokenizer", name, try read(url))
        }

        // Encode: every tokenizer of the target, with and without specials, on mixed texts.
        let texts = [
            "Hello, world! It's 2024: 12345 apples.", "  multiple   spaces\tand\r\nnewlines\n\n",
            "héllo wörld ñ 日本語 \u{1F600}\u{1F1FA}\u{1F1F8} ▁x", "<|im_start|>user\nhi<|im_end|><|start|>x<|end|>",
            "<s>[INST] <<SYS>> ok", "don't WE'LL I'm ABC's",
        ]
        let encoders = try EncodeFuzz().tokenizers.count
        for selector in 0..<(2 * encoders) {
            try seed("encode", "t\(selector)", [UInt8(selector)] + Array(texts[selector % texts.count].utf8))
        }
        try seed("encode", "invalid-utf8", [1] + Array("ok ".utf8) + [0xC3, 0x28, 0xF0, 0x9F])

        // Harmony: conversations as the target's alphabet indices.
        let harmony = try HarmonyFuzz()
        func stream(_ ids: [Int32]) -> [UInt8] {
            ids.compactMap { id in harmony.alphabet.firstIndex(of: id).map { UInt8($0) } }
        }
        let renderer = harmony.renderer
        var turn: [Int32] = []
        renderer.render(.assistant("Let me think.", channel: "analysis"), into: &turn)
        renderer.render(
            HarmonyMessage(
                role: "assistant", content: "{\"x\": 1}", channel: "commentary",
                recipient: "functions.get_weather", contentType: "<|constrain|>json"), into: &turn)
        renderer.render(.toolResult("functions.get_weather", "Hello world"), into: &turn)
        renderer.render(.assistant("Hello world", channel: "final"), into: &turn)
        try seed("harmony", "conversation", [1] + stream(turn))
        try seed("harmony", "assistant-open", [0] + stream(Array(turn.drop { $0 != o200k.specialIDs["<|channel|>"] })))

        // Chat templates: each known template (and format name) with a short chat.
        let chat: [UInt8] =
            [0, 0] + Array("Be brief.".utf8) + [0, 1] + Array("Hi there".utf8) + [0, 2] + Array("Hello!".utf8)
            + [0, 1] + Array(" and <|im_end|> ".utf8)
        for (name, template) in [
            ("llama2", GGUFVocabulary.llama2Template), ("llama3", GGUFVocabulary.llama3Template),
            ("chatml", GGUFVocabulary.chatMLTemplate), ("harmony", GGUFVocabulary.harmonyTemplate),
        ]
            + ChatFormat.allCases.map({ ("name-\($0.rawValue)", $0.rawValue) })
        {
            try seed("chat-template", name, Array(template.utf8) + chat)
        }
        // Server requests (recorded from the server's tests and the OpenAI API reference): 0 chat, 1 completions,
        // 2 responses, then the body.
        let requests: [(String, UInt8, String)] = [
            (
                "chat-minimal", 0,
                #"""
                {"model":"fuzz-model","messages":[{"role":"user","content":"Hello there"}],"max_tokens":7,
                 "temperature":0,"reasoning_effort":"low"}
                """#
            ),
            (
                "chat-stream", 0,
                #"""
                {"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],"stream":true,
                 "stream_options":{"include_usage":true},"top_p":0.9,"top_k":40,"min_p":0.05,"seed":7,
                 "stop":["\n\n","END"]}
                """#
            ),
            (
                "chat-tools", 0,
                #"""
                {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in SF?"},
                 {"role":"assistant","content":null,"reasoning_content":"Use the tool.",
                  "tool_calls":[{"id":"call_1","type":"function",
                   "function":{"name":"get_weather","arguments":"{\"city\":\"SF\"}"}}]},
                 {"role":"tool","tool_call_id":"call_1","content":"{\"sunny\":true}"},
                 {"role":"assistant","content":"Sunny."}],
                 "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather\nin a city",
                   "parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name"},
                   "unit":{"type":"string","enum":["c","f"]},"days":{"type":"array","items":{"type":"integer"}},
                   "opts":{"anyOf":[{"type":"number"},{"type":"null"}],"default":null}},"required":["city"]}}}],
                 "tool_choice":"auto","max_completion_tokens":3,"temperature":0}
                """#
            ),
            ("completions-text", 1, #"{"prompt":"Once upon","max_tokens":5,"temperature":0,"stop":"."}"#),
            (
                "completions-ids", 1,
                #"""
                {"model":"fuzz-model","prompt":[200006,1428,200008,12194],"max_tokens":2,"stream":true}
                """#
            ),
            (
                "responses-text", 2,
                #"""
                {"model":"fuzz-model","input":"Hi","max_output_tokens":4,"reasoning":{"effort":"high"},
                 "instructions":"Answer in French."}
                """#
            ),
            (
                "responses-items", 2,
                #"""
                {"input":[{"role":"developer","content":"Be terse."},
                 {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather?"}]},
                 {"type":"reasoning","content":[{"type":"reasoning_text","text":"Call it."}]},
                 {"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{}"},
                 {"type":"function_call_output","call_id":"c1","output":{"temp":21}},
                 {"role":"assistant","content":"It is 21."}],
                 "tools":[{"type":"function","name":"get_weather","description":"Weather",
                   "parameters":{"type":"object","properties":{}}}],
                 "stream":true}
                """#
            ),
        ]
        // Bad requests of the server's tests (each a 400 naming its parameter).
        let rejected: [(String, UInt8, String)] = [
            ("chat-bad-tool-call-id", 0, #"{"messages":[{"role":"tool","tool_call_id":"nope","content":"x"}]}"#),
            ("chat-bad-tool", 0, #"{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web"}]}"#),
            (
                "chat-response-format", 0,
                #"""
                {"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}
                """#
            ),
            ("completions-bad-id", 1, #"{"prompt":[1,-5]}"#),
            ("responses-previous-id", 2, #"{"input":"x","previous_response_id":"resp_1"}"#),
        ]
        for (name, endpoint, body) in requests + rejected {
            try seed("server-request", name, [endpoint] + Array(body.utf8))
        }
        return counts
    }

    /// A 1-layer gpt-oss (H 32, 2 heads of 16, 2 experts of I 32, window 4).
    static func microGPTOSS(vocab: Int) throws -> ModelConfig {
        try ModelConfig(
            layers: 1, hiddenSize: 32, heads: 2, kvHeads: 1, headDim: 16, experts: 2, expertsPerToken: 2,
            intermediateSize: 32, vocabSize: vocab, maxPositions: 131_072, slidingWindow: 4, ropeTheta: 150_000,
            yarn: YaRNScaling(factor: 32, originalContext: 4096, betaFast: 32, betaSlow: 1), file: "micro")
    }

    /// A 1-layer Llama-family model (H 32, 2/1 heads of 16, FFN 32).
    static func microLlama(_ architecture: LlamaArchitecture, vocab: Int, tied: Bool) throws -> LlamaConfig {
        try LlamaConfig(
            architecture: architecture, layers: 1, hiddenSize: 32, heads: 2, kvHeads: 1, headDim: 16,
            feedForward: 32, vocabSize: vocab, contextLength: 64, ropeTheta: 10_000, rmsNormEps: 1e-5,
            tiedEmbeddings: tied, file: "micro")
    }

    static func qwenVocabulary(_ size: Int) throws -> GGUFVocabulary {
        try .syntheticBPE(
            size: size, pre: "qwen2", specials: GGUFVocabulary.qwenSpecials, bos: nil, eos: "<|im_end|>",
            eot: "<|im_end|>", addBOS: false, chatTemplate: GGUFVocabulary.chatMLTemplate)
    }

    /// A GGUF file with a key of every value type (nested arrays too) and tensors of several ggml types.
    static func valueTypesGGUF(_ work: URL) throws -> URL {
        let url = work.appendingPathComponent("value-types.gguf")
        let metadata: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string("llama")), ("general.alignment", .uint32(64)), ("u8", .uint8(200)),
            ("i8", .int8(-5)), ("u16", .uint16(65_000)), ("i16", .int16(-300)), ("u32", .uint32(4_000_000_000)),
            ("i32", .int32(-70_000)), ("u64", .uint64(1 << 40)), ("i64", .int64(-(1 << 40))), ("f32", .float32(1.5)),
            ("f64", .float64(-2.25)), ("bool", .bool(true)), ("string", .string("héllo")),
            ("array.u32", .array(.uint32, [.uint32(1), .uint32(2), .uint32(3)])),
            ("array.string", .array(.string, [.string("a"), .string("")])),
            ("array.nested", .array(.array, [.array(.int8, [.int8(1)]), .array(.int8, [])])),
        ]
        let tensors: [GGUFWriter.Entry] = [
            .init(name: "f32", values: [1, 2, 3, 4, 5, 6], ne: [3, 2]),
            .init(name: "f16", values: [1, 2, 3, 4], ne: [4], type: .f16),
            .init(name: "bf16", values: [1, 2], ne: [2, 1], type: .bf16),
            .init(name: "q8_0", type: .q8_0, ne: [32, 2]) { $0.initializeMemory(as: UInt8.self, repeating: 1) },
            .init(name: "mxfp4", type: .mxfp4, ne: [32, 1, 2]) { $0.initializeMemory(as: UInt8.self, repeating: 0x21) },
            .init(name: "q4_K", type: .q4_K, ne: [256]) { $0.initializeMemory(as: UInt8.self, repeating: 0) },
        ]
        try GGUFWriter.write(metadata: metadata, tensors: tensors, to: url)
        return url
    }

    /// The first shard of a two-shard split model (the target's fixture is the second).
    static func splitShardGGUF(_ work: URL) throws -> URL {
        let url = work.appendingPathComponent("split-first.gguf")
        try GGUFWriter.write(
            metadata: [
                ("general.architecture", .string("llama")), ("split.no", .uint16(0)),
                ("split.count", .uint16(2)), ("split.tensors.count", .int32(2)),
            ],
            tensors: [.init(name: "first", values: [1, 2], ne: [2])], to: url)
        return url
    }

    /// tokenizer.json of a token table (ids = ranks), merges as `["a", "b"]` pairs or `"a b"` strings, and the
    /// harmony specials as added tokens after the table.
    static func huggingFaceJSON(_ table: TokenTable, pairs: Bool) -> [UInt8] {
        var vocab: [String] = []
        var merges: [String] = []
        for rank in 0..<table.rankLimit {
            guard let bytes = table.bytes(ofRank: rank) else { continue }
            vocab.append("\(JSONValue.quoted(GPT2ByteMap.string(of: bytes))): \(rank)")
            guard bytes.count > 1 else { continue }
            for split in 1..<bytes.count {
                let left = Array(bytes[..<split])
                let right = Array(bytes[split...])
                guard table.rank(of: left) != nil, table.rank(of: right) != nil else { continue }
                let (l, r) = (GPT2ByteMap.string(of: left), GPT2ByteMap.string(of: right))
                merges.append(
                    pairs ? "[\(JSONValue.quoted(l)), \(JSONValue.quoted(r))]" : JSONValue.quoted(l + " " + r))
                break
            }
        }
        let added = ["<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|return|>"].enumerated().map {
            "{\"id\": \(table.rankLimit + $0.offset), \"content\": \(JSONValue.quoted($0.element)), \"special\": true}"
        }
        let pattern = JSONValue.quoted(Tokenizer.o200kPattern)
        return Array(
            """
            {"version": "1.0", "added_tokens": [\(added.joined(separator: ", "))],
             "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": \(pattern)}},
               {"type": "ByteLevel", "add_prefix_space": false}]},
             "model": {"type": "BPE", "vocab": {\(vocab.joined(separator: ", "))}, "merges": [\(merges.joined(separator: ", "))]}}
            """.utf8)
    }
}

/// `model.safetensors.index.json` (the name `SafetensorsArchive` looks for in a directory).
enum SafetensorsIndexName { static let value = "model.safetensors.index.json" }
