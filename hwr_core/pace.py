"""How long the rest of a run of reading will take, at the pace of the files read so far: the Batch
tab's progress bar and `hwr recognize`'s progress line say it."""

from __future__ import annotations

from dataclasses import dataclass

PACE_FILES = 3  # files read in a run before the time the rest will take is said


@dataclass(frozen=True)
class ReadingPace:
    """A run of reading: the clock and the number of files read when it began."""

    started: float
    read_then: int

    def time_left(self, now: float, read: int, waiting: int) -> float | None:
        """Seconds until the `waiting` files are read, at the pace since the run began; None
        until PACE_FILES files have been read in it (the first reads warm the engine up)."""
        since = read - self.read_then
        if since < PACE_FILES or now <= self.started:
            return None
        return waiting * (now - self.started) / since


def time_left_text(seconds: float | None) -> str:
    """ "about 40 s left", "about 3 min left", "about 1 h 20 min left"; "" for under 10 s or unknown."""
    if seconds is None or seconds < 10:
        return ""
    if seconds < 90:
        return f"about {round(seconds, -1):.0f} s left"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60} min left"
