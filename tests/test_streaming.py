"""Long outputs are written as they are made, and say exactly what the whole would."""

from __future__ import annotations

import json

import pytest

from rally_standings.outputs import EventLog, Replay, json_chunks, render, render_chunks, to_data
from rally_standings.outputs._data import json_layout
from rally_standings.replays import load


@pytest.mark.parametrize(("log", "category"), [("dakar-2004", "cars"), ("example-rally", "bikes")])
def test_a_streamed_replay_is_the_whole_replay(log: str, category: str) -> None:
    """`replay -f json` written snapshot by snapshot equals the whole list laid out at once,
    and reads back as the same data."""
    rally = load(log)
    replay = Replay(rally.replay(category))
    whole = json_layout(to_data(replay)) + "\n"
    chunks = list(json_chunks(replay))
    assert len(chunks) == len(replay.snapshots) + 2  # "[", one per snapshot, "]"
    assert "".join(chunks) == whole
    assert json.loads(whole) == to_data(replay)
    assert json.loads(whole)[-1]["after_stage"] == replay.snapshots[-1].after_stage


def test_the_layout_puts_each_record_on_a_line_and_reads_back() -> None:
    """Keys one per line, each record of a list on its own line, nested values inline."""
    data = {
        "rally": "Rallye «Test»",
        "rows": [{"position": 1, "crew": ["A", "B"]}, {"position": 2, "crew": []}],
        "empty": [],
        "as_of": None,
        "nested": {"a": 1},
    }
    text = json_layout(data)
    assert text == (
        "{\n"
        '  "rally": "Rallye «Test»",\n'
        '  "rows": [\n'
        '    {"position": 1, "crew": ["A", "B"]},\n'
        '    {"position": 2, "crew": []}\n'
        "  ],\n"
        '  "empty": [],\n'
        '  "as_of": null,\n'
        '  "nested": {"a": 1}\n'
        "}"
    )
    assert json.loads(text) == data
    assert json.loads(json_layout([data, data])) == [data, data]


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
