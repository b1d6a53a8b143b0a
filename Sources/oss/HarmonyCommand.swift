import ArgumentParser
import Foundation
import OSSCore
import OSSServer
import OSSTokenizer

/// `oss harmony render|parse`: the server's harmony mapping on its own (for checks against openai-harmony).
struct HarmonyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harmony", abstract: "Render chat requests to harmony tokens, or parse generated tokens.",
        subcommands: [Render.self, Parse.self])

    /// Reads a file, or standard input for "-".
    static func read(_ path: String) throws -> [UInt8] {
        let data =
            path == "-"
            ? FileHandle.standardInput.readDataToEndOfFile()
            : try Data(contentsOf: URL(fileURLWithPath: path))
        return [UInt8](data)
    }

    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the prompt token ids (a JSON array) of a /v1/chat/completions request body.")
        @Argument(help: "Request JSON file, or - for standard input.") var request = "-"

        func run() throws {
            let renderer = try HarmonyRenderer(tokenizer: try Tokenizer.o200kHarmony())
            do {
                let ids = try OSSServer.harmonyPrompt(requestBody: try HarmonyCommand.read(request), renderer: renderer)
                print(JSONValue.array(ids.map { .integer(Int($0)) }).serialized)
            } catch let error as APIError {
                FileHandle.standardError.write(Data("oss harmony render: \(error.message)\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    struct Parse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split generated assistant tokens (a JSON array of ids) into reasoning, content and tool calls.")
        @Argument(help: "JSON file with the token ids, or - for standard input.") var tokens = "-"

        func run() throws {
            let renderer = try HarmonyRenderer(tokenizer: try Tokenizer.o200kHarmony())
            let json = try JSONValue.parse(try HarmonyCommand.read(tokens))
            guard let ids = json.arrayValue?.compactMap(\.intValue) else {
                throw ValidationError("expected a JSON array of token ids")
            }
            var stream = HarmonyChatStream(renderer: renderer)
            for id in ids { _ = stream.process(Int32(id)) }
            _ = stream.finish()
            let calls: [JSONValue] = stream.toolCalls.map {
                .make(["name": .string($0.name), "arguments": .string($0.arguments)])
            }
            print(
                JSONValue.make([
                    "reasoning_content": .string(stream.reasoning), "content": .string(stream.content),
                    "tool_calls": .array(calls), "ended_with_call": .bool(stream.endedWithCall),
                ]).serialized)
        }
    }
}
