"""The wire format: pinned tags, round-trips, schema versions and upcasting."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest
from hypothesis import given

from rally_standings.events import (
    CODEC,
    EVENT_TAGS,
    SCHEMA_VERSION,
    Codec,
    Event,
    InvalidEventError,
    PenaltyImposed,
    Record,
    SchemaError,
)
from tests.helpers import car_penalty
from tests.strategies import any_event


def test_event_tags_are_pinned() -> None:
    """Stored logs name event types by these tags; changing one would orphan every log."""
    assert {tag: cls.__name__ for tag, cls in EVENT_TAGS.items()} == {
        "rally-declared": "RallyDeclared",
        "entry-registered": "EntryRegistered",
        "stage-scheduled": "StageScheduled",
        "stage-result-recorded": "StageResultRecorded",
        "result-corrected": "ResultCorrected",
        "result-withdrawn": "ResultWithdrawn",
        "penalty-imposed": "PenaltyImposed",
        "penalty-rescinded": "PenaltyRescinded",
        "time-credited": "TimeCredited",
        "stage-cancelled": "StageCancelled",
        "entry-retired": "EntryRetired",
        "field-coverage-declared": "FieldCoverageDeclared",
        "waypoint-recorded": "WaypointRecorded",
        "waypoint-corrected": "WaypointCorrected",
        "waypoint-withdrawn": "WaypointWithdrawn",
    }


@given(any_event)
def test_every_event_round_trips_through_the_codec(event: Event) -> None:
    """Encoding then decoding any valid event of any type gives an equal event."""
    record = Record(seq=7, event=event, recorded_at="2004-01-05T20:00:00+00:00")
    assert CODEC.decode(CODEC.encode(record)) == record


def test_record_layout_is_a_plain_msgpack_map() -> None:
    """Other programs can read a record with msgpack alone: seq, v, at, and a tagged event."""
    event = car_penalty("P1", 203, 5, 5, "push", gc_only=True)
    raw = msgpack.unpackb(CODEC.encode(Record(seq=3, event=event)))
    assert raw["seq"] == 3
    assert raw["v"] == 1
    assert raw["at"] is None
    assert raw["event"]["type"] == "penalty-imposed"
    assert raw["event"]["amount_ms"] == 300_000
    assert raw["event"]["gc_only"] is True
    assert raw["event"]["provenance"] == {"kind": "recorded", "detail": None}


def _raw(event: dict[str, Any], *, version: int = 1) -> bytes:
    packed: bytes = msgpack.packb({"seq": 1, "v": version, "at": None, "event": event})
    return packed


def test_unknown_tag_is_a_schema_error() -> None:
    """A record of a type this code does not know is refused, naming the tag."""
    with pytest.raises(SchemaError, match=r"unknown event type.*received stage-teleported"):
        CODEC.decode(_raw({"type": "stage-teleported"}))


def test_future_schema_version_is_refused() -> None:
    """A record written by a newer version is refused rather than misread."""
    event = CODEC.unstructure(
        PenaltyImposed(penalty_id="P", entry_id="e", stage=1, amount_ms=1, reason="r")
    )
    newer = SCHEMA_VERSION + 1
    with pytest.raises(SchemaError, match=rf"newer version.*received {newer}"):
        CODEC.decode(_raw(event, version=newer))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\xc1", "not a msgpack record"),
        (msgpack.packb([1, 2]), "malformed record envelope"),
        (msgpack.packb({"seq": 0, "v": 1, "at": None, "event": {}}), "bad sequence number"),
        (msgpack.packb({"seq": 1, "v": 1, "at": 5, "event": {}}), "bad recording time"),
        (msgpack.packb({"seq": 1, "v": 1, "at": None, "event": [1]}), "must be a map"),
    ],
)
def test_malformed_records_raise_project_errors(payload: bytes, message: str) -> None:
    """Garbage payloads end in the project's own error with a clear message."""
    with pytest.raises(InvalidEventError, match=message):
        CODEC.decode(payload)


def test_wrong_field_type_names_the_field_path() -> None:
    """A string where an integer belongs is refused (never converted), naming the field."""
    event = CODEC.unstructure(
        PenaltyImposed(penalty_id="P", entry_id="e", stage=1, amount_ms=1, reason="r")
    )
    event["stage"] = "5"
    with pytest.raises(InvalidEventError) as caught:
        CODEC.decode(_raw(event))
    assert "penalty-imposed.stage" in str(caught.value)
    assert "received 5" in str(caught.value)


def test_old_records_are_upcast_on_read() -> None:
    """A codec at schema 2 lifts a version-1 record through its registered upcaster.

    Simulates a future change (penalty reasons gained a prefix) to prove the
    mechanism: the stored bytes stay as written, the event read is current.
    """

    def prefix_reason(fields: dict[str, Any]) -> dict[str, Any]:
        return {**fields, "reason": "v1: " + fields["reason"]}

    old = CODEC.encode(
        Record(
            seq=1,
            event=PenaltyImposed(penalty_id="P", entry_id="e", stage=1, amount_ms=1, reason="push"),
        )
    )
    newer = Codec(schema_version=2, upcasters={("penalty-imposed", 1): prefix_reason})
    record = newer.decode(old)
    assert isinstance(record.event, PenaltyImposed)
    assert record.event.reason == "v1: push"
    assert CODEC.decode(old).event.reason == "push"  # type: ignore[union-attr]
