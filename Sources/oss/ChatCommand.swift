import ArgumentParser
import Foundation
import OSSCore
import OSSModel
import OSSTokenizer

/// `oss chat`: an interactive harmony chat. The final answer prints plainly, the analysis channel dimmed (or hidden).
/// `/reset` clears the history, `/quit` (or Ctrl-D) leaves; empty lines are ignored.
/// Each turn renders the whole conversation, but only the part that differs from what the KV cache already holds is
/// prefilled (`ConversationCache`): the cache is rewound to the longest common prefix, e.g. everything up to the
/// previous turn's final answer (whose `<|return|>` the history renders as `<|end|>`, and whose analysis it drops).
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Interactive chat in the harmony format (/reset clears the history, /quit or Ctrl-D exits).")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(name: .long, help: "Reasoning effort: low, medium or high.")
    var reasoning: ReasoningEffort = .medium

    @Option(name: .long, help: "Developer instructions.")
    var instructions: String?

    @Flag(name: .long, help: "Do not show the analysis channel.")
    var hideAnalysis = false

    @Flag(name: .long, help: "Do not print timings after each answer.")
    var quiet = false

    func run() async throws {
        let tokenizer = try modelOptions.loadTokenizer()
        // A turn writes at most --max-tokens positions past the previous prompt, so the sliding layers' ring buffers
        // keep that many more rows: the next turn can always rewind to the previous prompt's end.
        let model = try modelOptions.loadModel(rewindRows: sampling.maxTokens)
        let renderer = try HarmonyRenderer(tokenizer: tokenizer)
        let seed = sampling.resolvedSeed
        let sampler = try Generator.makeSampler(parameters: sampling.parameters(seed: seed), model: model, tokenizer: tokenizer)
        let generator = Generator(model: model, tokenizer: tokenizer, sampler: sampler)
        let cache = ConversationCache(model: model)
        let system = HarmonySystemContent(reasoning: reasoning)
        var conversation = HarmonyConversation(system: system, instructions: instructions)
        try checkPromptFitsModel(renderer.renderPrompt(conversation), model: model)
        let interactive = isatty(STDIN_FILENO) != 0
        if interactive {
            Console.err("oss chat: \(model.vocabSize)-token vocabulary, context \(model.contextLength), backend \(model.backend.name)"
                + (sampling.seed == nil && sampling.temperature > 0 ? ", seed \(seed)" : "") + ". /reset, /quit, Ctrl-D.\n")
        }
        while true {
            if interactive { Console.out("> ") }
            guard let line = readLine(strippingNewline: true) else {
                if interactive { Console.out("\n") }
                return
            }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            if text == "/quit" || text == "/exit" { return }
            if text == "/reset" {
                conversation = HarmonyConversation(system: system, instructions: instructions)
                Console.err("(history cleared)\n")
                continue
            }
            conversation.messages.append(.user(line))
            let t0 = DispatchTime.now().uptimeNanoseconds
            let prompt = renderer.renderPrompt(conversation)
            let tokenizeSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            guard prompt.count < model.contextLength else {
                Console.err("(the conversation has \(prompt.count) tokens, the context holds \(model.contextLength): /reset)\n")
                conversation.messages.removeLast()
                continue
            }
            var printer = HarmonyPrinter(renderer: renderer, showAnalysis: !hideAnalysis, analysisToStderr: false)
            do {
                for try await event in generator.stream(prompt: prompt, maxTokens: sampling.maxTokens,
                                                        stopTokens: renderer.stopTokens, tokenizationSeconds: tokenizeSeconds,
                                                        cache: cache) {
                    printer.show(event)
                }
            } catch {
                Console.err("\n(generation failed: \(error))\n")
            }
            printer.finish()
            // Keep the turn's completed messages; analysis of finished turns is dropped when the next prompt renders.
            conversation.messages += printer.messages
            if !quiet { Console.err("\(generator.timing)\n") }
        }
    }
}
