"""`oss serve` driven by the official openai Python client."""
import json

import openai
import pytest
from openai import OpenAI


@pytest.fixture(scope="module")
def client(server):
    return OpenAI(base_url=server + "/v1", api_key="test-key", max_retries=0, timeout=120)


def test_models(client):
    models = client.models.list()
    assert [m.id for m in models.data] == ["tiny-o200k"]


def test_wrong_key_is_401(server):
    bad = OpenAI(base_url=server + "/v1", api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_chat_non_stream_and_stream_agree(client):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]
    reply = client.chat.completions.create(model="tiny-o200k", messages=messages, max_tokens=8, temperature=0,
                                           reasoning_effort="low")
    choice = reply.choices[0]
    assert choice.finish_reason == "length"
    assert reply.usage.completion_tokens == 8
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + 8
    stream = client.chat.completions.create(model="tiny-o200k", messages=messages, max_tokens=8, temperature=0,
                                            reasoning_effort="low", stream=True,
                                            stream_options={"include_usage": True})
    content, reasoning, finish, usage = "", "", None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for c in chunk.choices:
            content += c.delta.content or ""
            reasoning += getattr(c.delta, "reasoning_content", None) or ""
            finish = c.finish_reason or finish
    assert content == (choice.message.content or "")
    assert reasoning == (getattr(choice.message, "reasoning_content", None) or "")
    assert finish == "length"
    assert usage.completion_tokens == 8


def test_tool_call_round_trip(client):
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "Current weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    messages = [
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_9", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
        {"role": "tool", "tool_call_id": "call_9", "content": json.dumps({"sunny": False})},
    ]
    reply = client.chat.completions.create(model="tiny-o200k", messages=messages, tools=tools, max_tokens=5,
                                           temperature=0)
    assert reply.choices[0].finish_reason in ("length", "stop", "tool_calls")
    assert reply.usage.prompt_tokens > 60


def test_completions_and_seeded_sampling(client):
    a = client.completions.create(model="tiny-o200k", prompt="Once upon a time", max_tokens=6, temperature=0.9,
                                  top_p=0.9, seed=42)
    b = client.completions.create(model="tiny-o200k", prompt="Once upon a time", max_tokens=6, temperature=0.9,
                                  top_p=0.9, seed=42)
    assert a.choices[0].text == b.choices[0].text
    assert a.usage.completion_tokens == 6


def test_responses(client):
    r = client.responses.create(model="tiny-o200k", input="Hi", instructions="Be brief.", max_output_tokens=5,
                                reasoning={"effort": "low"})
    assert r.status == "incomplete"
    assert r.usage.output_tokens == 5
    assert r.output


def test_bad_request_is_400(client):
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="tiny-o200k", messages=[], max_tokens=3)
    assert error.value.status_code == 400
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])


def test_responses_stream(client):
    stream = client.responses.create(model="tiny-o200k", input="Hi", max_output_tokens=5, stream=True,
                                     reasoning={"effort": "low"})
    types = [event.type for event in stream]
    assert types[0] == "response.created"
    assert types[-1] == "response.incomplete"
