"""How long the rest of a run of reading will take (`hwr_core.pace`)."""

from hwr_core.pace import PACE_FILES, ReadingPace, time_left_text


def test_the_time_left_is_said_at_the_pace_of_the_files_read_so_far():
    pace = ReadingPace(started=100.0, read_then=2)
    assert pace.time_left(160.0, read=2 + PACE_FILES - 1, waiting=50) is None  # too few read yet
    assert pace.time_left(160.0, read=2 + 6, waiting=50) == 500.0  # 6 files in 60 s, 50 to go
    assert [time_left_text(s) for s in (None, 9.0, 42.0, 500.0, 5400.0)] == [
        "",
        "",
        "about 40 s left",
        "about 8 min left",
        "about 1 h 30 min left",
    ]
