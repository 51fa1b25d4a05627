"""Built onnxruntime graphs kept between sessions: read back without building, built again when
the weights change or the kept graph is damaged, and never a reason for a read to fail."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

import hwr_core.ort_session as ort_session
from hwr_core.charset import CTCCodec
from hwr_core.engine_cache import ENV_VAR, CachedEngine, EngineCache
from hwr_core.modelfile import new_bundle
from hwr_core.ort_session import OrtSession

pytest.importorskip("onnxruntime")
X = np.random.default_rng(0).random((1, 1, 32, 96), dtype=np.float32)


@pytest.fixture
def exports(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the ONNX exports, i.e. the engines built rather than read from the cache."""
    calls: list[int] = []
    real = ort_session.export_onnx

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ort_session, "export_onnx", counted)
    return calls


def _bundle():  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    return new_bundle("tiny", CTCCodec())


def test_a_second_session_reads_the_kept_graph(tmp_path: Path, exports: list[int]) -> None:
    bundle, cache = _bundle(), EngineCache(tmp_path)
    first = OrtSession(bundle, int8=True, cache=cache)
    out = first.run(X)
    second = OrtSession(bundle, int8=True, cache=cache)
    np.testing.assert_array_equal(second.run(X), out)
    assert len(exports) == 1
    assert second.int8_layers == first.int8_layers is not None
    assert len(list(tmp_path.glob("*.onnx"))) == 1
    OrtSession(bundle, int8=False, cache=cache).run(X)  # the float graph is another entry
    assert len(exports) == 2


def test_changed_weights_are_built_again(tmp_path: Path, exports: list[int]) -> None:
    bundle, cache = _bundle(), EngineCache(tmp_path)
    out = OrtSession(bundle, int8=True, cache=cache).run(X)
    with torch.no_grad():
        next(bundle.model.parameters()).add_(0.5)
    changed = OrtSession(bundle, int8=True, cache=cache).run(X)
    assert len(exports) == 2
    assert not np.allclose(changed, out)
    assert len(list(tmp_path.glob("*.json"))) == 2


def test_a_damaged_graph_is_built_again(tmp_path: Path, exports: list[int]) -> None:
    bundle, cache = _bundle(), EngineCache(tmp_path)
    out = OrtSession(bundle, int8=True, cache=cache).run(X)
    (graph,) = tmp_path.glob("*.onnx")
    graph.write_bytes(graph.read_bytes()[:1000])  # a truncated copy
    np.testing.assert_array_equal(OrtSession(bundle, int8=True, cache=cache).run(X), out)
    assert len(exports) == 2
    key = graph.stem
    assert cache.get(key) is not None  # whole again
    np.testing.assert_array_equal(OrtSession(bundle, int8=True, cache=cache).run(X), out)
    assert len(exports) == 2


def test_a_folder_that_cannot_be_written_only_costs_the_build(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    session = OrtSession(_bundle(), int8=True, cache=EngineCache(blocker / "engines"))
    assert session.run(X).shape[0] == 1


def test_the_least_recently_used_entries_go_first(tmp_path: Path) -> None:
    cache = EngineCache(tmp_path, max_entries=2)
    for age, key in enumerate(("old", "used", "new")):
        cache.put(key, CachedEngine(key.encode(), None, None))
        os.utime(tmp_path / f"{key}.json", (1000 + age, 1000 + age))
    os.utime(tmp_path / "used.json", (2000, 2000))  # read lately
    cache.put("newest", CachedEngine(b"newest", None, None))
    assert sorted(p.stem for p in tmp_path.glob("*.onnx")) == ["newest", "used"]
    assert cache.get("used") == CachedEngine(b"used", None, None)


def test_the_folder_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, "off")
    assert EngineCache.default() is None
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert EngineCache.default() == EngineCache(tmp_path)
    monkeypatch.delenv(ENV_VAR)
    default = EngineCache.default()
    assert default is not None and default.folder.name == "engines"


def test_hwr_commands_keep_and_reuse_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exports: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    import cv2
    from testdata import word_image

    from hwr_core.cli import main
    from hwr_core.modelfile import save_model

    model = save_model(_bundle(), tmp_path / "m.safetensors")
    image = tmp_path / "word.png"
    cv2.imwrite(str(image), word_image("cat"))
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "engines"))
    outputs = []
    for _ in range(2):  # two commands, as two processes would run them
        assert main(["recognize", str(image), "--model", str(model)]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert len(exports) == 1
    assert len(list((tmp_path / "engines").glob("*.onnx"))) == 1


def test_a_kept_engine_is_read_without_importing_onnx(tmp_path: Path, exports: list[int]) -> None:
    """Importing onnx took 0.45 s of the app's first read, for its version string in the key: a
    new process that finds its engine kept reads without it, under the key an onnx import gives."""
    import subprocess
    import sys

    import onnx

    from hwr_core.engine_cache import _version
    from hwr_core.modelfile import load_model, save_model

    assert _version("onnx") == onnx.__version__  # the engines kept before keep their keys
    model = save_model(_bundle(), tmp_path / "m.safetensors")
    cache = EngineCache(tmp_path / "engines")
    kept = OrtSession(load_model(model), int8=True, cache=cache)
    kept.run(X)  # built and kept here
    assert len(exports) == 1 and kept.int8_layers
    script = (
        "import sys, numpy as np\n"
        "from pathlib import Path\n"
        "from hwr_core.engine_cache import EngineCache\n"
        "from hwr_core.modelfile import load_model\n"
        "from hwr_core.ort_session import OrtSession\n"
        f"session = OrtSession(load_model({str(model)!r}), int8=True, cache=EngineCache(Path({str(cache.folder)!r})))\n"
        "session.run(np.zeros((1, 1, 32, 96), np.float32))\n"
        "print(repr(session.int8_layers), 'onnx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"{kept.int8_layers!r} False"  # the kept graph read, onnx unimported
