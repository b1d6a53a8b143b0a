import ArgumentParser
import Foundation
import OSSCore
import OSSModel
import OSSTokenizer

/// `oss generate`: continues a prompt (raw text with the model's BOS, or a user turn in the model's chat format with
/// `--chat`), streaming text to stdout and timings to stderr.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a prompt; text streams to stdout, timings to stderr.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(name: .long, help: "Prompt text.")
    var prompt: String

    @Flag(
        name: .long,
        help: "Wrap the prompt as a user turn in the model's chat format (harmony: print the final channel to stdout).")
    var chat = false

    @Option(name: .long, help: "Reasoning effort for --chat: low, medium or high.")
    var reasoning: ReasoningEffort = .medium

    @Option(name: .long, help: "System message for --chat (harmony: the developer instructions).")
    var instructions: String?

    @Flag(name: .long, help: "With --chat: do not show the analysis channel (shown dimmed on stderr otherwise).")
    var hideAnalysis = false

    @Flag(
        name: .long,
        help: "Without --chat: special token names in the prompt (<|start|>, <|im_start|> …) become their ids.")
    var allowSpecial = false

    @Flag(
        name: .customLong("token-ids"),
        help: "Print the generated token ids (a JSON array, a stop token included) instead of text.")
    var tokenIDs = false

    func run() async throws {
        let loaded = try modelOptions.load()
        let model = loaded.model
        let tokenizer = loaded.tokenizer
        let seed = sampling.resolvedSeed
        if sampling.seed == nil && sampling.temperature > 0 { Console.err("seed: \(seed)\n") }
        let sampler = try Generator.makeSampler(
            parameters: sampling.parameters(seed: seed), model: model, tokenizer: tokenizer)
        let generator = Generator(model: model, tokenizer: tokenizer, sampler: sampler)

        let t0 = DispatchTime.now().uptimeNanoseconds
        let ids: [Int32]
        var renderer: ChatRenderer?
        if chat {
            let r = try loaded.chatRenderer(harmonySystem: HarmonySystemContent(reasoning: reasoning))
            ids = r.prompt((instructions.map { [ChatMessage.system($0)] } ?? []) + [.user(prompt)])
            renderer = r
        } else {
            ids = tokenizer.encode(prompt, allowSpecial: allowSpecial, addSpecial: true)
        }
        let tokenizeSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        try checkPromptFitsModel(ids, model: model)
        let stream = generator.stream(
            prompt: ids, maxTokens: sampling.maxTokens,
            stopTokens: renderer?.stopTokens ?? loaded.stopTokens,
            tokenizationSeconds: tokenizeSeconds)
        if tokenIDs {
            var generated: [Int32] = []
            for try await event in stream { generated.append(event.token) }
            Console.out("[" + generated.map(String.init).joined(separator: ", ") + "]\n")
        } else if let harmony = renderer?.harmony {
            var printer = HarmonyPrinter(renderer: harmony, showAnalysis: !hideAnalysis, analysisToStderr: true)
            for try await event in stream { printer.show(event) }
            printer.finish()
        } else {
            for try await event in stream where !event.isStop { Console.out(event.text) }
            Console.out("\n")
        }
        Console.err("\(generator.timing); \(loaded.engineSummary)\n")
    }
}

extension ReasoningEffort: ExpressibleByArgument {}
