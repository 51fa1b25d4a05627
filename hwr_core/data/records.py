"""What every reader returns: normalised samples plus an account of the rows it had to skip."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: How many skipped rows a report keeps verbatim; the counts cover all of them.
MAX_EXAMPLES = 10


@dataclass(frozen=True)
class Record:
    """One labelled sample: an image file or an in-memory image (synthetic data), and its text."""

    text: str  # normalised with charset.normalize_text, stripped, whitespace runs collapsed
    path: Path | None = None  # image file, or None for in-memory images
    image: np.ndarray | None = field(default=None, compare=False, repr=False)  # uint8 gray, dark ink on light
    split: str | None = None
    source: str = ""  # dataset name for reports and sampling, e.g. "vnondb_word"


@dataclass
class ReadReport:
    """Rows seen, rows kept and why the others were skipped, so a user can fix the data (or ignore it)."""

    source: str
    rows: int = 0  # rows seen (of the requested split)
    usable: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count
    examples: list[str] = field(default_factory=list)  # "line 12: missing image images/x.png"

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skip(self, reason: str, example: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(example)

    def merge(self, other: ReadReport) -> ReadReport:
        """A new report adding up both (e.g. several files of one source, or a mixture's total)."""
        source = self.source if self.source == other.source else f"{self.source}+{other.source}"
        room = max(0, MAX_EXAMPLES - len(self.examples))
        return ReadReport(
            source=source,
            rows=self.rows + other.rows,
            usable=self.usable + other.usable,
            skipped=self.skipped + other.skipped,
            examples=self.examples + other.examples[:room],
        )

    def summary(self) -> str:
        """One line: "vnondb_word: 30649 rows, 30640 usable, skipped 9 (missing image 5, empty text 4)"."""
        line = f"{self.source}: {self.rows} rows, {self.usable} usable"
        total = self.skipped_total
        if total:
            reasons = ", ".join(f"{reason} {n}" for reason, n in self.skipped.most_common())
            line += f", skipped {total} ({reasons})"
        return line
