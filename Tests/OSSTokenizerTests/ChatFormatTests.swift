import XCTest

@testable import OSSTokenizer

/// Chat formats: llama.cpp's template detection (gguf.md §6) and exact rendering of one conversation per format
/// (expected strings written out by hand from llama.cpp's `llm_chat_apply_template` rules).
final class ChatFormatTests: XCTestCase {
    /// The conversation of llama.cpp's test-chat-template: system, user, assistant, user, padded assistant, user.
    static let conversation: [ChatMessage] = [
        .system("You are a helpful assistant"), .user("Hello"), .assistant("Hi there"), .user("Who are you"),
        .assistant("   I am an assistant   "), .user("Another question"),
    ]

    func testRenderingIsExact() {
        let expected: [ChatFormat: String] = [
            .chatml: "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
                + "<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n"
                + "<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n"
                + "<|im_start|>assistant\n",
            .llama2: "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]"
                + "   I am an assistant   </s>[INST] Another question [/INST]",
            .llama2Sys: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>"
                + "[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]",
            .llama2SysBOS: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>"
                + "<s>[INST] Who are you [/INST]   I am an assistant   </s><s>[INST] Another question [/INST]",
            .llama2SysStrip: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>"
                + "[INST] Who are you [/INST]I am an assistant</s>[INST] Another question [/INST]",
            .llama3: "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            .mistralV1: " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]"
                + "    I am an assistant   </s> [INST] Another question [/INST]",
            .mistralV3: "[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST]"
                + " I am an assistant</s>[INST] Another question[/INST]",
            .mistralV3Tekken: "[INST]You are a helpful assistant\n\nHello[/INST]Hi there</s>[INST]Who are you[/INST]"
                + "   I am an assistant   </s>[INST]Another question[/INST]",
            .mistralV7: "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>"
                + "[INST] Who are you[/INST]    I am an assistant   </s>[INST] Another question[/INST]",
            .harmony: "<|start|>system<|message|>You are a helpful assistant<|end|><|start|>user<|message|>Hello<|end|>"
                + "<|start|>assistant<|message|>Hi there<|return|><|start|>user<|message|>Who are you<|end|>"
                + "<|start|>assistant<|message|>   I am an assistant   <|return|>"
                + "<|start|>user<|message|>Another question<|end|><|start|>assistant",
        ]
        for format in ChatFormat.allCases {
            XCTAssertEqual(format.render(Self.conversation), expected[format], "\(format.rawValue)")
        }
    }

    /// gguf.md §6's short conversation (S, U, A, U2) for the formats it spells out.
    func testGGUFDocumentExamples() {
        let chat: [ChatMessage] = [.system("S"), .user("U"), .assistant("A"), .user("U2")]
        XCTAssertEqual(
            ChatFormat.chatml.render(chat),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n"
                + "<|im_start|>user\nU2<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(
            ChatFormat.llama2Sys.render(chat), "[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST]A</s>[INST] U2 [/INST]")
        XCTAssertEqual(
            ChatFormat.chatml.render([.user("U")], addAssistantPrompt: false), "<|im_start|>user\nU<|im_end|>\n")
    }

    func testDetectionFollowsLlamaCppOrder() throws {
        let cases: [(String, ChatFormat)] = [
            ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>{% endfor %}", .chatml),
            ("{{ bos_token }}{% if m.role == 'user' %}[INST] {{ m.content }} [/INST]{% endif %}", .llama2),
            ("[INST] <<SYS>>\n{{ system }}\n<</SYS>>\n\n", .llama2Sys),
            ("{{ bos_token + '[INST] ' + content }} <<SYS>>", .llama2SysBOS),
            ("[INST] {{ content.strip() }} <<SYS>>", .llama2SysStrip),
            ("{{ '[SYSTEM_PROMPT]' + system }}[INST]", .mistralV7),
            ("{{ ' [INST] ' + system_message }}", .mistralV1),
            ("[AVAILABLE_TOOLS] {{ '[INST]' }}", .mistralV3),
            ("[AVAILABLE_TOOLS] {{ \"[INST]\" }}", .mistralV3Tekken),
            ("mistral", .llama2),
            ("{{ '<|start_header_id|>' + role + '<|end_header_id|>\n\n' }}", .llama3),
            ("{{ '<|start|>assistant<|channel|>final<|message|>' }}", .harmony),
            ("llama3", .llama3), ("gpt-oss", .harmony), ("chatml", .chatml),
        ]
        for (template, format) in cases {
            XCTAssertEqual(try ChatFormat.detect(template: template), format, template)
        }
    }

    func testUnknownTemplatesAndNamesAreClearErrors() {
        XCTAssertThrowsError(try ChatFormat.detect(template: "{{ '### Human: ' + content }}")) { error in
            guard case ChatFormatError.unrecognizedTemplate(let excerpt, let known) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(excerpt.contains("### Human"))
            XCTAssertTrue(known.contains("chatml") && known.contains("llama3") && known.contains("gpt-oss"))
        }
        XCTAssertThrowsError(try ChatFormat.detect(template: "<|im_start|><|im_sep|>")) { error in
            XCTAssertEqual(error as? ChatFormatError, .unsupportedTemplate(family: "phi4", known: ChatFormat.names))
        }
        // TinyLlama's zephyr-style template: llama.cpp takes it for falcon3 (</s>), not for a later format.
        XCTAssertThrowsError(
            try ChatFormat.detect(
                template: "<|user|>\n{{ m }}</s>\n<|assistant|>\n<|start_header_id|><|end_header_id|>")
        ) { error in
            XCTAssertEqual(
                error as? ChatFormatError, .unsupportedTemplate(family: "falcon3/glmedge", known: ChatFormat.names))
        }
        XCTAssertThrowsError(try ChatFormat(name: "vicuna")) { error in
            XCTAssertTrue("\(error)".contains("unknown chat format 'vicuna'"))
        }
        XCTAssertEqual(try ChatFormat(name: "harmony"), .harmony)
    }

    /// The harmony format renders through HarmonyRenderer: system messages become developer instructions.
    func testHarmonyRendererMapsSystemToInstructions() throws {
        let t = try TokenizerFixture.o200k()
        let r = try ChatRenderer(format: .harmony, tokenizer: t, harmonySystem: HarmonySystemContent(reasoning: .low))
        let ids = r.prompt([.system("Answer like a robot."), .user("Hi")])
        let conversation = HarmonyConversation(
            system: HarmonySystemContent(reasoning: .low),
            instructions: "Answer like a robot.", messages: [.user("Hi")])
        XCTAssertEqual(ids, try HarmonyRenderer(tokenizer: t).renderPrompt(conversation))
        XCTAssertEqual(r.stopTokens, [200_002, 200_012])
        XCTAssertThrowsError(try ChatRenderer(format: .llama3, tokenizer: t)) { error in
            XCTAssertEqual(error as? ChatFormatError, .missingToken(format: "llama3", token: "<|start_header_id|>"))
        }
    }

    /// o200k_harmony's end-of-generation set: `<|return|>`, `<|call|>`, `<|endoftext|>`, not `<|end|>`.
    func testO200kEndOfGeneration() throws {
        XCTAssertEqual(try TokenizerFixture.o200k().endOfGeneration, [200_002, 200_012, 199_999])
    }
}
