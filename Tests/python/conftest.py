"""Shared fixtures: the `oss` binary, the tiny-o200k model, a running `oss serve`, offline openai-harmony."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
OSS = os.environ.get("OSS_BIN", str(ROOT / ".build" / "release" / "oss"))


@pytest.fixture(scope="session")
def oss():
    assert os.access(OSS, os.X_OK), f"{OSS} is missing: build with `swift build -c release` first"
    return OSS


@pytest.fixture(scope="session")
def harmony_encoding():
    """openai-harmony's gpt-oss encoding, reading the bundled o200k_base.tiktoken (no network)."""
    folder = tempfile.mkdtemp(prefix="oss-tiktoken-")
    shutil.copy(ROOT / "Sources" / "OSSTokenizer" / "Resources" / "o200k_base.tiktoken", folder)
    os.environ["TIKTOKEN_ENCODINGS_BASE"] = folder
    from openai_harmony import HarmonyEncodingName, load_harmony_encoding
    yield load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def model_dir(oss):
    folder = tempfile.mkdtemp(prefix="oss-tiny-o200k-")
    subprocess.run([oss, "synth", "--preset", "tiny-o200k", "--out", folder], check=True, capture_output=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def server(oss, model_dir):
    """`oss serve` on a free loopback port; yields its base URL."""
    proc = subprocess.Popen(
        [oss, "serve", "--model", model_dir, "--port", "0", "--threads", "2", "--parallel", "4",
         "--ctx-size", "1024", "--alias", "tiny-o200k", "--api-key", "test-key"],
        stderr=subprocess.PIPE, text=True)
    url = None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            url = m.group(1)
            break
    assert url, "server did not start:\n" + "".join(lines)
    # keep reading the log so a full pipe never blocks the server
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
