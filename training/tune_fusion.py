"""Choose beam search's fusion settings on cached network outputs (how session 32 chose them):

    python training/tune_fusion.py cache OUT.npz [--model M] [--data ../shared/data] [--fonts ../shared/fonts]
    python training/tune_fusion.py grid CACHE.npz --half even|odd|all W,B,X [W,B,X ...] [--readings DIR]

`cache` reads every val image of `benchmarks/accuracy.py`'s table once, as the app reads it (the
model's engine and preprocessing), and keeps its per-timestep log-probabilities. `grid` decodes them
under each setting W,B,X: character-model weight W, bonus B per appended character, word-list bonus
X (the model's own beam width, word list and character model), on the even- or odd-numbered half of
every set or on all of it, and prints each set's CER and the measure the settings are chosen by: the
mean CER over MEASURE_SETS. Decoding alone is the slow part, so a setting takes seconds, not a
full read of the val sets. `--readings DIR` writes each setting's readings (as `accuracy.py
--readings`) for `training/compare_candidates.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from accuracy import val_sets  # noqa: E402

from hwr_core.decoding import decode  # noqa: E402
from hwr_core.image_io import load_image  # noqa: E402
from hwr_core.metrics import summarize  # noqa: E402
from hwr_core.recognizer import Recognizer  # noqa: E402
from hwr_core.resources import default_model_path  # noqa: E402

# Real handwriting only; VNOnDB lines by their unseen texts, since the character model has seen the
# other val lines' sentences. Synthetic English is left out: its words are the word list's own.
MEASURE_SETS = ("cinnamon_vi", "vnondb_line_unseen_texts", "vnondb_word", "kaggle_names", "iam_lines")


def cache(args: argparse.Namespace) -> None:
    rec = Recognizer.from_file(args.model or default_model_path(), backend="auto")  # the app's engine
    greedy = rec.with_options(dataclasses.replace(rec.decode_cfg, decoder="greedy"))
    arrays: dict[str, np.ndarray] = {}
    for name, samples, unseen in val_sets(Path(args.data), Path(args.fonts)):
        if samples is None:
            print(f"{name}: absent")
            continue
        log_probs, lengths = [], []
        for image, _ in samples:
            res = greedy.recognize(load_image(image) if isinstance(image, Path) else image)
            if res.empty:  # nothing to read: the app reads "", whatever the settings
                lengths.append(0)
                continue
            with np.errstate(divide="ignore"):  # probabilities that underflowed: log 0 = -inf, never read
                log_probs.append(np.log(res.probs).astype(np.float32))
            lengths.append(len(res.probs))
        arrays[f"{name}/log_probs"] = (
            np.concatenate(log_probs) if log_probs else np.zeros((0, len(rec.codec)))
        )
        arrays[f"{name}/lengths"] = np.array(lengths)
        arrays[f"{name}/unseen"] = np.array(unseen if unseen is not None else [], dtype=bool)
        arrays[f"{name}/refs"] = np.array(json.dumps([text for _, text in samples], ensure_ascii=False))
        print(f"{name}: {len(samples)}", flush=True)
    np.savez(args.out, model=np.array(str(rec.bundle.path)), **arrays)


def grid(args: argparse.Namespace) -> None:
    with np.load(args.cache) as z:
        sets = list(dict.fromkeys(k.split("/")[0] for k in z.files if "/" in k))  # in the table's order
        data = {
            name: {part: z[f"{name}/{part}"] for part in ("log_probs", "lengths", "unseen", "refs")}
            for name in sets
        }
        rec = Recognizer.from_file(str(z["model"]))
    if args.readings:
        args.readings.mkdir(parents=True, exist_ok=True)
    for setting in args.settings:
        weight, bonus, word_bonus = (float(v) for v in setting.split(","))
        cfg = dataclasses.replace(
            rec.decode_cfg, lm_weight=weight, lm_char_bonus=bonus, lexicon_weight=word_bonus
        )
        t0 = time.perf_counter()
        cers: dict[str, float] = {}
        readings = []
        for name in sets:
            d = data[name]
            refs, unseen = json.loads(str(d["refs"])), d["unseen"]
            ends = np.cumsum(d["lengths"])
            picked = [
                i for i in range(len(refs)) if args.half == "all" or (i % 2 == 0) == (args.half == "even")
            ]
            hyps = []
            for i in picked:
                lp = d["log_probs"][ends[i] - d["lengths"][i] : ends[i]]
                best = decode(lp, rec.codec, cfg, lexicon=rec.lexicon, lm=rec.lm) if len(lp) else []
                hyps.append(best[0].text if best else "")
            cers[name] = summarize([refs[i] for i in picked], hyps).cer
            if len(unseen):
                keep = [k for k, i in enumerate(picked) if unseen[i]]
                cers[f"{name}_unseen_texts"] = summarize(
                    [refs[picked[k]] for k in keep], [hyps[k] for k in keep]
                ).cer
            readings += [{"set": name, "ref": refs[i], "hyp": h} for i, h in zip(picked, hyps, strict=True)]
        measure = np.mean([cers[n] for n in MEASURE_SETS if n in cers])
        print(
            f"{setting:14s} measure {measure:.3%}  "
            + "  ".join(f"{n} {c:.2%}" for n, c in cers.items())
            + f"  ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        if args.readings:
            with (args.readings / f"{setting}.jsonl").open("w", encoding="utf-8") as f:
                f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in readings)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("cache", help="read every val image once and keep the network's outputs")
    c.add_argument("out", type=Path)
    c.add_argument("--model", default=None)
    c.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    c.add_argument("--fonts", default=str(REPO.parent / "shared" / "fonts"))
    g = sub.add_parser("grid", help="decode the cached outputs under each setting W,B,X")
    g.add_argument("cache", type=Path)
    g.add_argument("settings", nargs="+", metavar="W,B,X")
    g.add_argument("--half", choices=("even", "odd", "all"), default="even")
    g.add_argument("--readings", type=Path, default=None, metavar="DIR")
    args = ap.parse_args()
    if args.command == "cache":
        cache(args)
    else:
        grid(args)


if __name__ == "__main__":
    main()
