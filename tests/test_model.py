"""The event vocabulary: validators that name the field, the expected and the received value."""

from __future__ import annotations

import attrs
import pytest

from rally_standings.events import (
    EntryRegistered,
    InvalidEventError,
    PenaltyImposed,
    Person,
    RallyDeclared,
    StageKind,
    StageResultRecorded,
    StageRule,
    StageScheduled,
)


def test_events_are_frozen_and_slotted() -> None:
    """Events cannot be changed after creation, and carry no per-instance dict."""
    event = PenaltyImposed(
        penalty_id="P1", entry_id="cars:203", stage=5, amount_ms=300_000, reason="push"
    )
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.stage = 6  # type: ignore[misc]
    assert not hasattr(event, "__dict__")


@pytest.mark.parametrize(
    ("build", "field", "received"),
    [
        (lambda: Person(name="  "), "Person.name", "'  '"),
        (lambda: Person(name="A", nationality="fr"), "Person.nationality", "fr"),
        (
            lambda: StageResultRecorded(entry_id="x", stage=2, time_ms=0),
            "StageResultRecorded.time_ms",
            "0",
        ),
        (
            lambda: StageResultRecorded(entry_id="x", stage=2, time_ms=-5),
            "StageResultRecorded.time_ms",
            "-5",
        ),
        (
            lambda: StageResultRecorded(entry_id="x", stage=2, time_ms=1.5),  # type: ignore[arg-type]
            "StageResultRecorded.time_ms",
            "1.5",
        ),
        (
            lambda: StageResultRecorded(entry_id="x", stage=2, time_ms=5, first_stage=2),
            "StageResultRecorded.first_stage",
            "2",
        ),
        (
            lambda: PenaltyImposed(penalty_id="P", entry_id="x", stage=1, amount_ms=0, reason="r"),
            "PenaltyImposed.amount_ms",
            "0",
        ),
        (
            lambda: RallyDeclared(rally_id="Bad Id", name="n", year=2004, categories=("cars",)),
            "RallyDeclared.rally_id",
            "Bad Id",
        ),
        (
            lambda: RallyDeclared(rally_id="r", name="n", year=2004, categories=()),
            "RallyDeclared.categories",
            "()",
        ),
        (
            lambda: StageScheduled(stage=1, rules=(), date=None),
            "StageScheduled.rules",
            "()",
        ),
        (
            lambda: StageScheduled(
                stage=1, rules=(StageRule("cars", StageKind.SPECIAL),), date="1st January"
            ),
            "StageScheduled.date",
            "1st January",
        ),
        (
            lambda: EntryRegistered(entry_id="e", category="cars", crew=()),
            "EntryRegistered.crew",
            "()",
        ),
    ],
)
def test_validators_name_field_expected_and_received(
    build: object, field: str, received: str
) -> None:
    """A bad field raises InvalidEventError whose message names the field and the bad value."""
    with pytest.raises(InvalidEventError) as caught:
        build()  # type: ignore[operator]
    message = str(caught.value)
    assert f"({field})" in message
    assert "expected" in message
    assert message.endswith(f"received {received}")


def test_stage_kind_for_category_defaults_to_liaison() -> None:
    """A category without a rule on a stage does not run it (liaison)."""
    stage = StageScheduled(stage=3, rules=(StageRule("cars", StageKind.SPECIAL),))
    assert stage.kind_for("cars") is StageKind.SPECIAL
    assert stage.kind_for("trucks") is StageKind.LIAISON


def test_span_of_single_and_combined_results() -> None:
    """A result's span is (stage, stage), or (first_stage, stage) for a combined time."""
    assert StageResultRecorded(entry_id="x", stage=4, time_ms=1).span == (4, 4)
    assert StageResultRecorded(entry_id="x", stage=9, time_ms=1, first_stage=4).span == (4, 9)
