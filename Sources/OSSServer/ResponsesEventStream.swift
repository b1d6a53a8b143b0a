import Foundation
import OSSCore
import OSSTokenizer

/// The event stream of a streamed `/v1/responses` request: `response.created`, then per output item
/// `response.output_item.added`, its deltas (`response.reasoning_text.delta`, `response.output_text.delta`,
/// `response.function_call_arguments.delta`), their `….done` events and `response.output_item.done`, and finally
/// `response.completed` (or `response.incomplete`) with the whole response, as OpenAI's Responses API streams them.
struct ResponsesEventStream {
    enum Kind { case reasoning, message, functionCall }
    /// The item being streamed.
    struct Item {
        var kind: Kind
        var id: String
        var text = ""
        var name = ""
        var callID = ""
    }

    let response: JSONValue
    private(set) var items: [JSONValue] = []
    private var current: Item?
    private var sequence = 0

    init(response: JSONValue) { self.response = response }

    /// `response.created` and `response.in_progress`.
    mutating func start() -> [JSONValue] {
        [event("response.created", ["response": response]), event("response.in_progress", ["response": response])]
    }

    /// The events of one harmony delta.
    mutating func apply(_ delta: HarmonyChatDelta, callID: String?) -> [JSONValue] {
        var out: [JSONValue] = []
        switch delta {
        case .reasoning(let text):
            if current?.kind != .reasoning {
                out += close()
                out += open(Item(kind: .reasoning, id: OSSServer.newID("rs_")))
            }
            current?.text += text
            out.append(
                event(
                    "response.reasoning_text.delta",
                    itemFields(["content_index": .integer(0), "delta": .string(text)])))
        case .content(let text):
            if current?.kind != .message {
                out += close()
                out += open(Item(kind: .message, id: OSSServer.newID("msg_")))
            }
            current?.text += text
            out.append(
                event(
                    "response.output_text.delta",
                    itemFields([
                        "content_index": .integer(0), "delta": .string(text),
                        "logprobs": .array([]),
                    ])))
        case .toolCallStarted(_, let name):
            out += close()
            out += open(Item(kind: .functionCall, id: OSSServer.newID("fc_"), name: name, callID: callID ?? ""))
        case .toolCallArguments(_, let text):
            current?.text += text
            out.append(event("response.function_call_arguments.delta", itemFields(["delta": .string(text)])))
        }
        return out
    }

    /// Closes the open item and emits the final event with the whole response (`output` filled in).
    mutating func finish(_ final: (_ output: [JSONValue]) -> (type: String, response: JSONValue)) -> [JSONValue] {
        var out = close()
        let (type, response) = final(items)
        out.append(event(type, ["response": response]))
        return out
    }

    // MARK: items

    private var outputIndex: Int { items.count }

    private func itemFields(_ extra: KeyValuePairs<String, JSONValue>) -> [String: JSONValue] {
        var d: [String: JSONValue] = ["item_id": .string(current?.id ?? ""), "output_index": .integer(outputIndex)]
        for (k, v) in extra { d[k] = v }
        return d
    }

    private mutating func open(_ item: Item) -> [JSONValue] {
        current = item
        var out = [
            event(
                "response.output_item.added",
                [
                    "output_index": .integer(outputIndex),
                    "item": Self.json(item, done: false),
                ])
        ]
        if item.kind == .message {
            out.append(
                event(
                    "response.content_part.added",
                    itemFields([
                        "content_index": .integer(0), "part": Self.textPart(""),
                    ])))
        }
        return out
    }

    private mutating func close() -> [JSONValue] {
        guard let item = current else { return [] }
        var out: [JSONValue] = []
        switch item.kind {
        case .reasoning:
            out.append(
                event(
                    "response.reasoning_text.done",
                    itemFields(["content_index": .integer(0), "text": .string(item.text)])))
        case .message:
            out.append(
                event(
                    "response.output_text.done",
                    itemFields(["content_index": .integer(0), "text": .string(item.text)])))
            out.append(
                event(
                    "response.content_part.done",
                    itemFields([
                        "content_index": .integer(0),
                        "part": Self.textPart(item.text),
                    ])))
        case .functionCall:
            out.append(event("response.function_call_arguments.done", itemFields(["arguments": .string(item.text)])))
        }
        let done = Self.json(item, done: true)
        out.append(event("response.output_item.done", ["output_index": .integer(outputIndex), "item": done]))
        items.append(done)
        current = nil
        return out
    }

    static func textPart(_ text: String) -> JSONValue {
        .make(["type": .string("output_text"), "text": .string(text), "annotations": .array([])])
    }

    /// An output item as the non-streamed response lists it.
    static func json(_ item: Item, done: Bool) -> JSONValue {
        let status = JSONValue.string(done ? "completed" : "in_progress")
        switch item.kind {
        case .reasoning:
            return .make([
                "type": .string("reasoning"), "id": .string(item.id), "summary": .array([]),
                "content": .array(
                    done
                        ? [
                            .make([
                                "type": .string("reasoning_text"),
                                "text": .string(item.text),
                            ])
                        ] : []),
            ])
        case .message:
            return .make([
                "type": .string("message"), "id": .string(item.id), "role": .string("assistant"),
                "status": status, "content": .array(done ? [textPart(item.text)] : []),
            ])
        case .functionCall:
            return .make([
                "type": .string("function_call"), "id": .string(item.id), "call_id": .string(item.callID),
                "name": .string(item.name), "arguments": .string(done ? item.text : ""), "status": status,
            ])
        }
    }

    private mutating func event(_ type: String, _ fields: [String: JSONValue]) -> JSONValue {
        var members = [
            JSONMember(key: "type", value: .string(type)),
            JSONMember(key: "sequence_number", value: .integer(sequence)),
        ]
        for key in fields.keys.sorted() { members.append(JSONMember(key: key, value: fields[key]!)) }
        sequence += 1
        return .object(members)
    }
}
