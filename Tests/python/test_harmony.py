"""The server's harmony rendering and parsing against the official openai-harmony package, token for token."""
import json

import pytest
from openai_harmony import (Author, Conversation, DeveloperContent, Message, ReasoningEffort, Role, SystemContent,
                            ToolDescription)

from oss_cli import oss_json

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Gets the current weather.\nUse it for any city.",
        "parameters": {
            "type": "object",
            "description": "Where and how",
            "properties": {
                "location": {"type": "string", "description": "City and country", "examples": ["Paris, France"]},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
                "days": {"type": "integer", "description": "Forecast days", "default": 1},
                "details": {"type": "object", "properties": {"wind": {"type": "boolean"},
                                                             "hours": {"type": "array", "items": {"type": "number"}}},
                            "required": ["wind"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "when": {"type": ["string", "null"], "title": "When"},
                "mode": {"description": "Mode", "oneOf": [{"type": "string", "description": "Mode"},
                                                          {"type": "number", "default": 2, "nullable": True}]},
                "extra": {"type": "string", "nullable": True},
            },
            "required": ["location"],
        },
    },
}
NOARGS = {"type": "function", "function": {"name": "get_location", "description": "Gets the user's location."}}

CASES = [
    {"messages": [{"role": "user", "content": "What is 2 + 2?"}]},
    {"messages": [{"role": "system", "content": "Answer like a robot."},
                  {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]}],
     "reasoning_effort": "low"},
    {"messages": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Weather?"}],
     "tools": [WEATHER, NOARGS], "reasoning_effort": "high"},
    {"messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "reasoning_content": "Need the tool.", "content": None,
         "tool_calls": [{"id": "call_1", "type": "function",
                         "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris, France\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"temperature\": 20}"},
        {"role": "assistant", "reasoning_content": "Answer now.", "content": "It is 20 degrees."},
        {"role": "user", "content": "And tomorrow?"}],
     "tools": [WEATHER]},
]


def harmony_conversation(request):
    """The same request mapped with openai-harmony's own types."""
    effort = {"low": ReasoningEffort.LOW, "medium": ReasoningEffort.MEDIUM,
              "high": ReasoningEffort.HIGH}[request.get("reasoning_effort", "medium")]
    messages = [Message.from_role_and_content(Role.SYSTEM, SystemContent.new().with_reasoning_effort(effort))]
    instructions = []
    rest = []
    names = {}
    for m in request["messages"]:
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(part["text"] for part in content)
        if m["role"] in ("system", "developer"):
            instructions.append(content)
        elif m["role"] == "user":
            rest.append(Message.from_role_and_content(Role.USER, content))
        elif m["role"] == "assistant":
            if m.get("reasoning_content"):
                rest.append(Message.from_role_and_content(Role.ASSISTANT, m["reasoning_content"]).with_channel("analysis"))
            calls = m.get("tool_calls") or []
            if content:
                rest.append(Message.from_role_and_content(Role.ASSISTANT, content)
                            .with_channel("commentary" if calls else "final"))
            for call in calls:
                names[call["id"]] = call["function"]["name"]
                rest.append(Message.from_role_and_content(Role.ASSISTANT, call["function"]["arguments"])
                            .with_channel("commentary").with_recipient("functions." + call["function"]["name"])
                            .with_content_type("<|constrain|>json"))
        elif m["role"] == "tool":
            name = "functions." + names[m["tool_call_id"]]
            rest.append(Message.from_author_and_content(Author.new(Role.TOOL, name), m["content"])
                        .with_channel("commentary").with_recipient("assistant"))
    tools = [ToolDescription.new(t["function"]["name"], t["function"].get("description", ""),
                                 parameters=t["function"].get("parameters")) for t in request.get("tools", [])]
    if instructions or tools:
        developer = DeveloperContent.new()
        if instructions:
            developer = developer.with_instructions("\n\n".join(instructions))
        if tools:
            developer = developer.with_function_tools(tools)
        messages.append(Message.from_role_and_content(Role.DEVELOPER, developer))
    return Conversation.from_messages(messages + rest)


@pytest.mark.parametrize("index", range(len(CASES)))
def test_render_matches_openai_harmony(oss, harmony_encoding, index):
    request = CASES[index]
    expected = harmony_encoding.render_conversation_for_completion(harmony_conversation(request), Role.ASSISTANT)
    got = oss_json(oss, ["harmony", "render"], request)
    assert got == list(expected), (harmony_encoding.decode(got), harmony_encoding.decode(expected))


COMPLETIONS = [
    "<|channel|>analysis<|message|>The user asks 2+2. Simple.<|end|><|start|>assistant<|channel|>final<|message|>"
    "2 + 2 = 4.<|return|>",
    "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary "
    "to=functions.get_weather <|constrain|>json<|message|>{\"location\":\"Paris\"}<|call|>",
    "<|channel|>commentary<|message|>Let me check.<|end|><|start|>assistant to=functions.get_location"
    "<|channel|>commentary<|message|>{}<|call|>",
    "<|channel|>final<|message|>Plain answer with ünïcödé 🙂<|return|>",
]


@pytest.mark.parametrize("index", range(len(COMPLETIONS)))
def test_parse_matches_openai_harmony(oss, harmony_encoding, index):
    tokens = harmony_encoding.encode(COMPLETIONS[index], allowed_special="all")
    messages = harmony_encoding.parse_messages_from_completion_tokens(tokens, Role.ASSISTANT)
    reasoning, content, calls = "", "", []
    for m in messages:
        text = "".join(c.text for c in m.content)
        if m.recipient and m.recipient.startswith("functions."):
            calls.append({"name": m.recipient[len("functions."):], "arguments": text})
        elif m.channel == "analysis":
            reasoning += text
        else:
            content += text
    got = oss_json(oss, ["harmony", "parse"], list(tokens))
    assert got["reasoning_content"] == reasoning
    assert got["content"] == content
    assert got["tool_calls"] == calls
    assert got["ended_with_call"] == (tokens[-1] == harmony_encoding.encode("<|call|>", allowed_special="all")[0])
