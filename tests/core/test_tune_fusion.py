"""training/tune_fusion.py: decoding cached network outputs reads what the app reads."""

import json
import subprocess
import sys
from pathlib import Path

from testdata import write_word_set

from hwr_core.modelfile import load_model
from hwr_core.resources import default_model_path

REPO = Path(__file__).resolve().parents[2]


def run(*args: object) -> str:
    done = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_cached_outputs_decode_to_the_apps_readings(tmp_path: Path) -> None:
    data, no_fonts = tmp_path / "data", tmp_path / "no-fonts"
    write_word_set(data / "kaggle_names", n=40, val_every=2, seed=3)
    shipped = load_model(default_model_path()).decode
    setting = f"{shipped.lm_weight:g},{shipped.lm_char_bonus:g},{shipped.lexicon_weight:g}"

    run(
        REPO / "benchmarks" / "accuracy.py",
        "--data",
        data,
        "--fonts",
        no_fonts,
        "--readings",
        tmp_path / "app.jsonl",
    )
    cache = tmp_path / "outputs.npz"
    out = run(REPO / "training" / "tune_fusion.py", "cache", cache, "--data", data, "--fonts", no_fonts)
    assert "kaggle_names: 20" in out and "cinnamon_vi: absent" in out
    tuned = tmp_path / "readings"
    for half in ("all", "even", "odd"):
        out = run(
            REPO / "training" / "tune_fusion.py",
            "grid",
            cache,
            setting,
            "--half",
            half,
            "--readings",
            tuned / half,
        )
        assert "measure" in out and "kaggle_names" in out

    def readings(path: Path) -> list[dict[str, str]]:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    app = readings(tmp_path / "app.jsonl")
    assert len(app) == 20 and any(r["hyp"] for r in app)
    assert readings(tuned / "all" / f"{setting}.jsonl") == app
    # The halves are the even- and odd-numbered samples, together all of them.
    assert readings(tuned / "even" / f"{setting}.jsonl") == app[0::2]
    assert readings(tuned / "odd" / f"{setting}.jsonl") == app[1::2]
