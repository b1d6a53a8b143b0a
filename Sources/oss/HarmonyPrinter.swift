import Foundation
import OSSModel
import OSSTokenizer

/// Shows a generated harmony turn as it streams: the final channel as plain text on stdout, analysis and
/// commentary dimmed (on stderr or stdout) or hidden. Tokens that break the harmony grammar (a synthetic model's
/// gibberish) switch it to showing the raw text, with a note on stderr.
struct HarmonyPrinter {
    var parser: HarmonyStreamParser
    let showAnalysis: Bool
    let analysisToStderr: Bool
    /// The channel of the message being streamed.
    private var channel: String?
    private var raw = false
    /// Text of the tokens since the last message boundary (header tokens are not shown while they stream).
    private var unshown = ""

    init(renderer: HarmonyRenderer, showAnalysis: Bool, analysisToStderr: Bool) {
        parser = HarmonyStreamParser(renderer: renderer)
        self.showAnalysis = showAnalysis
        self.analysisToStderr = analysisToStderr
    }

    /// Completed messages of the turn.
    var messages: [HarmonyMessage] { parser.messages }

    mutating func show(_ event: GenerationEvent) {
        if raw {
            if !event.isStop { Console.out(event.text) }
            return
        }
        do {
            switch try parser.process(event.token) {
            case .none: unshown += event.text
            case .messageStarted(let m):
                unshown = ""
                channel = m.channel
                if m.channel != "final" && showAnalysis {
                    let label = m.recipient.map { "[\(m.channel ?? "?") to=\($0)] " } ?? "[\(m.channel ?? "?")] "
                    side(label)
                }
            case .content(let text):
                if channel == "final" { Console.out(text) } else if showAnalysis { side(text) }
            case .messageEnded:
                if channel != "final" && showAnalysis { side("\n") }
                channel = nil
            }
        } catch {
            raw = true
            Console.err("\n(note: output is not well-formed harmony: \(error); showing raw text)\n")
            if !event.isStop { Console.out(event.text) }
        }
    }

    /// Ends the turn; a header the model never closed with `<|message|>` is shown raw with a note.
    mutating func finish() {
        if !raw && !unshown.isEmpty && !parser.isAtMessageBoundary && channel == nil {
            Console.err("(note: the output ended inside a harmony message header; its raw text:)\n")
            side(unshown)
        }
        unshown = ""
        Console.out("\n")
    }

    /// Text of a non-final channel, dimmed when going to a terminal.
    private func side(_ text: String) {
        let toErr = analysisToStderr
        let dim = toErr ? Console.stderrIsTerminal : Console.stdoutIsTerminal
        let s = dim ? Console.dim + text + Console.reset : text
        if toErr { Console.err(s) } else { Console.out(s) }
    }
}
