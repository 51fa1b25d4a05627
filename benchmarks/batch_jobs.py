"""How much faster a folder reads with several files read at once (`hwr_core.parallel`). Prints figures.

    python benchmarks/batch_jobs.py [--model M] [--data ../shared/data] [--n 80] [--jobs 2] [--rounds 2]

For each val set, the same files are read as `hwr recognize` reads a folder (`read_files`, pages
split into lines) one by one and then `--jobs` at a time, each way once per round, and the wall time
of each is reported with their ratio; the readings must be the same. Read one by one, the engine
(onnxruntime) has its own threads, one per core, as in the app; side by side, it keeps them (the
app's Batch tab) or has one thread per file (`hwr recognize` reading several files at once). Compare
the ratios: absolute times on a shared machine are noise.

Then pages: `--pages` pages of 2-8 val lines of IAM, Cinnamon and VNOnDB each, stacked as
`page_reading.py` stacks them, are read one line at a time and `--jobs` lines at a time
(`Recognizer.jobs`, as the app reads an image), in alternating order; the total time of each.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from accuracy import split_records
from page_reading import stack_page

from hwr_core.batch import read_files
from hwr_core.image_io import load_image
from hwr_core.parallel import default_jobs
from hwr_core.recognizer import Recognizer
from hwr_core.resources import default_model_path

REPO = Path(__file__).resolve().parents[1]
SETS = ("iam_lines", "cinnamon_vi", "vnondb_line", "vnondb_word", "kaggle_names")


def timed(rec: Recognizer, paths: list[Path], jobs: int) -> tuple[float, list[str]]:
    start = time.perf_counter()
    texts = [r.text if not r.error else r.error for r in read_files(rec, paths, jobs=jobs)]
    return time.perf_counter() - start, texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--n", type=int, default=80, help="files per val set")
    ap.add_argument("--jobs", type=int, default=max(2, default_jobs()))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pages", type=int, default=10, help="pages per set of lines (0: none)")
    args = ap.parse_args()
    model = args.model or default_model_path()
    own_threads = Recognizer.from_file(model, backend="auto")
    one_thread = Recognizer.from_file(model, backend="auto", threads=1)
    for rec in (own_threads, one_thread):
        rec.prepare()
    print(f"model {model}; {os.cpu_count()} cores; {args.jobs} files at once; wall seconds per set")
    print(
        f"{'val set':14s}{'1 by 1':>9s}{'side by side':>14s}{'ratio':>7s}{'1 thread each':>15s}{'ratio':>7s}"
    )
    for name in SETS:
        if not (Path(args.data) / name / "labels.tsv").exists():
            print(f"{name:14s} absent")
            continue
        paths = [r.path for r in split_records(Path(args.data), name)[: args.n]]
        timed(own_threads, paths[:5], 1)  # warm: the character model's first look-ups, the engines
        timed(one_thread, paths[:5], args.jobs)
        for _ in range(args.rounds):
            base, texts = timed(own_threads, paths, 1)
            shared, texts_shared = timed(own_threads, paths, args.jobs)
            each, texts_each = timed(one_thread, paths, args.jobs)
            same = texts == texts_shared == texts_each
            print(
                f"{name:14s}{base:9.2f}{shared:14.2f}{base / shared:6.2f}x{each:15.2f}{base / each:6.2f}x"
                + ("" if same else "  READINGS DIFFER")
            )
    if args.pages:
        pages_side_by_side(own_threads, Path(args.data), args.pages, args.jobs)


def pages_side_by_side(rec: Recognizer, data: Path, n: int, jobs: int) -> None:
    """Stacked pages read a line at a time and `jobs` lines at a time; prints their total times."""
    rng = np.random.default_rng(0)
    readers = {1: rec.with_jobs(1), jobs: rec.with_jobs(jobs)}
    print(f"\npages of 2-8 val lines, total seconds: a line at a time, {jobs} at a time")
    for name in ("cinnamon_vi", "iam_lines", "vnondb_line"):
        if not (data / name / "labels.tsv").exists():
            continue
        records = split_records(data, name)
        pages, start = [], 0
        for _ in range(n):
            count = int(rng.integers(2, 9))
            lines = [load_image(r.path) for r in records[start : start + count]]  # gray already
            pages.append(stack_page(lines, rng))
            start += count
        readers[jobs].recognize_page(pages[0])  # warm
        seconds = {1: 0.0, jobs: 0.0}
        same = True
        for i, page in enumerate(pages):
            texts = {}
            for k in (1, jobs) if i % 2 else (jobs, 1):
                begin = time.perf_counter()
                texts[k] = readers[k].recognize_page(page).text  # type: ignore[union-attr]
                seconds[k] += time.perf_counter() - begin
            same &= texts[1] == texts[jobs]
        print(
            f"{name:14s}{seconds[1]:9.2f}{seconds[jobs]:9.2f}{seconds[1] / seconds[jobs]:6.2f}x"
            + ("" if same else "  READINGS DIFFER")
        )


if __name__ == "__main__":
    main()
