import XCTest

@testable import OSSTokenizer

/// Harmony rendering (gpt-oss.md §5, harmony's test data) and parsing of generated tokens.
final class HarmonyTests: XCTestCase {
    func renderer() throws -> HarmonyRenderer { try HarmonyRenderer(tokenizer: try TokenizerFixture.o200k()) }

    func testSpecPromptRendersToTheLiteralTextTokens() throws {
        let r = try renderer()
        let conversation = HarmonyConversation(
            system: HarmonySystemContent(reasoning: .low),
            instructions: "Answer the user's questions like a robot.",
            messages: [.user("What is the capital of the largest country in the world?")])
        let literal = """
            <|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.
            Knowledge cutoff: 2024-06

            Reasoning: low

            # Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>\
            <|start|>developer<|message|># Instructions

            Answer the user's questions like a robot.<|end|><|start|>user<|message|>What is the capital of the largest \
            country in the world?<|end|><|start|>assistant
            """
        let tokens = r.renderPrompt(conversation)
        XCTAssertEqual(tokens, r.tokenizer.encode(literal, allowSpecial: true))
        XCTAssertEqual(try r.tokenizer.decode(tokens), literal)
        XCTAssertEqual(Array(tokens.prefix(3)), [200006, 17360, 200008])
        XCTAssertEqual(Array(tokens.suffix(2)), [200006, 173781])
    }

    func testSystemWithDateAndEffortAndTools() throws {
        var conversation = HarmonyConversation(
            system: HarmonySystemContent(reasoning: .high, currentDate: "2026-11-29"))
        XCTAssertEqual(
            conversation.systemText,
            """
            You are ChatGPT, a large language model trained by OpenAI.
            Knowledge cutoff: 2024-06
            Current date: 2026-11-29

            Reasoning: high

            # Valid channels: analysis, commentary, final. Channel must be included for every message.
            """)
        XCTAssertNil(conversation.developerText)
        conversation.functionTools = [
            HarmonyFunctionTool(name: "get_location", description: "Gets the location of the user.")
        ]
        XCTAssertTrue(
            conversation.systemText.hasSuffix(
                "every message.\nCalls to these tools must go to the commentary channel: 'functions'."))
        XCTAssertEqual(
            conversation.developerText,
            """
            # Tools

            ## functions

            namespace functions {

            // Gets the location of the user.
            type get_location = () => any;

            } // namespace functions
            """)
        conversation.instructions = "Be brief."
        conversation.functionTools.append(
            HarmonyFunctionTool(
                name: "get_current_weather", description: "Gets the current weather in the provided location.",
                parameters: "{\n// The city and state, e.g. San Francisco, CA\nlocation: string,\n}"))
        XCTAssertEqual(
            conversation.developerText,
            """
            # Instructions

            Be brief.

            # Tools

            ## functions

            namespace functions {

            // Gets the location of the user.
            type get_location = () => any;

            // Gets the current weather in the provided location.
            type get_current_weather = (_: {
            // The city and state, e.g. San Francisco, CA
            location: string,
            }) => any;

            } // namespace functions
            """)
    }

    func testToolMessagesRender() throws {
        let r = try renderer()
        let t = r.tokenizer
        var out: [Int32] = []
        r.render(.toolResult("functions.get_weather", #"{"sunny": true}"#), into: &out)
        XCTAssertEqual(
            try t.decode(out),
            #"<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{"sunny": true}<|end|>"#)
        out = []
        r.render(
            HarmonyMessage(
                role: "assistant", content: #"{"location":"SF"}"#, channel: "commentary",
                recipient: "functions.get_weather", contentType: "<|constrain|>json"), into: &out)
        XCTAssertEqual(
            try t.decode(out),
            "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json"
                + #"<|message|>{"location":"SF"}<|call|>"#)
        XCTAssertTrue(out.contains(200003))
        XCTAssertEqual(out.last, 200012)
    }

    func testParseGeneratedTurn() throws {
        let r = try renderer()
        let generated = r.tokenizer.encode(
            "<|channel|>analysis<|message|>User asks: \"What is 2 + 2?\" Simple arithmetic. Provide answer.<|end|>"
                + "<|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>", allowSpecial: true)
        let messages = try HarmonyStreamParser.parse(generated, renderer: r)
        XCTAssertEqual(
            messages,
            [
                .assistant(#"User asks: "What is 2 + 2?" Simple arithmetic. Provide answer."#, channel: "analysis"),
                .assistant("2 + 2 = 4.", channel: "final"),
            ])
        XCTAssertTrue(r.stopTokens.contains(generated.last!))
        XCTAssertFalse(r.stopTokens.contains(200007))
    }

    func testParseRecipientBeforeOrAfterChannelAndConstrain() throws {
        let r = try renderer()
        let after = r.tokenizer.encode(
            "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json"
                + #"<|message|>{"location":"SF"}<|call|>"#, allowSpecial: true)
        let before = r.tokenizer.encode(
            "<|start|>assistant to=functions.get_weather<|channel|>commentary json"
                + #"<|message|>{"location":"SF"}<|call|>"#, allowSpecial: true)
        let expected = HarmonyMessage(
            role: "assistant", content: #"{"location":"SF"}"#, channel: "commentary",
            recipient: "functions.get_weather", contentType: "<|constrain|>json")
        XCTAssertEqual(try HarmonyStreamParser.parse(after, renderer: r, role: nil), [expected])
        var plain = expected
        plain.contentType = "json"
        XCTAssertEqual(try HarmonyStreamParser.parse(before, renderer: r, role: nil), [plain])
        // A rendered tool call parses back to the same message.
        var rendered: [Int32] = []
        r.render(expected, into: &rendered)
        XCTAssertEqual(try HarmonyStreamParser.parse(rendered, renderer: r, role: nil), [expected])
    }

    func testHeaderParsingFollowsHarmony() throws {
        let cases: [(String, HarmonyMessage)] = [
            ("assistant<|channel|>analysis", .assistant("", channel: "analysis")),
            (
                "assistant<|channel|>commentary to=functions.f <|constrain|>json",
                HarmonyMessage(
                    role: "assistant", content: "", channel: "commentary", recipient: "functions.f",
                    contentType: "<|constrain|>json")
            ),
            (
                "assistant to=functions.f<|channel|>commentary<|constrain|>json",
                HarmonyMessage(
                    role: "assistant", content: "", channel: "commentary", recipient: "functions.f",
                    contentType: "<|constrain|>json")
            ),
            (
                "assistant<|channel|>commentary functions.f",
                HarmonyMessage(role: "assistant", content: "", channel: "commentary", recipient: "functions.f")
            ),
            (
                "functions.get_weather to=assistant<|channel|>commentary",
                HarmonyMessage.toolResult("functions.get_weather", "")
            ),
            ("user:alice", HarmonyMessage(role: "user", content: "", name: "alice")),
        ]
        for (header, expected) in cases {
            XCTAssertEqual(try HarmonyStreamParser.parseHeader(header), expected, header)
        }
        for bad in ["", "<|channel|>final", "assistant<|channel|>", "assistant a b c", "to=x"] {
            XCTAssertThrowsError(try HarmonyStreamParser.parseHeader(bad), bad)
        }
    }

    func testStreamEventsAndErrors() throws {
        let r = try renderer()
        var parser = HarmonyStreamParser(renderer: r)
        var events: [HarmonyStreamEvent] = []
        for id in r.tokenizer.encode("<|channel|>final<|message|>Hi<|return|>", allowSpecial: true) {
            events.append(try parser.process(id))
        }
        XCTAssertEqual(events.first, HarmonyStreamEvent.none)
        XCTAssertTrue(events.contains(.messageStarted(.assistant("", channel: "final"))))
        XCTAssertEqual(events.last, .messageEnded(.assistant("Hi", channel: "final"), endsTurn: true))

        // `<|end|>` inside a header, a missing `<|start|>`, an empty header, and truncation are typed errors.
        XCTAssertThrowsError(
            try HarmonyStreamParser.parse(r.tokenizer.encode("<|channel|><|end|>", allowSpecial: true), renderer: r))
        XCTAssertThrowsError(
            try HarmonyStreamParser.parse(r.tokenizer.encode("<|end|>x", allowSpecial: true), renderer: r, role: nil)
        ) {
            XCTAssertEqual($0 as? HarmonyError, .unexpectedToken(id: 200007, expected: "<|start|>"))
        }
        XCTAssertThrowsError(
            try HarmonyStreamParser.parse(
                r.tokenizer.encode("<|start|><|message|>x<|end|>", allowSpecial: true),
                renderer: r, role: nil)
        ) {
            XCTAssertEqual($0 as? HarmonyError, .malformedHeader(""))
        }
        XCTAssertThrowsError(
            try HarmonyStreamParser.parse(
                r.tokenizer.encode("<|channel|>final<|message|>Hi", allowSpecial: true),
                renderer: r)
        ) {
            guard case .truncated = $0 as? HarmonyError else { return XCTFail("\($0)") }
        }
    }

    func testHistoryDropsAnalysisOfFinishedTurnsOnly() throws {
        let r = try renderer()
        var conversation = HarmonyConversation(messages: [
            .user("Q1"), .assistant("think 1", channel: "analysis"), .assistant("A1", channel: "final"),
            .user("Q2"), .assistant("think 2", channel: "analysis"),
            HarmonyMessage(
                role: "assistant", content: "{}", channel: "commentary", recipient: "functions.f",
                contentType: "<|constrain|>json"),
            .toolResult("functions.f", "42"),
        ])
        XCTAssertEqual(conversation.messagesForPrompt.map(\.content), ["Q1", "A1", "Q2", "think 2", "{}", "42"])
        let text = try r.tokenizer.decode(r.renderPrompt(conversation))
        XCTAssertFalse(text.contains("think 1"))
        XCTAssertTrue(text.contains("<|start|>assistant<|channel|>final<|message|>A1<|end|>"))
        XCTAssertTrue(text.contains("<|channel|>analysis<|message|>think 2<|end|>"))
        XCTAssertTrue(text.hasSuffix("<|message|>42<|end|><|start|>assistant"))
        conversation.messages.append(.assistant("A2", channel: "final"))
        XCTAssertEqual(conversation.messagesForPrompt.map(\.content), ["Q1", "A1", "Q2", "{}", "42", "A2"])
    }
}
