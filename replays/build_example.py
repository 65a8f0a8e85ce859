"""Build ``replays/example-rally.rallylog``: a small invented rally that shows every rule.

The rally is fictional (names, times and places are invented) and says so in
the provenance of every event. It is written with the project's own recorder,
and deterministically (fixed recording times), so rebuilding it gives the
same bytes; a test checks that the shipped file is what this script writes.

    python -m rally_standings.replays.build_example [OUTPUT]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from .. import events
from ..engine import Recorder, create_log

__all__ = ["EXAMPLE_PATH", "build_example", "example_events"]

EXAMPLE_PATH = Path(__file__).with_name("example-rally.rallylog")

_SOURCE = events.Provenance(
    events.SourceKind.SYNTHETIC, "example rally: invented to demonstrate the engine"
)

_ENTRIES: dict[str, list[tuple[str, list[tuple[str, str]], str]]] = {
    "bikes": [
        ("1", [("Lena Brandt", "DEU")], "KTM"),
        ("2", [("Tomás Ferreira", "POR")], "Husqvarna"),
        ("3", [("Yusuf Amrani", "MAR")], "Honda"),
        ("4", [("Ewan Kerr", "GBR")], "Yamaha"),
        ("5", [("Aiko Tanabe", "JPN")], "KTM"),
    ],
    "cars": [
        ("200", [("Claire Morel", "FRA"), ("Paul Renaud", "FRA")], "Toyota"),
        ("201", [("Jonas Lindqvist", "SWE"), ("Mika Salo", "FIN")], "Mini"),
        ("202", [("Carlos Vidal", "ESP"), ("Ana Ruiz", "ESP")], "Toyota"),
        ("203", [("Pieter de Wit", "NED"), ("Sven Aerts", "BEL")], "Ford"),
        ("204", [("Omar Haddad", "QAT"), ("Luc Baudin", "FRA")], "Toyota"),
    ],
}

# stage -> category -> {number: time}; stage 1 is the prologue
_RESULTS: dict[int, dict[str, dict[str, str]]] = {
    1: {
        "bikes": {"1": "4:12", "2": "4:05", "3": "4:30", "4": "4:22", "5": "4:18"},
        "cars": {"200": "3:58", "201": "3:51", "202": "4:02", "203": "4:10", "204": "3:55"},
    },
    2: {
        "bikes": {"1": "3:10:24", "2": "3:12:40", "3": "3:20:05", "4": "3:15:51", "5": "3:11:02"},
        "cars": {
            "200": "2:55:10",
            "201": "2:57:45",
            "202": "2:55:10",
            "203": "3:05:30",
            "204": "2:59:02",
        },
    },
    3: {
        "bikes": {"1": "4:02:11", "2": "3:58:30", "3": "4:10:44", "4": "4:05:09", "5": "4:00:00"},
        "cars": {"200": "3:41:20", "201": "3:38:05", "202": "3:44:59", "204": "3:40:11"},
    },
    4: {
        "cars": {"200": "2:20:33", "201": "2:22:10", "202": "2:19:48", "204": "2:25:40"},
    },
    5: {
        "bikes": {"1": "5:01:30", "2": "4:55:12", "3": "5:10:00", "5": "4:58:47"},
        "cars": {"200": "4:31:02", "201": "4:29:40", "202": "4:35:15", "204": "4:33:33"},
    },
}


def example_events() -> Iterator[events.Event]:
    """Every event of the example rally after its declaration, in log order."""
    for stage, (date, start, finish, km) in enumerate(
        [
            ("2025-01-04", "Agadir", "Agadir", 12),
            ("2025-01-05", "Agadir", "Tan-Tan", 412),
            ("2025-01-06", "Tan-Tan", "Smara", 486),
            ("2025-01-07", "Smara", "Dakhla", 355),
            ("2025-01-08", "Dakhla", "Boujdour", 520),
        ],
        start=1,
    ):
        kind = events.StageKind.PROLOGUE if stage == 1 else events.StageKind.SPECIAL
        yield events.StageScheduled(
            stage=stage,
            rules=(events.StageRule("bikes", kind), events.StageRule("cars", kind)),
            date=date,
            start=start,
            finish=finish,
            distance_km=km,
            provenance=_SOURCE,
        )
    for category, entries in _ENTRIES.items():
        for number, crew, make in entries:
            yield events.EntryRegistered(
                entry_id=f"{category}:{number}",
                category=category,
                number=number,
                crew=tuple(events.Person(name, nation) for name, nation in crew),
                make=make,
                provenance=_SOURCE,
            )
    for stage in range(1, 6):
        if stage == 4:
            yield events.StageCancelled(
                stage=4,
                categories=("bikes",),
                reason="sandstorm on the bike route",
                awarded_ms=events.parse_time("2:30:00"),
                provenance=_SOURCE,
            )
        if stage == 3:
            yield events.EntryRetired(
                entry_id="cars:203", stage=3, reason="broken suspension", provenance=_SOURCE
            )
        if stage == 5:
            yield events.EntryRetired(
                entry_id="bikes:4", stage=5, reason="injured wrist", provenance=_SOURCE
            )
        for category, times in _RESULTS[stage].items():
            for number, time in times.items():
                yield events.StageResultRecorded(
                    entry_id=f"{category}:{number}",
                    stage=stage,
                    time_ms=events.parse_time(time),
                    provenance=_SOURCE,
                )
        if stage == 2:
            yield _penalty("P1", "bikes:5", 2, "2:00", "speeding in a controlled zone")
        if stage == 3:
            yield _penalty(
                "P2", "cars:201", 3, "5:00", "outside assistance near the finish", gc_only=True
            )
            yield events.ResultCorrected(
                entry_id="cars:204",
                stage=3,
                time_ms=events.parse_time("3:39:11"),
                reason="timing error at the finish line",
                provenance=_SOURCE,
            )
        if stage == 5:
            yield _penalty("P3", "cars:200", 5, "10:00", "missed waypoint")
            yield events.PenaltyRescinded(
                penalty_id="P3",
                reason="appeal upheld: the waypoint was moved",
                provenance=_SOURCE,
            )


def _penalty(
    penalty_id: str, entry_id: str, stage: int, amount: str, reason: str, *, gc_only: bool = False
) -> events.PenaltyImposed:
    """A penalty of the invented rally; ``amount`` as a steward would write it (``5:00``)."""
    return events.PenaltyImposed(
        penalty_id=penalty_id,
        entry_id=entry_id,
        stage=stage,
        amount_ms=events.parse_time(amount),
        reason=reason,
        gc_only=gc_only,
        provenance=_SOURCE,
    )


def build_example(path: Path = EXAMPLE_PATH) -> Path:
    """Write the example rally's log to ``path`` (which must not exist)."""
    create_log(
        path,
        events.RallyDeclared(
            rally_id="example-rally-2025",
            name="Example Desert Rally 2025",
            year=2025,
            categories=("bikes", "cars"),
            provenance=_SOURCE,
        ),
        recorded_at="2025-01-03T18:00:00+00:00",
    )
    with Recorder(path) as recorder:
        for event in example_events():
            stage = getattr(event, "stage", 1)
            recorder.append(event, recorded_at=f"2025-01-{3 + stage:02d}T20:00:00+00:00")
    return path


def main(argv: list[str] | None = None) -> int:
    """Build the example log at the given path (default: the shipped location)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else EXAMPLE_PATH
    if target.exists():
        target.unlink()
    build_example(target)
    sys.stdout.write(f"wrote {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
