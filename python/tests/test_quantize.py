"""`oss quantize` files read by llama.cpp's own Python reader (the `gguf` package): every tensor of every target type
dequantizes there to exactly the values SwiftOSS's decoders give (both backends), and stays near the F32 source."""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFReader, GGMLQuantizationType, quants

import swiftoss

REPO = Path(__file__).resolve().parents[2]
CLI = os.environ.get("SWIFTOSS_CLI", str(REPO / ".build" / "release" / "oss"))
TYPES = ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q4_k", "q5_k", "q6_k", "q4_k_m", "q5_k_m"]
# relative RMS error of a matrix against its F32 source, per stored type: a uniform grid of n steps over uniform values
# errs ~1/n of the RMS (4 bits: 1/15), the scale searches a little less; 2× margin
RELATIVE_RMSE = {"Q4_0": 0.14, "Q4_1": 0.14, "Q4_K": 0.14, "Q5_0": 0.07, "Q5_1": 0.07, "Q5_K": 0.07, "Q6_K": 0.035,
                 "Q8_0": 0.01}


@pytest.fixture(scope="module")
def small_f32(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("quantize") / "llama-small-f32.gguf"
    subprocess.run([CLI, "synth", "--preset", "llama-small", "--format", "gguf", "--dtype", "f32", "--out", str(out)],
                   check=True, stderr=subprocess.DEVNULL)
    return out


@pytest.mark.parametrize("qtype", TYPES)
def test_quantized_file_dequantizes_the_same_in_gguf_py(small_f32: Path, qtype: str, tmp_path: Path) -> None:
    out = tmp_path / f"{qtype}.gguf"
    subprocess.run([CLI, "quantize", str(small_f32), str(out), "--type", qtype, "--threads", "2"], check=True,
                   stderr=subprocess.DEVNULL)
    source = {t.name: t for t in GGUFReader(small_f32).tensors}
    reader = GGUFReader(out)
    assert int(reader.fields["general.quantization_version"].parts[-1][0]) == 2
    backends = [swiftoss.Backend(name, threads=2) for name in ("swift", "blas")]
    quantized = 0
    for t in reader.tensors:
        src = quants.dequantize(source[t.name].data, source[t.name].tensor_type).astype(np.float64)
        if t.tensor_type == GGMLQuantizationType.F32:
            assert np.array_equal(np.asarray(t.data), np.asarray(source[t.name].data)), t.name
            continue
        quantized += 1
        theirs = quants.dequantize(t.data, t.tensor_type)
        rows, cols = theirs.shape
        weight = swiftoss.Weight(np.ascontiguousarray(t.data), t.tensor_type.name.lower())
        for b in backends:
            ours = b.embedding(weight, list(range(rows)))
            assert np.array_equal(ours, theirs), f"{qtype}: {t.name} decodes differently on {b.name}"
        err = np.sqrt(np.mean((theirs - src) ** 2) / np.mean(src ** 2))
        assert err < RELATIVE_RMSE[t.tensor_type.name], f"{qtype}: {t.name} ({t.tensor_type.name}) error {err}"
    assert quantized == 8 * 7 + 2  # seven matrices per layer, the embedding and the output
    for b in backends:
        b.close()
