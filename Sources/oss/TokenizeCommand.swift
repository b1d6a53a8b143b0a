import ArgumentParser
import Foundation
import OSSModel
import OSSTokenizer

/// Where `oss tokenize` / `oss detokenize` get their vocabulary: `--tokenizer FILE` or the bundled o200k_harmony.
struct TokenizerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "A GGUF file (a model or vocabulary only), a .tiktoken vocabulary or a tokenizer.json (default: the bundled o200k_harmony).",
            discussion: "GGUF tokenizers: SentencePiece (llama) and byte-level BPE (gpt2) with the pre-tokenizers "
                + BPEPreTokenizer.allCases.map(\.rawValue).joined(separator: ", ") + "."))
    var tokenizer: String?

    func load() throws -> Tokenizer {
        guard let path = tokenizer else { return try Tokenizer.o200kHarmony() }
        if path.hasSuffix(".json") { return try Tokenizer.loadHuggingFace(path: path) }
        if path.lowercased().hasSuffix(".gguf") { return try Tokenizer.loadGGUF(path: path) }
        return try Tokenizer.loadTikToken(path: path)
    }
}

/// `oss tokenize`: text (from `--text` or stdin) → token ids.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text (--text or stdin) as a JSON array or a comma list.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, csv }

    @Option(name: .long, help: "Text to tokenize (default: all of stdin, as UTF-8 bytes).")
    var text: String?

    @Flag(name: .long, help: "Special token names (<|start|>, <|end|> …) become their ids instead of ordinary text.")
    var allowSpecial = false

    @Flag(
        name: .long,
        help: "Add BOS (and EOS) as the vocabulary asks (GGUF add_bos_token / add_eos_token), as for a prompt.")
    var addSpecial = false

    @Option(name: .long, help: "Output: json (an array) or csv (a comma list).")
    var format: Format = .json

    @OptionGroup var vocabulary: TokenizerOptions

    func run() throws {
        let t = try vocabulary.load()
        let ids: [Int32]
        let text =
            try self.text
            ?? {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                guard let s = String(data: data, encoding: .utf8) else { throw TokenizerError.invalidUTF8(offset: 0) }
                return s
            }()
        ids = t.encode(text, allowSpecial: allowSpecial, addSpecial: addSpecial)
        let list = ids.map(String.init).joined(separator: format == .json ? ", " : ",")
        Console.out(format == .json ? "[\(list)]\n" : "\(list)\n")
    }
}

/// `oss detokenize`: token ids → text (raw bytes on stdout).
struct DetokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detokenize",
        abstract: "Print the text of token ids (--ids 1,2,3, or a JSON array / comma list on stdin).")

    @Option(name: .long, help: "Comma-separated token ids (default: read from stdin; brackets and spaces ignored).")
    var ids: String?

    @OptionGroup var vocabulary: TokenizerOptions

    func run() throws {
        let source = ids ?? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let parts = source.split { $0 == "," || $0 == "[" || $0 == "]" || $0.isWhitespace }
        let tokens: [Int32] = try parts.map { part in
            guard let id = Int32(part) else { throw ValidationError("'\(part)' is not a token id") }
            return id
        }
        let bytes = try vocabulary.load().decodeBytes(tokens)
        FileHandle.standardOutput.write(Data(bytes))
    }
}
