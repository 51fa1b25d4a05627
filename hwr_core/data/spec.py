"""A data source written as one string, shared by the CLI (`--data`), the GUI and configs.

Grammar: ``[kind:]PATH[?key=value&key=value]``. `split` and `weight` are fields of their own; the
other keys are kind-specific options, checked so that a typo fails loudly instead of being ignored.

    tsv:/data/vnondb_word?split=train&weight=2
    tsv:/data/iam_lines?split=train&untokenize=1   (IAM's "it 's here ." read as "it's here.")
    /data/iam?level=words            (kind detected from the folder)
    synth:/fonts?n=20000&lang=vi&kind=line&heldout=train
    page:/data/transkribus-export       (PAGE or ALTO XML files: each transcribed line, cut out of its page)
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote, unquote

from ..charset import CTCCodec, untokenize
from ..errors import DatasetError
from .page_reader import page_files, read_page_xml
from .readers import IAM_LEVELS, read_cinnamon_json, read_iam, read_kaggle_csv, read_labels_tsv
from .records import ReadReport, Record

__all__ = ["DataSpec", "KINDS", "parse_spec", "load_records"]

KINDS = ("tsv", "iam", "kaggle", "cinnamon", "synth", "page")

# Options each kind understands; `name` (the source name in reports) is accepted everywhere.
# `untokenize`: transcriptions that space their punctuation as IAM's do ("here ." for "here.") are
# read as people write them, so that a model trained on them does not learn to space punctuation.
_OPTIONS: dict[str, frozenset[str]] = {
    # `strokes` (tsv): a share of the images traced to pen strokes and drawn again as the app's canvas
    # draws them (`dataset.RecordSource`), so that writing on the canvas looks like what was learnt.
    "tsv": frozenset({"name", "check_images", "untokenize", "strokes"}),
    "iam": frozenset({"name", "level", "untokenize"}),
    "kaggle": frozenset({"name", "images"}),
    "cinnamon": frozenset({"name"}),
    "page": frozenset({"name", "cache", "untokenize"}),
    "synth": frozenset(
        {
            "name",
            "n",
            "lang",
            "kind",
            "fonts",
            "exclude_fonts",
            "heldout",
            "holdout",
            "seed",
            "strokes",
            "spaced",
            "fade",
            "nib",
        }
    ),
}
_KIND_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_]+):(.*)$", re.S)
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class DataSpec:
    kind: str
    path: Path
    split: str | None = None
    weight: float = 1.0  # relative sampling weight in a mixture
    options: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def name(self) -> str:
        """Source name for reports: the `name` option, else the dataset folder (or file stem)."""
        if "name" in self.options:
            return self.options["name"]
        if self.kind == "synth":
            return "synth"
        p = self.path
        if p.suffix and p.stem.lower() in ("labels", "label", "lines", "words") and p.parent.name:
            return p.parent.name if p.parent.name != "ascii" else p.parent.parent.name
        return p.stem if p.suffix else p.name

    def option_bool(self, key: str, default: bool = False) -> bool:
        value = self.options.get(key)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise DatasetError(f"option {key}={value!r} in '{self}': expected true or false")

    def option_int(self, key: str, default: int, minimum: int = 0) -> int:
        value = self.options.get(key)
        if value is None:
            return default
        try:
            n = int(value)
        except ValueError:
            raise DatasetError(f"option {key}={value!r} in '{self}': expected a whole number") from None
        if n < minimum:
            raise DatasetError(f"option {key}={value!r} in '{self}': must be at least {minimum}")
        return n

    def option_share(self, key: str, default: float) -> float:
        """A fraction from 0 to 1."""
        value = self.options.get(key)
        if value is None:
            return default
        try:
            share = float(value)
        except ValueError:
            share = math.nan
        if not 0.0 <= share <= 1.0:
            raise DatasetError(f"option {key}={value!r} in '{self}': expected a share from 0 to 1")
        return share

    def __str__(self) -> str:
        query: list[tuple[str, str]] = []
        if self.split is not None:
            query.append(("split", self.split))
        if self.weight != 1.0:
            query.append(("weight", f"{self.weight:g}"))
        query.extend(sorted(self.options.items()))
        s = f"{self.kind}:{self.path}"
        if query:
            s += "?" + "&".join(f"{k}={quote(v, safe=',/:')}" for k, v in query)
        return s


def _parse_query(query: str, spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in query.split("&"):
        if not part:
            continue
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if not eq or not key:
            raise DatasetError(f"expected key=value after '?' in {spec!r}, got {part!r}")
        if key in out:
            raise DatasetError(f"option {key!r} given twice in {spec!r}")
        out[key] = unquote(value.strip())
    return out


def _detect_kind(path: Path, spec: str) -> tuple[str, Path]:
    if path.is_file():
        suffix = path.suffix.lower()
        kind = {".tsv": "tsv", ".csv": "kaggle", ".json": "cinnamon", ".xml": "page"}.get(suffix)
        if kind is None:
            raise DatasetError(f"cannot tell the data kind of {path} from its suffix; write e.g. tsv:{path}")
        return kind, path
    if (path / "labels.tsv").is_file():
        return "tsv", path / "labels.tsv"
    if any((path / n).exists() for n in ("lines.txt", "words.txt", "ascii")):
        return "iam", path
    if (path / "labels.json").is_file():
        return "cinnamon", path / "labels.json"
    if any(p.suffix.lower() in (".ttf", ".otf") for p in path.iterdir()):
        return "synth", path
    if page_files(path):
        return "page", path
    raise DatasetError(
        f"cannot tell what kind of data {str(path)!r} holds (no labels.tsv, lines.txt, labels.json, fonts "
        "or PAGE / ALTO XML files); "
        f"prefix the kind, one of: {', '.join(KINDS)}"
    )


def _resolve_path(kind: str, path: Path) -> Path:
    """Folders stand for the file a kind reads from them (tsv -> labels.tsv, cinnamon -> labels.json)."""
    if kind == "tsv" and path.is_dir():
        path = path / "labels.tsv"
    elif kind == "cinnamon" and path.is_dir():
        path = path / "labels.json"
    elif kind == "kaggle" and path.is_dir():
        csvs = sorted(path.glob("*.csv"))
        if len(csvs) != 1:
            raise DatasetError(f"{path} has {len(csvs)} CSV files; name the one to read")
        path = csvs[0]
    if not path.exists():
        raise DatasetError(f"no such file: {path}")
    if kind in ("iam", "synth") and not path.is_dir():
        raise DatasetError(f"{kind} data must be a folder, got the file {path}")
    if kind in ("tsv", "kaggle", "cinnamon") and not path.is_file():
        raise DatasetError(f"no such file: {path}")
    return path


def parse_spec(s: str) -> DataSpec:
    """Parse ``[kind:]PATH[?key=value&...]``; the path must exist. Raises DatasetError with one clear line."""
    if not isinstance(s, str) or not s.strip():
        raise DatasetError("empty data spec")
    spec = s.strip()
    body, _, query = spec.partition("?")
    kind: str | None = None
    m = _KIND_PREFIX.match(body)
    # Only a known kind counts as a prefix: "C:\data" has a one-letter drive and "my:file.tsv"
    # may be a real POSIX name, so an unknown prefix is an error only when the whole path is absent.
    if m and m.group(1).lower() in KINDS:
        kind, body = m.group(1).lower(), m.group(2)
    elif m and not os.path.exists(body):
        raise DatasetError(f"unknown data kind {m.group(1)!r} in {spec!r} (known: {', '.join(KINDS)})")
    if not body.strip():
        raise DatasetError(f"no path in data spec {spec!r}")
    path = Path(body.strip()).expanduser()
    if not path.exists():
        raise DatasetError(f"no such file: {path}")
    if kind is None:
        kind, path = _detect_kind(path, spec)
    path = _resolve_path(kind, path)

    options = _parse_query(query, spec)
    split = options.pop("split", None) or None
    weight = 1.0
    if "weight" in options:
        raw = options.pop("weight")
        try:
            weight = float(raw)
        except ValueError:
            raise DatasetError(f"weight must be a number in {spec!r}, got {raw!r}") from None
        if not math.isfinite(weight) or weight <= 0:
            raise DatasetError(f"weight must be a positive number in {spec!r}, got {raw!r}")
    unknown = sorted(set(options) - _OPTIONS[kind])
    if unknown:
        known = ", ".join(["split", "weight", *sorted(_OPTIONS[kind])])
        raise DatasetError(f"unknown option {unknown[0]!r} for {kind} data in {spec!r} (known: {known})")
    if kind == "iam" and options.get("level", "lines") not in IAM_LEVELS:
        raise DatasetError(f"level must be one of {', '.join(IAM_LEVELS)} in {spec!r}")
    result = DataSpec(kind=kind, path=path, split=split, weight=weight, options=options)
    if kind == "synth":
        result.option_int("n", 10000, minimum=1)  # validate early, where the user typed it
    return result


def load_records(spec: DataSpec, codec: CTCCodec | None = None) -> tuple[list[Record], ReadReport]:
    """Read the records of a file-based spec; synthetic data is generated on the fly by SyntheticSource."""
    name = spec.options.get("name")
    if spec.kind == "tsv":
        records, report = read_labels_tsv(
            spec.path, spec.split, codec, check_images=spec.option_bool("check_images"), source=name
        )
    elif spec.kind == "iam":
        records, report = read_iam(spec.path, spec.split, spec.options.get("level", "lines"), codec)
    elif spec.kind == "kaggle":
        records, report = read_kaggle_csv(spec.path, spec.options.get("images"), spec.split, codec)
    elif spec.kind == "cinnamon":
        if spec.split is not None:
            raise DatasetError(f"cinnamon labels.json has no splits; drop split={spec.split} from '{spec}'")
        records, report = read_cinnamon_json(spec.path, codec)
    elif spec.kind == "page":
        if spec.split is not None:
            raise DatasetError(
                f"PAGE and ALTO XML have no splits; drop split={spec.split} from '{spec}' (give val as a folder of its own)"
            )
        records, report = read_page_xml(spec.path, codec, spec.options.get("cache"), name)
    elif spec.kind == "synth":
        raise DatasetError(
            f"'{spec}' is synthetic data, generated on the fly: use hwr_core.data.SyntheticSource, not load_records"
        )
    else:
        raise DatasetError(f"unknown data kind {spec.kind!r} (known: {', '.join(KINDS)})")
    if name and spec.kind not in ("tsv", "page"):  # these readers name their records themselves
        report.source = name
        records = [Record(r.text, r.path, r.image, r.split, name) for r in records]
    if spec.option_bool("untokenize"):
        records = [replace(r, text=untokenize(r.text)) for r in records]
    return records, report
