"""training/compare_candidates.py: session 19's shipping rule on two models' readings."""

import json
import random
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "training" / "compare_candidates.py"
SETS = (
    "cinnamon_vi",
    "vnondb_line",
    "vnondb_word",
    "kaggle_names",
    "iam_lines",
    "synthetic_en_heldout_fonts",
)


def readings(path: Path, miss_every: dict[str, int], sets: tuple[str, ...] = SETS) -> Path:
    """Every set's 200 references, read right except the last letter of every k-th sample."""
    rng = random.Random(1)
    with path.open("w", encoding="utf-8") as f:
        for name in sets:
            for i in range(200):
                ref = "".join(rng.choice("abcdeghiklmnoptư") for _ in range(8))
                k = miss_every.get(name, 0)
                hyp = ref[:-1] if k and i % k == 0 else ref
                f.write(json.dumps({"set": name, "ref": ref, "hyp": hyp}, ensure_ascii=False) + "\n")
    return path


def compare(base: Path, cand: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(base), str(cand), "--resamples", "500", *options],
        capture_output=True,
        text=True,
    )


def test_better_everywhere_ships(tmp_path: Path) -> None:
    base = readings(tmp_path / "base.jsonl", dict.fromkeys(SETS, 5))
    run = compare(base, readings(tmp_path / "cand.jsonl", {}))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SHIPS" in run.stdout and "veto" not in run.stdout


def test_a_small_set_worse_beyond_chance_vetoes_gains_elsewhere(tmp_path: Path) -> None:
    base = readings(tmp_path / "base.jsonl", dict.fromkeys(SETS, 5))
    cand = readings(tmp_path / "cand.jsonl", {"kaggle_names": 2})
    run = compare(base, cand)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "veto: kaggle_names: CER worse beyond chance" in run.stdout
    assert "veto: kaggle_names: fewer read right beyond chance" in run.stdout
    assert "does NOT ship" in run.stdout


def test_a_loss_within_chance_does_not_veto_but_one_over_a_point_does(tmp_path: Path) -> None:
    # One more miss in 200 samples: 1/1600 of the characters, within chance.
    base = readings(tmp_path / "base.jsonl", dict.fromkeys(SETS, 5) | {"iam_lines": 0})
    cand = readings(tmp_path / "cand.jsonl", {"iam_lines": 200})
    run = compare(base, cand)
    assert run.returncode == 0, run.stdout + run.stderr
    # Misses on 10 % of IAM's samples: 1.25 points of CER, over the 1-point limit.
    run = compare(base, readings(tmp_path / "cand2.jsonl", {"iam_lines": 10}))
    assert run.returncode == 1 and "iam_lines: CER worse by more than 1%" in run.stdout


def test_a_left_out_set_neither_vetoes_nor_counts_in_the_mean(tmp_path: Path) -> None:
    base = readings(tmp_path / "base.jsonl", dict.fromkeys(SETS, 5) | {"synthetic_en_heldout_fonts": 0})
    cand = readings(tmp_path / "cand.jsonl", {"synthetic_en_heldout_fonts": 2})  # 6 points worse
    assert compare(base, cand).returncode == 1
    run = compare(base, cand, "--leave-out", "synthetic_en_heldout_fonts")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "over the 4 target sets (left out: synthetic_en_heldout_fonts): -2.500 points" in run.stdout


def test_missing_target_set_or_different_samples_cannot_be_compared(tmp_path: Path) -> None:
    base = readings(tmp_path / "base.jsonl", {})
    run = compare(base, readings(tmp_path / "cand.jsonl", {}, SETS[1:]))
    assert run.returncode == 2 and "cinnamon_vi" in run.stderr
    other = tmp_path / "other.jsonl"
    other.write_text(base.read_text(encoding="utf-8").replace('"ref": "a', '"ref": "b'), encoding="utf-8")
    run = compare(base, other)
    assert run.returncode == 2 and "different samples" in run.stderr


def test_untokenize_scores_a_set_against_its_transcriptions_as_people_write_them(tmp_path: Path) -> None:
    """IAM's transcriptions space their punctuation ("abcdefgh ."): a base that reads them so is right
    against them, and one character off against the untokenized transcriptions ("abcdefgh.");
    a candidate that reads "abcdefgh." the other way round."""
    base = readings(tmp_path / "base.jsonl", {})
    lines = []
    for line in base.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["set"] == "iam_lines":
            r["ref"] = r["hyp"] = r["ref"] + " ."
        lines.append(json.dumps(r, ensure_ascii=False))
    base.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cand = tmp_path / "cand.jsonl"
    cand.write_text(base.read_text(encoding="utf-8").replace(' ."}', '."}'), encoding="utf-8")
    as_tokenized = compare(base, cand)
    assert as_tokenized.returncode == 1 and "iam_lines: CER worse beyond chance" in as_tokenized.stdout
    untokenized = compare(base, cand, "--untokenize", "iam_lines")
    assert "veto" not in untokenized.stdout, untokenized.stdout + untokenized.stderr
    iam_row = next(row for row in untokenized.stdout.splitlines() if row.startswith("iam_lines"))
    assert iam_row.split()[1:3] == ["11.11%", "0.00%"]  # one space too many in 9 characters, then none
