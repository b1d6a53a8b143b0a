import ArgumentParser
import Foundation
import OSSCore
import OSSModel
import OSSTokenizer

/// `oss chat`: an interactive chat in the model's chat format (detected from its template, or `--chat-format`).
/// Harmony: the final answer prints plainly, the analysis channel dimmed (or hidden). `/reset` clears the history,
/// `/quit` (or Ctrl-D) leaves; empty lines are ignored.
/// Each turn renders the whole conversation, but only the part that differs from what the KV cache already holds is
/// prefilled (`ConversationCache`): the cache is rewound to the longest common prefix, e.g. everything up to the
/// previous turn's answer (harmony renders its `<|return|>` as `<|end|>` and drops its analysis).
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Interactive chat in the model's chat format (/reset clears the history, /quit or Ctrl-D exits).")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(name: .long, help: "Reasoning effort (harmony): low, medium or high.")
    var reasoning: ReasoningEffort = .medium

    @Option(name: .long, help: "System message (harmony: the developer instructions).")
    var instructions: String?

    @Flag(name: .long, help: "Do not show the analysis channel (harmony).")
    var hideAnalysis = false

    @Flag(name: .long, help: "Do not print timings after each answer.")
    var quiet = false

    func run() async throws {
        // A turn writes at most --max-tokens positions past the previous prompt, so the sliding layers' ring buffers
        // keep that many more rows: the next turn can always rewind to the previous prompt's end.
        let loaded = try modelOptions.load(rewindRows: sampling.maxTokens)
        let model = loaded.model
        let tokenizer = loaded.tokenizer
        let system = HarmonySystemContent(reasoning: reasoning)
        let renderer = try loaded.chatRenderer(harmonySystem: system)
        let seed = sampling.resolvedSeed
        let sampler = try Generator.makeSampler(
            parameters: sampling.parameters(seed: seed), model: model, tokenizer: tokenizer)
        let generator = Generator(model: model, tokenizer: tokenizer, sampler: sampler)
        let cache = ConversationCache(model: model)
        let opening: [ChatMessage] = instructions.map { [.system($0)] } ?? []
        var harmonyConversation = HarmonyConversation(system: system, instructions: instructions)
        var messages = opening
        try checkPromptFitsModel(renderer.prompt(opening), model: model)
        let interactive = isatty(STDIN_FILENO) != 0
        if interactive {
            Console.err(
                "oss chat: \(loaded.info.architecture) (\(renderer.format.rawValue) format), \(model.vocabSize)-token "
                    + "vocabulary, context \(model.contextLength), backend \(model.backend.name)"
                    + (sampling.seed == nil && sampling.temperature > 0 ? ", seed \(seed)" : "")
                    + ". /reset, /quit, Ctrl-D.\n")
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
                harmonyConversation = HarmonyConversation(system: system, instructions: instructions)
                messages = opening
                Console.err("(history cleared)\n")
                continue
            }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let prompt: [Int32]
            if let harmony = renderer.harmony {
                harmonyConversation.messages.append(.user(line))
                prompt = harmony.renderPrompt(harmonyConversation)
            } else {
                messages.append(.user(line))
                prompt = renderer.prompt(messages)
            }
            let tokenizeSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            guard prompt.count < model.contextLength else {
                Console.err(
                    "(the conversation has \(prompt.count) tokens, the context holds \(model.contextLength): /reset)\n")
                if renderer.harmony != nil { harmonyConversation.messages.removeLast() } else { messages.removeLast() }
                continue
            }
            let stream = generator.stream(
                prompt: prompt, maxTokens: sampling.maxTokens, stopTokens: renderer.stopTokens,
                tokenizationSeconds: tokenizeSeconds, cache: cache)
            if let harmony = renderer.harmony {
                var printer = HarmonyPrinter(renderer: harmony, showAnalysis: !hideAnalysis, analysisToStderr: false)
                do {
                    for try await event in stream { printer.show(event) }
                } catch {
                    Console.err("\n(generation failed: \(error))\n")
                }
                printer.finish()
                // Keep the turn's completed messages; analysis of finished turns is dropped when the next prompt renders.
                harmonyConversation.messages += printer.messages
            } else {
                var answer = ""
                do {
                    for try await event in stream where !event.isStop {
                        answer += event.text
                        Console.out(event.text)
                    }
                } catch {
                    Console.err("\n(generation failed: \(error))\n")
                }
                Console.out("\n")
                messages.append(.assistant(answer))
            }
            if !quiet { Console.err("\(generator.timing)\n") }
        }
    }
}
