"""A training process killed with SIGKILL mid-epoch resumes from its last checkpoint and finishes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from testdata import write_word_set

from hwr_core.modelfile import load_checkpoint, load_model

REPO = Path(__file__).resolve().parents[2]


def _train_cmd(tsv: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "hwr_core.cli", "train", "--data", str(tsv), "--out", str(out), "--variant", "tiny",
        "--epochs", "2", "--batch-size", "4", "--checkpoint-every", "2", "--no-augment", "--quiet", "--device", "cpu",
        "--schedule", "onecycle", *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume(tmp_path):
    tsv = write_word_set(tmp_path / "data", n=96)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(_train_cmd(tsv, out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ckpt = out / "last.ckpt.safetensors"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait for a mid-epoch checkpoint beyond the first
        if ckpt.exists():
            try:
                _, state = load_checkpoint(ckpt)
                if state.progress["step"] >= 4 and state.progress["epoch"] == 0:
                    break
            except Exception:  # noqa: BLE001 - the file is replaced atomically; a read may race a rename
                pass
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("no mid-epoch checkpoint within 120 s")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    _, killed_state = load_checkpoint(ckpt)  # the checkpoint survived the kill intact
    step_at_kill = killed_state.progress["step"]

    resumed = subprocess.run(
        _train_cmd(tsv, out, "--resume"), env=env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    log = (out / "train.log").read_text()
    assert f"resumed from {ckpt}" in log
    load_model(out / "model.safetensors")
    _, final = load_checkpoint(ckpt)
    assert final.progress["epoch"] == 2
    # 72 train rows / batch 4 = 18 steps per epoch: the resumed run did exactly the remaining ones.
    assert final.progress["step"] == 36 and step_at_kill < 36
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [0, 1]
