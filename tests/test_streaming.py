"""Long outputs are written as they are made, and say exactly what the whole would."""

from __future__ import annotations

import json

import pytest

from rally_standings.outputs import EventLog, Replay, json_chunks, render, render_chunks, to_data
from rally_standings.replays import load


@pytest.mark.parametrize(("log", "category"), [("dakar-2004", "cars"), ("example-rally", "bikes")])
def test_a_streamed_replay_is_the_whole_replay(log: str, category: str) -> None:
    """`replay -f json` written snapshot by snapshot equals json.dumps of the whole list."""
    rally = load(log)
    replay = Replay(rally.replay(category))
    whole = json.dumps(to_data(replay), ensure_ascii=False, indent=2) + "\n"
    chunks = list(json_chunks(replay))
    assert len(chunks) == len(replay.snapshots) + 2  # "[", one per snapshot, "]"
    assert "".join(chunks) == whole
    assert json.loads(whole)[-1]["after_stage"] == replay.snapshots[-1].after_stage


def test_an_empty_replay_streams_an_empty_list() -> None:
    """No snapshot: the JSON is an empty list, as json.dumps writes it."""
    assert "".join(json_chunks(Replay(()))) == "[]\n"


def test_the_event_log_streams_line_by_line() -> None:
    """`events` yields one line per record, in both formats, consuming the records lazily."""
    rally = load("example-rally")
    for format_ in ("text", "jsonl"):
        lines = list(render_chunks(EventLog(rally.iter_records()), format_))
        assert len(lines) == rally.last_seq
        assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    assert render(EventLog(rally.iter_records()), "jsonl").splitlines()[0].startswith('{"seq":1,')
