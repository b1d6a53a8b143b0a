import ArgumentParser
import Foundation
import OSSCore
import OSSModel
import OSSTokenizer

/// `oss generate`: continues a prompt (raw text, or a harmony chat turn with `--chat`), streaming text to stdout
/// and timings to stderr.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a prompt; text streams to stdout, timings to stderr.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(name: .long, help: "Prompt text.")
    var prompt: String

    @Flag(name: .long, help: "Wrap the prompt as a user turn in the harmony chat format; print the final channel to stdout.")
    var chat = false

    @Option(name: .long, help: "Reasoning effort for --chat: low, medium or high.")
    var reasoning: ReasoningEffort = .medium

    @Option(name: .long, help: "Developer instructions for --chat.")
    var instructions: String?

    @Flag(name: .long, help: "With --chat: do not show the analysis channel (shown dimmed on stderr otherwise).")
    var hideAnalysis = false

    @Flag(name: .long, help: "Without --chat: special token names in the prompt (<|start|> …) become their ids.")
    var allowSpecial = false

    func run() async throws {
        let tokenizer = try modelOptions.loadTokenizer()
        let model = try modelOptions.loadModel()
        let seed = sampling.resolvedSeed
        if sampling.seed == nil && sampling.temperature > 0 { Console.err("seed: \(seed)\n") }
        let sampler = try Generator.makeSampler(parameters: sampling.parameters(seed: seed), model: model, tokenizer: tokenizer)
        let generator = Generator(model: model, tokenizer: tokenizer, sampler: sampler)
        let renderer = try? HarmonyRenderer(tokenizer: tokenizer)
        let stops = renderer?.stopTokens ?? []

        let t0 = DispatchTime.now().uptimeNanoseconds
        let ids: [Int32]
        if chat {
            guard let renderer else {
                throw GenerationCommandError("--chat needs a tokenizer with the harmony tokens (<|start|>, <|message|>, …)")
            }
            let conversation = HarmonyConversation(system: HarmonySystemContent(reasoning: reasoning),
                                                   instructions: instructions, messages: [.user(prompt)])
            ids = renderer.renderPrompt(conversation)
        } else {
            ids = tokenizer.encode(prompt, allowSpecial: allowSpecial)
        }
        let tokenizeSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        try checkPromptFitsModel(ids, model: model)
        let stream = generator.stream(prompt: ids, maxTokens: sampling.maxTokens, stopTokens: stops,
                                      tokenizationSeconds: tokenizeSeconds)
        if chat, let renderer {
            var printer = HarmonyPrinter(renderer: renderer, showAnalysis: !hideAnalysis, analysisToStderr: true)
            for try await event in stream { printer.show(event) }
            printer.finish()
        } else {
            for try await event in stream where !event.isStop { Console.out(event.text) }
            Console.out("\n")
        }
        Console.err("\(generator.timing); \(engineSummary(model))\n")
    }
}

extension ReasoningEffort: ExpressibleByArgument {}
