"""`oss serve` of a Llama-family GGUF (qwen-tiny: ChatML) driven by the official openai Python client."""
import openai
import pytest
from openai import OpenAI


@pytest.fixture(scope="module")
def client(llama_server):
    return OpenAI(base_url=llama_server + "/v1", api_key="unused", max_retries=0, timeout=120)


def test_models(client):
    assert [m.id for m in client.models.list().data] == ["qwen-tiny"]


def test_chat_non_stream_and_stream_agree(client):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]
    reply = client.chat.completions.create(model="qwen-tiny", messages=messages, max_tokens=8, temperature=0)
    choice = reply.choices[0]
    assert choice.finish_reason in ("length", "stop")
    assert getattr(choice.message, "reasoning_content", None) is None
    assert choice.message.tool_calls is None
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    assert (reply.usage.completion_tokens == 8) == (choice.finish_reason == "length")
    stream = client.chat.completions.create(model="qwen-tiny", messages=messages, max_tokens=8, temperature=0,
                                            stream=True, stream_options={"include_usage": True})
    content, finish, usage = "", None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for c in chunk.choices:
            content += c.delta.content or ""
            finish = c.finish_reason or finish
    assert content == (choice.message.content or "")
    assert finish == choice.finish_reason
    assert usage.completion_tokens == reply.usage.completion_tokens


def test_completions_and_seeded_sampling(client):
    a = client.completions.create(model="qwen-tiny", prompt="Once upon a time", max_tokens=6, temperature=0.9, seed=7)
    b = client.completions.create(model="qwen-tiny", prompt="Once upon a time", max_tokens=6, temperature=0.9, seed=7)
    assert a.choices[0].text == b.choices[0].text
    assert a.usage.completion_tokens <= 6


def test_harmony_only_features_are_400(client):
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
    with pytest.raises(openai.BadRequestError, match="harmony"):
        client.chat.completions.create(model="qwen-tiny", messages=[{"role": "user", "content": "x"}], tools=tools)
    with pytest.raises(openai.BadRequestError, match="harmony"):
        client.responses.create(model="qwen-tiny", input="x")
    # tool_choice "none" leaves the tools out: served
    reply = client.chat.completions.create(model="qwen-tiny", messages=[{"role": "user", "content": "x"}],
                                           tools=tools, tool_choice="none", max_tokens=2, temperature=0)
    assert reply.usage.completion_tokens <= 2


def test_shared_model_options(start_server, llama_model):
    """`oss serve` takes the model options of the other commands: re-quantised at load, read into anonymous memory."""
    url, log = start_server(llama_model, "qwen-q8", ["--requant", "q8_0", "--no-mmap", "--no-hugepages"])
    assert "serving qwen-q8 (qwen2, q8_0," in log, log
    client = OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=120)
    reply = client.chat.completions.create(model="qwen-q8", messages=[{"role": "user", "content": "Hi"}],
                                           max_tokens=3, temperature=0)
    assert reply.usage.completion_tokens <= 3
