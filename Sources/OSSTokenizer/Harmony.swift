/// The harmony chat format of gpt-oss (gpt-oss.md §5): message and conversation values.

/// How much the model should reason, as stated in the system message (`Reasoning: low|medium|high`).
public enum ReasoningEffort: String, CaseIterable, Sendable, Codable {
    case low, medium, high
}

/// One harmony message: `<|start|>role[:name][ to=recipient][<|channel|>channel][ contentType]<|message|>content<|end|>`.
public struct HarmonyMessage: Equatable, Sendable {
    /// `system`, `developer`, `user`, `assistant`, or a tool name (`functions.get_weather`, `browser.search`, `python`).
    public var role: String
    /// Optional author name (`role:name`).
    public var name: String?
    /// Recipient (`to=functions.get_weather`, `to=assistant`); nil = everyone.
    public var recipient: String?
    /// `analysis`, `commentary` or `final` for assistant messages (tool replies use `commentary`).
    public var channel: String?
    /// Content type, e.g. `json` or `<|constrain|>json`.
    public var contentType: String?
    public var content: String

    public init(
        role: String, content: String, channel: String? = nil, recipient: String? = nil,
        contentType: String? = nil, name: String? = nil
    ) {
        self.role = role
        self.content = content
        self.channel = channel
        self.recipient = recipient
        self.contentType = contentType
        self.name = name
    }

    public static func user(_ text: String) -> HarmonyMessage { HarmonyMessage(role: "user", content: text) }
    public static func assistant(_ text: String, channel: String) -> HarmonyMessage {
        HarmonyMessage(role: "assistant", content: text, channel: channel)
    }
    /// A tool's reply: `<|start|>{tool} to=assistant<|channel|>commentary<|message|>{output}<|end|>`.
    public static func toolResult(_ tool: String, _ output: String) -> HarmonyMessage {
        HarmonyMessage(role: tool, content: output, channel: "commentary", recipient: "assistant")
    }

    /// An assistant message with a recipient (a tool call): rendered ending with `<|call|>` instead of `<|end|>`.
    public var isToolCall: Bool { role == "assistant" && recipient != nil }
}

/// A function the model may call, described in the developer message's `namespace functions { … }`.
public struct HarmonyFunctionTool: Equatable, Sendable {
    public var name: String
    public var description: String
    /// The parameter type in harmony's TypeScript-like notation (e.g. `{\n// City\nlocation: string,\n}`); nil = none.
    public var parameters: String?
    public init(name: String, description: String, parameters: String? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// The system message's fields (identity, knowledge cutoff, optional date, reasoning effort, channels).
public struct HarmonySystemContent: Equatable, Sendable {
    public var identity = "You are ChatGPT, a large language model trained by OpenAI."
    public var knowledgeCutoff = "2024-06"
    /// `YYYY-MM-DD`; the line is written only when set.
    public var currentDate: String?
    public var reasoning: ReasoningEffort = .medium
    public var validChannels = ["analysis", "commentary", "final"]
    public init(reasoning: ReasoningEffort = .medium, currentDate: String? = nil) {
        self.reasoning = reasoning
        self.currentDate = currentDate
    }
}

/// A conversation: system content, optional developer instructions and function tools, then the messages.
public struct HarmonyConversation: Equatable, Sendable {
    public var system: HarmonySystemContent
    /// Developer instructions (rendered as `# Instructions\n\n{text}`); nil = no developer message unless tools exist.
    public var instructions: String?
    public var functionTools: [HarmonyFunctionTool]
    /// User, assistant and tool messages in order.
    public var messages: [HarmonyMessage]

    public init(
        system: HarmonySystemContent = HarmonySystemContent(), instructions: String? = nil,
        functionTools: [HarmonyFunctionTool] = [], messages: [HarmonyMessage] = []
    ) {
        self.system = system
        self.instructions = instructions
        self.functionTools = functionTools
        self.messages = messages
    }

    /// The system message text (sections joined by a blank line).
    public var systemText: String {
        var identity = "\(system.identity)\nKnowledge cutoff: \(system.knowledgeCutoff)"
        if let date = system.currentDate { identity += "\nCurrent date: \(date)" }
        var channels =
            "# Valid channels: \(system.validChannels.joined(separator: ", ")). Channel must be included for every message."
        if !functionTools.isEmpty {
            channels += "\nCalls to these tools must go to the commentary channel: 'functions'."
        }
        return [identity, "Reasoning: \(system.reasoning.rawValue)", channels].joined(separator: "\n\n")
    }

    /// The developer message text, or nil when there are neither instructions nor tools.
    public var developerText: String? {
        var sections: [String] = []
        if let instructions { sections += ["# Instructions", instructions] }
        if !functionTools.isEmpty {
            // harmony's tools section: "## functions\n", "namespace functions {\n", per tool its description lines as
            // comments and "type NAME = (…) => any;\n", then "} // namespace functions", joined by newlines.
            var lines = ["## functions\n", "namespace functions {\n"]
            for tool in functionTools {
                lines += tool.description.split(separator: "\n", omittingEmptySubsequences: false).map { "// \($0)" }
                lines.append("type \(tool.name) = (\(tool.parameters.map { "_: \($0)" } ?? "")) => any;\n")
            }
            lines.append("} // namespace functions")
            sections.append("# Tools\n\n" + lines.joined(separator: "\n"))
        }
        return sections.isEmpty ? nil : sections.joined(separator: "\n\n")
    }

    /// The messages as they go into the next prompt: analysis messages before the last `final` answer are dropped
    /// (chain of thought of finished turns); those after it (the current turn, e.g. across tool calls) are kept.
    public var messagesForPrompt: [HarmonyMessage] {
        guard let lastFinal = messages.lastIndex(where: { $0.role == "assistant" && $0.channel == "final" }) else {
            return messages
        }
        return messages.enumerated().filter { index, m in
            !(index < lastFinal && m.role == "assistant" && m.channel == "analysis")
        }.map(\.element)
    }
}
