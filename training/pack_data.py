"""Carry the labelled sets of ../shared/data to a GPU machine, whose calls take 64 MiB at most.

    python training/pack_data.py pack OUT_DIR [--data ../shared/data] [--max-height 48] [--levels 16]
    python training/pack_data.py unpack OUT_DIR DATA_DIR      # on the GPU machine

`pack` writes one `<set>.hwrpack.xz` per set: a JSON list of rows (path, text, split, height,
width) and the rows' pixels, shrunk to at most --max-height (the model reads 32) and quantised to
--levels grey levels, which is what lets lzma shrink clean ink about 20-fold. `unpack` writes them
back as PNG + labels.tsv in the layout of the shared sets, so `HWR_DATA=DATA_DIR
training/train-default.sh` runs unchanged. The packs hold research-only data: keep them out of the
repository (pack into an ignored or temporary folder).
"""

from __future__ import annotations

import argparse
import json
import lzma
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SETS = ("vnondb_word", "vnondb_line", "cinnamon_vi", "kaggle_names", "iam_lines")
SUFFIX = ".hwrpack.xz"


def pack_set(folder: Path, out: Path, max_height: int, levels: int) -> tuple[int, int]:
    """Pack one set into `out`; returns (rows packed, rows skipped: unreadable image or bad row)."""
    rows: list[dict[str, object]] = []
    chunks: list[bytes] = []
    skipped = 0
    step = 256 // levels
    for line in (folder / "labels.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        image = cv2.imread(str(folder / parts[0]), cv2.IMREAD_GRAYSCALE) if len(parts) == 3 else None
        if image is None:
            skipped += 1
            continue
        h, w = image.shape
        if h > max_height:
            w, h = max(1, round(w * max_height / h)), max_height
            image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        # quantise to the middle of each level: white stays near white, ink near black
        quantised = (image // step) * step + step // 2
        chunks.append(quantised.astype(np.uint8).tobytes())
        rows.append({"path": parts[0], "text": parts[1], "split": parts[2], "h": h, "w": w})
    header = json.dumps(rows, ensure_ascii=False).encode("utf-8")
    with lzma.open(out, "wb", preset=6) as f:
        f.write(len(header).to_bytes(8, "little"))
        f.write(header)
        for chunk in chunks:
            f.write(chunk)
    return len(rows), skipped


def unpack_set(pack: Path, data_dir: Path) -> int:
    """Write one pack back as PNG files + labels.tsv under data_dir/<set>; returns the row count."""
    name = pack.name.removesuffix(SUFFIX)
    with lzma.open(pack, "rb") as f:
        header = f.read(int.from_bytes(f.read(8), "little"))
        rows = json.loads(header)
        lines = []
        for row in rows:
            h, w = row["h"], row["w"]
            image = np.frombuffer(f.read(h * w), np.uint8).reshape(h, w)
            rel = str(Path(row["path"]).with_suffix(".png"))
            target = data_dir / name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(target), image):
                raise OSError(f"could not write {target}")
            lines.append(f"{rel}\t{row['text']}\t{row['split']}")
    (data_dir / name / "labels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack")
    p.add_argument("out", type=Path)
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--sets", nargs="+", default=list(SETS))
    p.add_argument("--max-height", type=int, default=48)
    p.add_argument("--levels", type=int, default=16, choices=(4, 8, 16, 32, 64, 128, 256))
    u = sub.add_parser("unpack")
    u.add_argument("packs", type=Path)
    u.add_argument("data_dir", type=Path)
    args = ap.parse_args()
    if args.command == "unpack":
        for pack in sorted(args.packs.glob(f"*{SUFFIX}")):
            # labels.tsv is written last: a set that has one was unpacked whole by an earlier call
            if (args.data_dir / pack.name.removesuffix(SUFFIX) / "labels.tsv").is_file():
                print(f"{pack.name}: already unpacked")
                continue
            print(f"{pack.name}: {unpack_set(pack, args.data_dir)} rows")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        folder = args.data / name
        if not (folder / "labels.tsv").is_file():
            print(f"{name}: absent, not packed")
            continue
        out = args.out / f"{name}{SUFFIX}"
        n, skipped = pack_set(folder, out, args.max_height, args.levels)
        print(f"{name}: {n} rows, {skipped} skipped, {out.stat().st_size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
