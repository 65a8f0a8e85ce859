"""A synthetic rally: seeded, deterministic, realistic enough to demo, test and benchmark.

``synth_events`` yields every event of an invented rally, in the order a
timing official would record them, stage by stage: a prologue, specials of
2–6 hours whose times depend on each crew's pace and the day's luck, waypoint
splits, ties (times are rounded to the second), retirements, penalties (some
GC-only, some rescinded on appeal a stage later) and one stage cancelled for
one category with a time awarded to all. ``write_synth`` writes it through the
normal recorder, so every event is checked by the same rules as a real one.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from .. import events
from ..engine import Recorder, checkpoint_path, create_log

__all__ = [
    "MAX_ENTRIES",
    "MAX_EVENTS",
    "MAX_STAGES",
    "MAX_WAYPOINTS",
    "SynthSpec",
    "synth_events",
    "write_synth",
]

_FIRST = [
    "Ana",
    "Ben",
    "Carla",
    "Dmitri",
    "Elif",
    "Femke",
    "Goran",
    "Hiro",
    "Ines",
    "Jonas",
    "Kalle",
    "Lea",
    "Marco",
    "Nadia",
    "Omar",
    "Pia",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
]
_LAST = [
    "Almeida",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Horvath",
    "Ivanov",
    "Jansen",
    "Kowalski",
    "Laurent",
    "Moreau",
    "Novak",
    "Olsen",
    "Petrov",
    "Quint",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Vidal",
    "Weber",
    "Yilmaz",
    "Zanetti",
]
_NATIONS = ["FRA", "ESP", "NED", "RUS", "JPN", "ITA", "DEU", "POR", "CHI", "ARG", "QAT", "POL"]
_MAKES = {
    "bikes": ["KTM", "Honda", "Yamaha", "Husqvarna"],
    "cars": ["Toyota", "Mini", "Ford", "Audi"],
    "trucks": ["Kamaz", "Iveco", "Tatra", "MAN"],
}
_SYNTHETIC = events.Provenance(events.SourceKind.SYNTHETIC, "synthetic rally (standings synth)")


MAX_ENTRIES = 10_000
"""The most entries a synthetic rally has (the benchmark's largest field is 5 000)."""
MAX_STAGES = 250
"""The most stages a synthetic rally has (the benchmark's longest rally has 200)."""
MAX_WAYPOINTS = 100
"""The most waypoint splits per entry and stage."""
MAX_EVENTS = 2_000_000
"""The most events a synthetic rally may come to, about entries x stages x (waypoints + 1):
writing one takes memory in proportion (about 250 MB a million events), so the bound keeps
``standings synth`` well within a laptop's memory."""


def _between(minimum: int, maximum: int) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if type(value) is not int or not minimum <= value <= maximum:
            raise events.RallyError(
                "synthetic rally out of bounds",
                where=f"SynthSpec.{attribute.name}",
                expected=f"a whole number from {minimum} to {maximum}",
                received=value,
            )

    return check


@attrs.frozen
class SynthSpec:
    """What to generate, within the documented maxima (``MAX_ENTRIES`` and the others)."""

    entries: int = attrs.field(default=120, validator=_between(1, MAX_ENTRIES))
    stages: int = attrs.field(default=12, validator=_between(1, MAX_STAGES))
    categories: tuple[str, ...] = attrs.field(default=("bikes", "cars", "trucks"))
    waypoints: int = attrs.field(default=0, validator=_between(0, MAX_WAYPOINTS))
    seed: int = 1

    @categories.validator
    def _check_categories(self, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple) or not value or len(set(value)) != len(value):
            raise events.RallyError(
                "synthetic rally out of bounds",
                where="SynthSpec.categories",
                expected="one category or more, each once",
                received=", ".join(map(str, value)) if isinstance(value, tuple) else value,
            )

    def __attrs_post_init__(self) -> None:
        count = self.entries * self.stages * (self.waypoints + 1)
        if count > MAX_EVENTS:
            raise events.RallyError(
                "synthetic rally too large",
                where="SynthSpec",
                expected=f"entries x stages x (waypoints + 1) at most {MAX_EVENTS:,}",
                received=f"{self.entries} x {self.stages} x {self.waypoints + 1} = {count:,}",
            )


def _crew(rng: random.Random, category: str) -> tuple[events.Person, ...]:
    """An invented crew: a rider, two people in a car, three in a truck."""
    size = {"bikes": 1, "cars": 2, "trucks": 3}.get(category, 2)
    return tuple(
        events.Person(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", rng.choice(_NATIONS))
        for _ in range(size)
    )


def synth_events(spec: SynthSpec) -> Iterator[events.Event]:
    """Every event after the rally's declaration, in recording order."""
    yield from _Synthesis(spec).generate()


class _Synthesis:
    """A synthetic rally as it is generated: one seeded random source drawn from in a fixed
    order (so a seed always gives the same rally), the roster with each entry's pace, who
    is still running, and the penalties to rescind at the next stage."""

    def __init__(self, spec: SynthSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.cancelled_stage = max(2, spec.stages // 2) if spec.stages >= 3 else None
        self.cancelled_category = spec.categories[-1]
        self.pace: dict[str, float] = {}
        self.roster: list[tuple[str, str]] = []
        """(entry id, category) of every entry, in registration order."""
        self.running: set[str] = set()
        self.penalty_count = 0
        self.to_rescind: list[str] = []

    def generate(self) -> Iterator[events.Event]:
        """The stages scheduled, the entries registered, then each stage's events."""
        yield from self.schedule()
        yield from self.entries()
        self.running = {entry_id for entry_id, _ in self.roster}
        for stage in range(1, self.spec.stages + 1):
            yield from self.stage(stage)

    def schedule(self) -> Iterator[events.Event]:
        """Every stage scheduled: a short prologue, then specials."""
        rng, spec = self.rng, self.spec
        for stage in range(1, spec.stages + 1):
            kind = events.StageKind.PROLOGUE if stage == 1 else events.StageKind.SPECIAL
            yield events.StageScheduled(
                stage=stage,
                rules=tuple(events.StageRule(c, kind) for c in spec.categories),
                distance_km=rng.randint(10, 30) if stage == 1 else rng.randint(250, 700),
                provenance=_SYNTHETIC,
            )

    def entries(self) -> Iterator[events.Event]:
        """Every entry registered, the categories in turn, each with a pace of its own."""
        rng, spec = self.rng, self.spec
        counters = {
            c: {"bikes": 1, "cars": 200, "trucks": 500}.get(c, 1000 * (i + 1))
            for i, c in enumerate(spec.categories)
        }
        for index in range(spec.entries):
            category = spec.categories[index % len(spec.categories)]
            number = str(counters[category])
            counters[category] += 1
            entry_id = f"{category}:{number}"
            self.pace[entry_id] = rng.gauss(1.0, 0.06)
            self.roster.append((entry_id, category))
            yield events.EntryRegistered(
                entry_id=entry_id,
                category=category,
                number=number,
                crew=_crew(rng, category),
                make=rng.choice(_MAKES.get(category, ["Prototype"])),
                provenance=_SYNTHETIC,
            )

    def stage(self, stage: int) -> Iterator[events.Event]:
        """One stage's events: the last stage's penalties rescinded, the cancellation,
        retirements, waypoint splits, results and new penalties."""
        rng = self.rng
        base_ms = (
            rng.randint(120, 300) * 1000 if stage == 1 else rng.randint(2 * 3600, 6 * 3600) * 1000
        )
        for penalty_id in self.to_rescind:
            yield events.PenaltyRescinded(
                penalty_id=penalty_id, reason="appeal upheld", provenance=_SYNTHETIC
            )
        self.to_rescind = []
        if stage == self.cancelled_stage:
            yield events.StageCancelled(
                stage=stage,
                categories=(self.cancelled_category,),
                reason="sandstorm",
                awarded_ms=base_ms,
                provenance=_SYNTHETIC,
            )
        if stage > 1:
            yield from self.retirements(stage)
        stage_times = self.stage_times(stage, base_ms)
        for waypoint in range(1, self.spec.waypoints + 1):
            for entry_id, time_ms in stage_times:
                split = time_ms * waypoint // (self.spec.waypoints + 1)
                yield events.WaypointRecorded(
                    entry_id=entry_id,
                    stage=stage,
                    waypoint=waypoint,
                    time_ms=max(1, split - split % 1000),
                    provenance=_SYNTHETIC,
                )
        for entry_id, time_ms in stage_times:
            yield events.StageResultRecorded(
                entry_id=entry_id, stage=stage, time_ms=time_ms, provenance=_SYNTHETIC
            )
        yield from self.penalties(stage, stage_times)

    def retirements(self, stage: int) -> Iterator[events.Event]:
        """A few running entries retire before the stage."""
        rng = self.rng
        for entry_id, _ in self.roster:
            if entry_id in self.running and rng.random() < 0.015:
                self.running.discard(entry_id)
                yield events.EntryRetired(
                    entry_id=entry_id,
                    stage=stage,
                    reason=rng.choice(["engine", "gearbox", "crash", "fuel"]),
                    provenance=_SYNTHETIC,
                )

    def stage_times(self, stage: int, base_ms: int) -> list[tuple[str, int]]:
        """Each running entry's time (not on the stage cancelled for its category): the
        stage's base time by its pace and the day's luck, in whole seconds (so some tie)."""
        luck = {entry_id: self.rng.gauss(0.0, 0.03) for entry_id, _ in self.roster}
        stage_times: list[tuple[str, int]] = []
        for entry_id, category in self.roster:
            if entry_id not in self.running:
                continue
            if stage == self.cancelled_stage and category == self.cancelled_category:
                continue
            factor = max(0.6, self.pace[entry_id] + luck[entry_id])
            time_ms = max(1000, round(base_ms * factor / 1000) * 1000)  # whole seconds: ties
            stage_times.append((entry_id, time_ms))
        return stage_times

    def penalties(self, stage: int, stage_times: list[tuple[str, int]]) -> Iterator[events.Event]:
        """A few of the stage's finishers penalised (some GC-only); a quarter of those
        penalties are rescinded at the next stage."""
        rng = self.rng
        for entry_id, _ in stage_times:
            if rng.random() < 0.03:
                self.penalty_count += 1
                penalty_id = f"S{self.penalty_count}"
                yield events.PenaltyImposed(
                    penalty_id=penalty_id,
                    entry_id=entry_id,
                    stage=stage,
                    amount_ms=rng.choice([60, 120, 300, 600, 3600]) * 1000,
                    reason=rng.choice(["speeding", "missed waypoint", "outside assistance"]),
                    gc_only=rng.random() < 0.5,
                    provenance=_SYNTHETIC,
                )
                if rng.random() < 0.25:
                    self.to_rescind.append(penalty_id)


def write_synth(
    path: str | os.PathLike[str],
    spec: SynthSpec,
    *,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    replace: bool = False,
) -> int:
    """Write the synthetic rally to a new log through the recorder; returns the event count.

    The log is built under a temporary name and moved into place once whole, so a
    synth that fails or is killed leaves no partial log at ``path``; an existing file
    there is refused unless ``replace``. Its checkpoint, written as a recorder's is,
    follows it into place (a checkpoint vouches for bytes, not for a name), so the
    first reader need not fold it all.
    """
    built: Path | None = None
    try:
        with events.building(path, replace=replace) as temporary:
            built = temporary
            count = _write_synth(temporary, spec, batch=batch, progress=progress)
        if checkpoint_path(temporary).exists():  # a small log has none (a recorder's rule)
            os.replace(checkpoint_path(temporary), checkpoint_path(path))
        return count
    finally:
        if built is not None:
            checkpoint_path(built).unlink(missing_ok=True)


def _write_synth(
    target: Path, spec: SynthSpec, *, batch: int, progress: Callable[[int], None] | None
) -> int:
    create_log(
        target,
        events.RallyDeclared(
            rally_id=f"synthetic-{spec.seed}",
            name=f"Synthetic Rally (seed {spec.seed})",
            year=2025,
            categories=spec.categories,
            provenance=_SYNTHETIC,
        ),
    )
    count = 1
    pending: list[events.Event] = []
    with Recorder(target) as recorder:  # its checkpoint is moved beside the log with it
        for event in synth_events(spec):
            pending.append(event)
            if len(pending) >= batch:
                recorder.append_many(pending)
                count += len(pending)
                if progress is not None:
                    progress(len(pending))
                pending = []
        if pending:
            recorder.append_many(pending)
            count += len(pending)
            if progress is not None:
                progress(len(pending))
    return count
