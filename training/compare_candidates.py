"""Session 19's shipping rule (training/README.md), applied to two models' readings of the val sets:

    python training/compare_candidates.py BASE.jsonl CANDIDATE.jsonl [--resamples 10000] [--seed 0]
        [--untokenize iam_lines] [--leave-out SET]

Both files come from `benchmarks/accuracy.py --readings` on the same data. The candidate passes when
(a) the mean of its CER changes over the five target sets is below zero, each set weighing the same;
(b) no val set is worse beyond chance: a paired bootstrap over the set's samples bounds the change,
and a one-sided 95 % bound on the wrong side vetoes (CER on every set; the share read right on
VNOnDB words and Kaggle names); (c) no set is worse by more than 1 point of CER. Exit status 0 when
it passes, 1 when it does not, 2 when the files cannot be compared. The rule's (d), the gate and the
confirmation, is ship_flow.sh's.

`--untokenize SET` scores SET against its transcriptions as people write them (`charset.untokenize`:
"it 's here ." -> "it's here."), on both sides: `accuracy.py` does so for IAM since session 33,
and this makes older readings files comparable with its newer ones. `--leave-out SET` reports SET
but keeps it out of (a)-(c): session 42's rule for scratch2 leaves the synthetic row out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from accuracy import TARGETS, VAL_SETS  # noqa: E402

from hwr_core.charset import untokenize  # noqa: E402
from hwr_core.metrics import PairedChange, paired_bootstrap  # noqa: E402

MAX_LOSS = 0.01  # (c): one point of CER
SETS = (*VAL_SETS, "synthetic_en_heldout_fonts")
ACCURACY_SETS = ("vnondb_word", "kaggle_names")  # (b): the real sets with an accuracy target


@dataclass(frozen=True)
class Verdict:
    changes: dict[str, dict[str, PairedChange]]
    mean_target_change: float  # over `counted`
    counted: list[str]  # the target sets not left out
    vetoes: list[str]

    @property
    def ships(self) -> bool:
        return self.mean_target_change < 0 and not self.vetoes


def read(path: Path, untokenized: frozenset[str] = frozenset()) -> dict[str, list[tuple[str, str]]]:
    """(reference, reading) pairs by set; the references of the sets in `untokenized` untokenized."""
    by_set: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        ref = untokenize(r["ref"]) if r["set"] in untokenized else r["ref"]
        by_set[r["set"]].append((ref, r["hyp"]))
    return by_set


def judge(
    base: dict[str, list[tuple[str, str]]],
    cand: dict[str, list[tuple[str, str]]],
    resamples: int = 10_000,
    seed: int = 0,
    left_out: frozenset[str] = frozenset(),
) -> Verdict:
    """`left_out` sets are reported but neither veto nor count in the mean (session 42's rule for
    scratch2: a base that trained on the synthetic row's fonts against a candidate that did not)."""
    missing = [s for s in SETS if s not in base or s not in cand]
    if missing:  # the rule names every set: a verdict without one is not the rule's
        raise ValueError(f"sets missing from a readings file: {', '.join(missing)}")
    changes: dict[str, dict[str, PairedChange]] = {}
    vetoes = []
    for name in SETS:
        refs = [r for r, _ in base[name]]
        if refs != [r for r, _ in cand[name]]:
            raise ValueError(f"{name}: the two files read different samples")
        ch = changes[name] = paired_bootstrap(
            refs, [h for _, h in base[name]], [h for _, h in cand[name]], resamples, seed
        )
        if name in left_out:
            continue
        if ch["cer"].direction > 0:
            vetoes.append(f"{name}: CER worse beyond chance ({_pts(ch['cer'])})")
        if ch["cer"].change > MAX_LOSS:
            vetoes.append(f"{name}: CER worse by more than {MAX_LOSS:.0%} ({_pts(ch['cer'])})")
        if name in ACCURACY_SETS and ch["accuracy"].direction < 0:
            vetoes.append(f"{name}: fewer read right beyond chance ({_pts(ch['accuracy'])})")
    counted = [s for s in TARGETS if s not in left_out]
    mean = sum(changes[s]["cer"].change for s in counted) / len(counted)
    return Verdict(changes, mean, counted, vetoes)


def _pts(c: PairedChange) -> str:
    return f"{c.change * 100:+.2f} points, 90 % interval {c.low * 100:+.2f} to {c.high * 100:+.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", type=Path)
    ap.add_argument("candidate", type=Path)
    ap.add_argument("--resamples", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--untokenize",
        action="append",
        default=[],
        choices=SETS,
        metavar="SET",
        help="score SET against its transcriptions untokenized (repeatable)",
    )
    ap.add_argument(
        "--leave-out",
        action="append",
        default=[],
        choices=SETS,
        metavar="SET",
        help="report SET but let it neither veto nor count in the mean (repeatable)",
    )
    args = ap.parse_args()
    untokenized, left_out = frozenset(args.untokenize), frozenset(args.leave_out)
    try:
        v = judge(
            read(args.base, untokenized),
            read(args.candidate, untokenized),
            args.resamples,
            args.seed,
            left_out,
        )
    except ValueError as e:
        print(f"cannot compare: {e}", file=sys.stderr)
        sys.exit(2)  # not 1: that is the verdict "does not ship"
    print(
        f"{'val set':28s} {'base CER':>9s} {'cand CER':>9s} {'change':>8s} {'5 %':>7s} {'95 %':>7s}   accuracy change"
    )
    for name, ch in v.changes.items():
        c, a = ch["cer"], ch["accuracy"]
        print(
            f"{name:28s} {c.base:9.2%} {c.other:9.2%} {c.change * 100:+8.2f} {c.low * 100:+7.2f} {c.high * 100:+7.2f}"
            f"   {a.base:.2%} -> {a.other:.2%} ({a.low * 100:+.2f} to {a.high * 100:+.2f})"
        )
    left = f" (left out: {', '.join(sorted(left_out))})" if left_out else ""
    print(
        f"mean CER change over the {len(v.counted)} target sets{left}: {v.mean_target_change * 100:+.3f} points"
    )
    for veto in v.vetoes:
        print(f"veto: {veto}")
    print("SHIPS under the rule" if v.ships else "does NOT ship under the rule")
    sys.exit(0 if v.ships else 1)


if __name__ == "__main__":
    main()
