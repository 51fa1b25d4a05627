"""Personalising on a writer's own line images, kept as the Image tab's "Correct & teach" keeps them. Prints figures.

    python benchmarks/teach_from_scans.py [--model M] [--data ../shared/data/vnondb_line] [--writers 4]
                                          [--keep 30] [--others 150] [--epochs 6] [--replay-fonts DIR]

For each of the `--writers` val writers with the most lines (the set's `writers.tsv`), the first
`--keep` of their lines are kept in a fresh samples folder with `UserSampleStore.add_image`, and the
model is personalised on them as the Teach tab and `hwr personalise` do (`make_plan`, `fit`,
`finish`; no replay unless `--replay-fonts`). The base and personalised models are then read with
greedy decoding (the Teach tab's scoring) on:
- the writer's kept lines that the folder held out (the Teach tab's before/after);
- the writer's lines that were not kept (a larger held-out set of the same hand);
- `--others` lines of the other val writers (what a personal model gives up on other hands).
Each change comes with a paired bootstrap's 90 % interval.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from hwr_core.data.records import Record
from hwr_core.image_io import load_image
from hwr_core.metrics import PairedChange, paired_bootstrap
from hwr_core.modelfile import load_model
from hwr_core.personalize import (
    PersonalizeConfig,
    final_weights,
    finish,
    fit,
    make_plan,
    read_on,
    synth_replay_spec,
)
from hwr_core.resources import default_model_path
from hwr_core.training import TrainingFinished
from hwr_core.userdata import UserSampleStore

REPO = Path(__file__).resolve().parents[1]


def val_lines_by_writer(data: Path) -> dict[str, list[Record]]:
    """writer -> that writer's val lines, in file order (`writers.tsv` names each image's writer)."""
    texts = {}
    for line in (data / "labels.tsv").read_text("utf-8").splitlines():
        path, text, split = line.split("\t")[:3]
        if split == "val":
            texts[path] = text
    writers: dict[str, list[Record]] = defaultdict(list)
    for line in (data / "writers.tsv").read_text("utf-8").splitlines():
        path, writer = line.split("\t")[:2]
        if path in texts:
            writers[writer].append(Record(text=texts[path], path=data / path, split="val", source=writer))
    return dict(writers)


def change(records: list[Record], base, personal) -> PairedChange:  # type: ignore[no-untyped-def]
    refs = [r.text for r in records]
    return paired_bootstrap(refs, read_on(base, records), read_on(personal, records))["cer"]


def show(name: str, n: int, c: PairedChange) -> str:
    return (
        f"{name} ({n}): {100 * c.base:.2f} -> {100 * c.other:.2f} % [{100 * c.low:+.2f}, {100 * c.high:+.2f}]"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="base model (default: the shipped one)")
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "vnondb_line"))
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--keep", type=int, default=30, help="lines of each writer kept as samples")
    ap.add_argument("--others", type=int, default=150, help="lines of other writers read for forgetting")
    ap.add_argument("--epochs", type=int, default=PersonalizeConfig().epochs)
    ap.add_argument("--replay-fonts", default=None)
    ap.add_argument("--freeze-batchnorm", action=argparse.BooleanOptionalAction, default=None)
    args = ap.parse_args()

    model_path = Path(args.model or default_model_path())
    base = load_model(model_path)
    by_writer = val_lines_by_writer(Path(args.data))
    chosen = sorted(by_writer, key=lambda w: (-len(by_writer[w]), w))[: args.writers]
    cfg = PersonalizeConfig(
        epochs=args.epochs,
        replay_specs=(synth_replay_spec(args.replay_fonts),) if args.replay_fonts else (),
    )
    if args.freeze_batchnorm is not None:
        cfg = dataclasses.replace(cfg, freeze_batchnorm=args.freeze_batchnorm)
    print(
        f"base {base.name}; {args.keep} lines kept per writer; {args.epochs} epochs; "
        f"BatchNorm {'frozen' if cfg.freeze_batchnorm else 'trained'}; greedy CER, 90 % interval"
    )
    for writer in chosen:
        lines = by_writer[writer]
        kept, rest = lines[: args.keep], lines[args.keep :]
        others = [r for w, rs in sorted(by_writer.items()) if w != writer for r in rs][::7][: args.others]
        with tempfile.TemporaryDirectory(prefix="hwr-teach-bench-") as tmp:
            store = UserSampleStore(Path(tmp) / "samples")
            for r in kept:
                assert r.path is not None
                store.add_image(load_image(r.path), r.text, source=r.path.name)
            plan = make_plan(model_path, store, cfg, Path(tmp) / "run")
            t0 = time.perf_counter()
            done = [ev for ev in fit(plan) if isinstance(ev, TrainingFinished)][-1]
            seconds = time.perf_counter() - t0
            result = finish(plan, final_weights(done), Path(tmp) / "models")
            personal = load_model(result.model_path)
            report = [show("held-out kept", result.val_samples, result.cer)]
            if rest:
                report.append(show("not kept", len(rest), change(rest, base, personal)))
            report.append(show("other writers", len(others), change(others, base, personal)))
        n_train = len(plan.extra_records)
        print(f"{writer}: trained on {n_train} lines in {seconds:.0f} s; " + "; ".join(report), flush=True)


if __name__ == "__main__":
    main()
