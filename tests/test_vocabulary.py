"""Every event type is wired everywhere it must be: one declaration, checked end to end."""

from __future__ import annotations

import typing

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rally_standings.app._record import KINDS
from rally_standings.engine._fold import handled_types
from rally_standings.events import (
    EVENT_TAGS,
    Event,
    Record,
    decode_frame,
    encode_frame,
    event_fields,
    tag_of,
)
from tests.strategies import any_event

EVENT_TYPES = typing.get_args(Event)


def test_the_union_and_the_registry_agree() -> None:
    """The Event union names exactly the registered types, so nothing is half-declared."""
    assert set(EVENT_TYPES) == set(EVENT_TAGS.values())
    assert len(EVENT_TYPES) == len(EVENT_TAGS)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
def test_every_type_is_frozen_slotted_tagged_handled_recordable(event_type: type) -> None:
    """Each type is a frozen, slotted attrs class with a tag, a fold handler and a record kind."""
    assert attrs.has(event_type)
    assert "__slots__" in vars(event_type)
    assert attrs.fields(event_type).provenance.name == "provenance"
    tag = next(t for t, cls in EVENT_TAGS.items() if cls is event_type)
    assert event_fields(tag) == tuple(
        field.name for field in attrs.fields(event_type) if field.name != "provenance"
    )
    assert event_type in handled_types()
    assert event_type in {kind.event_type for kind in KINDS.values()}
    assert callable(vars(event_type)["describe"])


@given(st.lists(any_event, min_size=1, max_size=8))
def test_every_type_is_framed_and_described(events: list[Event]) -> None:
    """Any events of any types go through a frame and come back equal, and each says itself."""
    records = [Record(seq=5 + index, event=event) for index, event in enumerate(events)]
    frame = decode_frame(encode_frame(records))
    assert list(frame.records()) == records
    for event in events:
        text = event.describe()
        assert isinstance(text, str)
        assert text
        assert tag_of(event) in EVENT_TAGS


def test_stored_field_orders_are_pinned() -> None:
    """Logs store each type's fields in this order: reordering would misread every stored log.

    A new field may only be appended, with a default (and ``metadata={"since": N}``).
    """
    assert {tag: event_fields(tag) for tag in EVENT_TAGS} == {
        "rally-declared": ("rally_id", "name", "year", "categories"),
        "entry-registered": (
            "entry_id",
            "category",
            "number",
            "crew",
            "make",
            "entrant",
            "entry_class",
        ),
        "stage-scheduled": ("stage", "rules", "date", "start", "finish", "distance_km"),
        "stage-result-recorded": ("entry_id", "stage", "time_ms", "first_stage"),
        "result-corrected": ("entry_id", "stage", "time_ms", "reason"),
        "result-withdrawn": ("entry_id", "stage", "reason"),
        "penalty-imposed": ("penalty_id", "entry_id", "stage", "amount_ms", "reason", "gc_only"),
        "penalty-rescinded": ("penalty_id", "reason"),
        "time-credited": ("credit_id", "entry_id", "stage", "amount_ms", "reason"),
        "stage-cancelled": ("stage", "categories", "reason", "awarded_ms"),
        "entry-retired": ("entry_id", "stage", "reason", "excluded"),
        "field-coverage-declared": ("category", "stage", "stage_known", "gc_known"),
        "waypoint-recorded": ("entry_id", "stage", "waypoint", "time_ms"),
        "waypoint-corrected": ("entry_id", "stage", "waypoint", "time_ms", "reason"),
        "waypoint-withdrawn": ("entry_id", "stage", "waypoint", "reason"),
    }
