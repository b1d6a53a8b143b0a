"""Fixtures: the §6 tiny gpt-oss model written by the `oss` CLI into a temporary directory."""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    cli = os.environ.get("SWIFTOSS_CLI", str(REPO / ".build" / "release" / "oss"))
    out = tmp_path_factory.mktemp("tiny")
    subprocess.run([cli, "synth", "--preset", "tiny", "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return str(out)


# gpt-oss.md §6: input tokens (37t + 11) mod 1024 and the golden outputs per position.
TINY_TOKENS = [(37 * t + 11) % 1024 for t in range(12)]
GOLDEN_ARGMAX = [793, 836, 177, 330, 409, 35, 780, 197, 562, 139, 367, 899]
GOLDEN_MAX = [7.8774, 6.6111, 7.2392, 6.3994, 7.4764, 7.3034, 9.1297, 7.9859, 8.6978, 9.7270, 7.4991, 7.4214]
