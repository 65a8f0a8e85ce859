"""Synthetic rally articles in the seed format, from a simulated full rally, with the truth beside.

``synth_article(seed)`` simulates every crew of every category over every
stage (a prologue, a liaison for one category, a stage cancelled for all and
one cancelled for one category with a time awarded to all, retirements, ties,
a prose penalty with its stage and a note penalty without one), prints it the
way the Dakar articles do (the stage top 3 and GC top 3 after every stage,
ties as rowspans, the final top 10, a principal-entry list, notes and prose)
and keeps the full truth: every crew's true time and position in every
ranking. ``errors=`` plants source errors of the kinds the inference knows (a
GC time copied from the stage before, a digit typo in a gap, a winner's time
the gaps below contradict, a row repeated from the stage before or from the
row below, a race number given to two crews), each recorded with its true
value.

``check_import`` compares an import with that truth: every printed row must
replay at its true position and time, every planted error must be found with
its true value, every penalty and the awarded time at their true stage, and
nothing else inferred.

Test data, not part of the package: the tests import it, and ``python -m
tests.synthetic_articles FIRST LAST`` (from the checkout's root) imports a range
of seeds with inference and checks each against its truth.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import attrs

from rally_standings.engine import Rally, fold_name
from rally_standings.events import (
    Person,
    QueryError,
    RallyError,
    Record,
    StageCancelled,
    format_time,
)
from rally_standings.replays.article import Editorial, ImportResult
from rally_standings.replays.article._parse import parse_clock

__all__ = [
    "ERROR_KINDS",
    "Planted",
    "SynthArticle",
    "TruePenalty",
    "check_import",
    "synth_article",
]

ERROR_KINDS = (
    "gc-copied",
    "gap-typo",
    "winner-time",
    "row-from-stage-before",
    "row-from-row-below",
    "number-twice",
)
"""The source errors ``synth_article`` can plant."""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words(
    "Anne Bruno Carla Dario Elena Fabio Greta Hugo Ines Jonas Karin Luca Marta Nils Olga "
    "Pablo Rita Sven Tina Ugo Vera Walter Xenia Yann Zora Axel Berit Cyril Dora Emil Fanny "
    "Gustav Hanna Ivo Julia Kurt Lena Mario Nora Otto Paula Raul Sonia Timo Ulla Viktor"
)
_LAST = _words(
    "Abeille Barros Castell Dufour Eriksen Falcone Garnier Hallberg Ibarra Jansen Kowalski "
    "Lindqvist Moreau Navarro Olsen Pereira Quintana Rossi Santos Tavernier Ulrich Valverde "
    "Weber Yamada Zeller Arnaud Bianchi Carvalho Delorme Estrada Fontaine Gallo Hoffmann "
    "Iglesias Jourdan Keller Lambert Marchetti Nordin Ortega Perrin Ramos Serrano Thibault "
    "Urbina Vidal Wagner Zanetti Aubry Blanc Colombo Duval Ferrand Girard Huber Imbert Joly "
    "Klein Laurent Mercier Noel Ollivier Picard Renard Simon Tessier Vial Weiss Bertin "
    "Caron Dumas Faure Gauthier Henry Jacob Leroy Masson Nicolas Petit Roux Schmitt Vincent"
)
_NATIONS = ("FRA", "ESP", "ITA", "NED", "DEU", "BEL", "POR", "SWE", "FIN", "RUS", "CZE", "JPN")
_MAKES = {
    "bikes": ("KTM", "Yamaha", "Honda", "BMW"),
    "cars": ("Mitsubishi", "Nissan", "BMW", "Volkswagen"),
    "trucks": ("Kamaz", "DAF", "Tatra", "Hino"),
}
_CREW = {"bikes": 1, "cars": 2, "trucks": 3}
_HEADING = {"bikes": "Bikes", "cars": "Cars", "trucks": "Trucks"}
_FINAL_HEADING = {"bikes": "Motorcycles", "cars": "Cars", "trucks": "Trucks"}
_FIRST_NUMBER = {"bikes": 1, "cars": 200, "trucks": 400}
_PLACES = _words(
    "Atlas Sahara Dunes Sahel Desert Nile Tenere Gobi Pampas Outback Silk Road Kalahari "
    "Namib Atacama Karakum"
)
_TOWNS = _words(
    "Arlit Bilma Dirkou Agadez Tahoua Gao Kidal Tessalit Tamanrasset Djanet Illizi Ghat "
    "Sebha Murzuk Kufra Tazirbu Siwa Dakhla Farafra Assiut Luxor Aswan"
)
_ORDINAL_WORDS = _words(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
)
_NUMBER_WORDS = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    8: "eight",
    10: "ten",
    12: "twelve",
    15: "fifteen",
    20: "twenty",
    30: "thirty",
}
_MONTHS = ("December", "January")


# --------------------------------------------------------------------------- truth


@attrs.frozen
class TruePenalty:
    """A penalty of the simulated rally: who, at which stage, how much, as printed where."""

    category: str
    key: str
    driver: str
    stage: int
    amount_ms: int
    gc_only: bool
    stated: str
    """``note`` (the note names no stage) or ``prose`` (the prose names the stage)."""


@attrs.frozen
class Planted:
    """A source error planted in the article, and the value the truth has there.

    ``true`` is a time as ``h:mm:ss``, ``"drop"`` (the printed row is not the
    crew's) or ``"none"`` (the number printed is wrong; the truth prints none).
    """

    kind: str
    category: str
    table: str
    stage: int | None
    row: int
    field: str
    printed: str
    true: str


@attrs.frozen
class SynthArticle:
    """A synthetic article, the seed it comes from, and its truth."""

    seed: int
    text: str
    title: str
    rally_id: str
    categories: tuple[str, ...]
    last_stage: int
    counted: dict[str, tuple[int, ...]]
    stage_truth: dict[tuple[str, int], tuple[tuple[str, int, int], ...]]
    """(category, stage) -> every crew's (key, position, time) in the stage ranking."""
    gc_truth: dict[tuple[str, int], tuple[tuple[str, int, int], ...]]
    """(category, stage) -> every classified crew's (key, position, time) in the GC."""
    penalties: tuple[TruePenalty, ...]
    award: tuple[str, int, int]
    """(category, stage, time awarded to all)."""
    planted: tuple[Planted, ...]


@attrs.define
class _Crew:
    category: str
    number: str
    people: tuple[Person, ...]
    make: str
    skill: int
    """How much slower than the stage's base time, in hundred-thousandths (0: the base time)."""
    retired_after: int | None

    @property
    def driver(self) -> str:
        return self.people[0].name

    @property
    def key(self) -> str:
        return fold_name(self.driver)

    def cell(self) -> str:
        return " ".join(f"{p.nationality} {p.name}" for p in self.people)


def _mss(ms: int) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` from an hour on, as the articles print."""
    if ms >= 3_600_000:
        return format_time(ms)
    return f"{ms // 60_000}:{ms // 1000 % 60:02d}"


def _rank(items: Sequence[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """Competition ranking (equal times share a position), ties by key for a stable order."""
    ordered = sorted(items, key=lambda item: (item[1], item[0]))
    ranked: list[tuple[str, int, int]] = []
    for index, (key, time_ms) in enumerate(ordered):
        position = ranked[-1][1] if index and ordered[index - 1][1] == time_ms else index + 1
        ranked.append((key, position, time_ms))
    return ranked


# --------------------------------------------------------------------------- printed shape


@attrs.define
class _Half:
    crew: _Crew
    position: int | None
    time: str | None
    gap: str | None


@attrs.define
class _Block:
    stage: int
    results: list[_Half]
    gc: list[_Half]
    remark: str | None = None
    gc_remark: str | None = None


def _half_cells(half: _Half | None) -> list[str]:
    if half is None:
        return []
    if half.position is None:
        return [half.crew.cell(), half.crew.make]
    return [str(half.position), half.crew.cell(), half.crew.make, half.time or "", half.gap or ""]


def _row(cells: Sequence[str]) -> str:
    padded = list(cells) + [""] * max(0, 10 - len(cells))
    return "| " + " | ".join(padded) + " |"


def _render_block(block: _Block) -> list[str]:
    if block.remark is not None:
        return [_row([str(block.stage), block.remark])]
    lines = []
    count = max(len(block.results), len(block.gc))
    for index in range(count):
        cells = [str(block.stage)] if index == 0 else []
        result = block.results[index] if index < len(block.results) else None
        cells += _half_cells(result)
        if index == 0 and block.gc_remark is not None:
            cells.append(block.gc_remark)
        elif block.gc_remark is None:
            gc = block.gc[index] if index < len(block.gc) else None
            if gc is not None and result is None:
                cells += ["", "", "", "", ""]
            cells += _half_cells(gc)
        lines.append(_row(cells))
    return lines


# --------------------------------------------------------------------------- generator


class _Simulation:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        rng = self.rng
        self.year = rng.randint(1985, 2019)
        self.place = rng.choice(_PLACES)
        self.title = f"{self.year} {self.place} Rally"
        self.categories: tuple[str, ...] = rng.choice(
            [("bikes", "cars", "trucks"), ("bikes", "cars", "trucks"), ("cars", "trucks")]
        )
        self.last = rng.randint(10, 14)
        self.prologue = 1
        choices = list(range(3, self.last - 1))
        self.cancelled_all = rng.choice(choices)
        far = [s for s in choices if abs(s - self.cancelled_all) >= 3]
        self.award_stage = rng.choice(far)
        self.award_category = rng.choice(self.categories)
        self.award_ms = rng.randint(20, 90) * 60_000
        liaisons = [
            s
            for s in range(3, self.last)
            if abs(s - self.cancelled_all) >= 2 and abs(s - self.award_stage) >= 2
        ]
        self.liaison = rng.choice(liaisons)
        self.liaison_category = rng.choice([c for c in self.categories if c != self.award_category])
        self.names = self._names()
        self.crews: dict[str, list[_Crew]] = {c: self._crews(c) for c in self.categories}
        self.base = {s: self._base(s) for s in range(1, self.last + 1)}
        self.raw: dict[tuple[str, str, int], int] = {}
        self.penalties: list[TruePenalty] = []
        self._simulate()

    # ---------------------------------------------------------------- people

    def _names(self) -> list[tuple[str, str]]:
        last = list(_LAST)
        self.rng.shuffle(last)
        return [(self.rng.choice(_FIRST), surname) for surname in last]

    def _person(self, *, driver: bool) -> Person:
        """A driver has a surname no other driver of the rally has; a co-driver any name."""
        if driver:
            first, last = self.names.pop()
        else:
            first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
        return Person(f"{first} {last}", self.rng.choice(_NATIONS))

    def _crews(self, category: str) -> list[_Crew]:
        count = self.rng.randint(12, 16)
        crews = []
        skills = sorted(self.rng.randint(0, 35_000) for _ in range(count))
        for rank in range(count):
            retired = None
            if rank >= 2 and self.rng.randrange(5) == 0:
                retired = self.rng.randint(3, self.last - 1)
            crews.append(
                _Crew(
                    category=category,
                    number=str(_FIRST_NUMBER[category] + rank),
                    people=tuple(
                        self._person(driver=index == 0) for index in range(_CREW[category])
                    ),
                    make=self.rng.choice(_MAKES[category]),
                    skill=skills[rank],
                    retired_after=retired,
                )
            )
        return crews

    def _base(self, stage: int) -> int:
        if stage == self.prologue:
            return self.rng.randint(3, 12) * 60_000
        return self.rng.randint(90, 520) * 60_000

    # ---------------------------------------------------------------- statuses

    def status(self, category: str, stage: int) -> str:
        if stage == self.prologue:
            return "prologue"
        if stage == self.cancelled_all or (
            stage == self.award_stage and category == self.award_category
        ):
            return "cancelled"
        if stage == self.liaison and category == self.liaison_category:
            return "liaison"
        return "counted"

    def counted(self, category: str) -> list[int]:
        return [s for s in range(1, self.last + 1) if self.status(category, s) == "counted"]

    def runs(self, crew: _Crew, stage: int) -> bool:
        return crew.retired_after is None or stage <= crew.retired_after

    # ---------------------------------------------------------------- times

    def _simulate(self) -> None:
        rng = self.rng
        for category in self.categories:
            for stage in range(1, self.last + 1):
                if self.status(category, stage) not in ("counted", "prologue"):
                    continue
                for crew in self.crews[category]:
                    if not self.runs(crew, stage):
                        continue
                    factor = 100_000 + crew.skill + rng.randint(0, 12_000)
                    seconds = self.base[stage] // 1000 * factor // 100_000
                    self.raw[(category, crew.key, stage)] = seconds * 1000
            # a tie in one stage ranking: the third crew equals the second
            stage = rng.choice(self.counted(category)[1:])
            ranked = self.stage_ranking(category, stage)
            if len(ranked) >= 4 and ranked[3][2] != ranked[1][2]:
                self.raw[(category, ranked[2][0], stage)] = ranked[1][2]
            # the GC leader before the awarded stage wins the stage after it
            if category == self.award_category:
                before = max(s for s in self.counted(category) if s < self.award_stage)
                after = min(s for s in self.counted(category) if s > self.award_stage)
                running = set(self._running(category, after))
                leader = next(k for k, _, _ in self.gc(category, before) if k in running)
                best = min(self.raw[(category, k, after)] for k in self._running(category, after))
                self.raw[(category, leader, after)] = best - 7_000

    def _running(self, category: str, stage: int) -> list[str]:
        return [c.key for c in self.crews[category] if self.runs(c, stage)]

    def crew(self, category: str, key: str) -> _Crew:
        return next(c for c in self.crews[category] if c.key == key)

    def penalty_total(self, category: str, key: str, stage: int) -> int:
        return sum(
            p.amount_ms
            for p in self.penalties
            if p.category == category and p.key == key and p.stage <= stage
        )

    def stage_ranking(self, category: str, stage: int) -> list[tuple[str, int, int]]:
        return _rank(
            [
                (key, self.raw[(category, key, stage)])
                for key in self._running(category, stage)
                if (category, key, stage) in self.raw
            ]
        )

    def gc(self, category: str, stage: int) -> list[tuple[str, int, int]]:
        counted = [s for s in self.counted(category) if s <= stage]
        items = []
        for crew in self.crews[category]:
            if not self.runs(crew, stage):
                continue
            total = sum(self.raw[(category, crew.key, s)] for s in counted)
            if category == self.award_category and self.award_stage <= stage:
                total += self.award_ms
            items.append((crew.key, total + self.penalty_total(category, crew.key, stage)))
        return _rank(items)

    # ---------------------------------------------------------------- penalties

    def choose_penalties(self) -> None:
        rng = self.rng
        # a note penalty that names no stage, visible in a GC step: its crew is in the GC top 3
        # before and after that stage and in the stage's top 3
        options = []
        for category in self.categories:
            counted = self.counted(category)
            for before, stage in itertools.pairwise(counted):
                if before == self.prologue or stage in (self.award_stage,):
                    continue
                top_before = {k for k, p, _ in self.gc(category, before) if p <= 3}
                top_stage = {k for k, p, _ in self.stage_ranking(category, stage) if p <= 3}
                for key in sorted(top_before & top_stage):
                    options.append((category, stage, key))
        rng.shuffle(options)
        for category, stage, key in options:
            amount = rng.choice([60, 90, 120, 150, 180, 240, 300, 330, 420, 600]) * 1000
            trial = TruePenalty(
                category, key, self.crew(category, key).driver, stage, amount, True, "note"
            )
            self.penalties.append(trial)
            if key in {k for k, p, _ in self.gc(category, stage) if p <= 3}:
                break
            self.penalties.pop()
        # a prose penalty with its stage, for a crew printed somewhere before or at that stage
        category = rng.choice(self.categories)
        counted = self.counted(category)
        printed = sorted(  # in a stage's top 3, which a GC-only penalty does not change
            {k for s in counted for k, p, _ in self.stage_ranking(category, s)[:3] if p <= 3}
            - {p.key for p in self.penalties}
        )
        key = rng.choice(printed)
        crew = self.crew(category, key)
        stages = [s for s in counted if self.runs(crew, s) and s != self.prologue]
        stage = rng.choice(stages)
        minutes = rng.choice([2, 3, 5, 10, 15, 20, 30, 60])
        self.penalties.append(
            TruePenalty(category, key, crew.driver, stage, minutes * 60_000, True, "prose")
        )


def _amount_words(minutes: int, rng: random.Random) -> str:
    if minutes == 60:
        return rng.choice(["one-hour", "60-minute", "one hour"])
    word = _NUMBER_WORDS.get(minutes, str(minutes))
    return rng.choice([f"{minutes}-minute", f"{word}-minute", f"{word} minutes"])


def _stage_words(stage: int, rng: random.Random) -> str:
    return rng.choice(
        [f"on stage {stage}", f"on the {_ORDINAL_WORDS[stage - 1]} stage", f"in stage {stage}"]
    )


# --------------------------------------------------------------------------- printing


class _Printer:
    def __init__(self, sim: _Simulation) -> None:
        self.sim = sim
        self.blocks: dict[str, list[_Block]] = {}
        self.final: dict[str, list[tuple[_Crew, int, str]]] = {}
        for category in sim.categories:
            self.blocks[category] = [self._block(category, s) for s in range(1, sim.last + 1)]
            last = sim.counted(category)[-1]
            standings = sim.gc(category, last)[:10]
            leader = standings[0][2]
            self.final[category] = [
                (
                    sim.crew(category, key),
                    position,
                    format_time(time) if index == 0 else "+" + _mss(time - leader),
                )
                for index, (key, position, time) in enumerate(standings)
            ]
        self.principal: dict[str, list[_Crew]] = {
            c: sorted(sim.rng.sample(sim.crews[c], 6), key=lambda crew: crew.make)
            for c in sim.categories
        }
        self.number_lines: dict[tuple[str, str], str] = {}
        self.entry_lines: dict[tuple[str, str], int] = {}

    def _halves(self, category: str, ranked: list[tuple[str, int, int]]) -> list[_Half]:
        halves = []
        top = [r for r in ranked if r[1] <= 3][:3]
        leader = top[0][2] if top else 0
        for index, (key, position, time) in enumerate(top):
            crew = self.sim.crew(category, key)
            tie = index > 0 and time == top[index - 1][2]
            if tie:
                halves.append(_Half(crew, None, None, None))
            else:
                halves.append(
                    _Half(crew, position, _mss(time), _mss(time - leader) if index else None)
                )
        return halves

    def _block(self, category: str, stage: int) -> _Block:
        sim = self.sim
        status = sim.status(category, stage)
        if status == "cancelled":
            reason = (
                "Stage cancelled due to a sandstorm"
                if stage == sim.cancelled_all
                else "Stage cancelled due to flooding"
            )
            return _Block(stage, [], [], remark=reason)
        if status == "liaison":
            return _Block(stage, [], [], remark="Liaison only")
        results = self._halves(category, sim.stage_ranking(category, stage))
        if status == "prologue":
            return _Block(
                stage, results, [], gc_remark="Stage not counted towards overall classification"
            )
        return _Block(stage, results, self._halves(category, sim.gc(category, stage)))

    # ---------------------------------------------------------------- the text

    def text(self) -> str:
        sim = self.sim
        rng = sim.rng
        lines = [f"= {sim.title} =", ""]
        lines.append(
            f"The {sim.title} was an invented rally raid, written up in the format of the "
            f"Dakar Rally articles. It ran over {sim.last} stages from "
            f"{_TOWNS[0]} to {_TOWNS[sim.last]}."
        )
        lines += ["", "==Entries==", ""]
        for category in sim.categories:
            lines.append(f"- {_FINAL_HEADING[category]} principal entry")
            make = None
            for crew in self.principal[category]:
                if crew.make != make:
                    lines.append(f"- {crew.make}")
                    make = crew.make
                number = self.number_lines.get((category, crew.key), crew.number)
                lines.append(f"- {number} {crew.driver}")
                self.entry_lines[(category, crew.key)] = len(lines)
            lines.append("")
        lines += ["==Stages==", "| Stage | Date | From | To | Total (km) | Stage winners | | |"]
        lines.append("| " + " | ".join(_HEADING[c] for c in sim.categories) + " | | | | | |")
        for stage in range(1, sim.last + 1):
            day = 28 + stage - 1
            date = f"{day} December" if day <= 31 else f"{day - 31} January"
            cells = [str(stage), date, _TOWNS[stage - 1], _TOWNS[stage], str(rng.randint(80, 900))]
            for category in sim.categories:
                status = sim.status(category, stage)
                if status == "cancelled":
                    cells.append("Stage cancelled")
                elif status == "liaison":
                    cells.append("Liaison only")
                else:
                    winner = sim.stage_ranking(category, stage)[0][0]
                    person = sim.crew(category, winner).people[0]
                    first, _, rest = person.name.partition(" ")
                    cells.append(f"{person.nationality} {first[0]}. {rest}")
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "==Summary==", self.summary(), "", "==Stage results==", ""]
        for category in sim.categories:
            lines.append(f"==={_HEADING[category]}===")
            lines.append(
                "| | <big>Stage result </big> | <big>General classification</big> | | | | | | | |"
            )
            lines.append(
                "| Stage | Pos | Competitor | Make | Time | Gap | Pos | Competitor | Make | Time |"
            )
            for block in self.blocks[category]:
                lines += _render_block(block)
            lines.append("")
            notes = []
            for penalty in sim.penalties:
                if penalty.category == category and penalty.stated == "note":
                    notes.append(
                        f"- - {penalty.driver}'s time includes a penalty of "
                        f"{_mss(penalty.amount_ms)}."
                    )
            if category == sim.award_category:
                notes.append(f"- - All competitors awarded a stage time of {_mss(sim.award_ms)}.")
            if notes:
                lines += ["Notes:", *notes, ""]
        lines += ["==Final standings==", ""]
        for category in sim.categories:
            lines.append(f"==={_FINAL_HEADING[category]}===")
            if category == "bikes":
                lines.append("| Pos | No. | Rider | Bike | Entrant | Time |")
            elif category == "cars":
                lines.append("| Pos | No. | Driver | Co-Driver | Car | Entrant | Time |")
            else:
                lines.append("| Pos | No. | Driver | Co-Drivers | Truck | Time |")
            for crew, position, time in self.final[category]:
                driver = f"{crew.people[0].nationality} {crew.people[0].name}"
                co = " ".join(f"{p.nationality} {p.name}" for p in crew.people[1:])
                team = f"Team {crew.people[0].name.split()[-1]}"
                cells = [str(position), crew.number, driver]
                if category != "bikes":
                    cells.append(co)
                cells.append(crew.make)
                if category != "trucks":
                    cells.append(team)
                cells.append(time)
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        return "\n".join(lines)

    def summary(self) -> str:
        sim = self.sim
        rng = sim.rng
        sentences = []
        for category in sim.categories:
            stage = rng.choice(sim.counted(category)[1:])
            winner = sim.crew(category, sim.stage_ranking(category, stage)[0][0])
            sentences.append(f"{winner.driver} won the {_ORDINAL_WORDS[stage - 1]} stage.")
        for penalty in sim.penalties:
            if penalty.stated != "prose":
                continue
            words = _amount_words(penalty.amount_ms // 60_000, rng)
            sentences.append(
                f"{penalty.driver} received a {words} penalty "
                f"{_stage_words(penalty.stage, rng)} for speeding in a liaison section."
            )
        rng.shuffle(sentences)
        final = {c: self.final[c][0][0].driver for c in sim.categories}
        sentences.append(
            "The rally was won by " + ", ".join(f"{final[c]} ({c})" for c in sim.categories) + "."
        )
        return " ".join(sentences)


# --------------------------------------------------------------------------- planting


def _digit_typo(text: str, rng: random.Random) -> str | None:
    """``text`` with one digit changed, still a valid time, or None."""
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    rng.shuffle(positions)
    for index in positions:
        before = text[index - 1] if index else ""
        limit = 5 if before == ":" else 9
        choices = [d for d in "0123456789" if int(d) <= limit and d != text[index]]
        if index == 0 and len(positions) > 1 and text[1:2] != ":":
            choices = [d for d in choices if d != "0"]
        if not choices:
            continue
        typo = text[:index] + rng.choice(choices) + text[index + 1 :]
        try:
            parse_clock(typo)
        except RallyError:  # an unreadable typo is simply not chosen
            continue
        return typo
    return None


class _Planter:
    def __init__(self, printer: _Printer) -> None:
        self.p = printer
        self.sim = printer.sim
        self.rng = printer.sim.rng
        self.planted: list[Planted] = []
        self.touched: set[tuple[str, int]] = set()
        """(category, stage) blocks already changed: one error per block."""
        self.number_crews: list[tuple[str, str]] = []

    def counted_blocks(self, category: str) -> list[_Block]:
        """Blocks an error may go in: counted, not next to another error, and showing no
        crew penalised in the rally (whose penalty the error could hide)."""
        penalised = {p.key for p in self.sim.penalties if p.category == category}
        return [
            b
            for b in self.p.blocks[category]
            if self.sim.status(category, b.stage) == "counted"
            and (category, b.stage) not in self.touched
            and (category, b.stage - 1) not in self.touched
            and (category, b.stage + 1) not in self.touched
            and not any(h.crew.key in penalised for h in b.results + b.gc)
        ]

    def plant(self, kind: str) -> bool:
        categories = list(self.sim.categories)
        self.rng.shuffle(categories)
        for category in categories:
            method = getattr(self, "_" + kind.replace("-", "_"))
            if method(category):
                return True
        return False

    def _record(
        self,
        kind: str,
        category: str,
        table: str,
        stage: int | None,
        row: int,
        field: str,
        printed: str,
        true: str,
    ) -> None:
        self.planted.append(Planted(kind, category, table, stage, row, field, printed, true))
        if stage is not None:
            self.touched.add((category, stage))

    def _record_time(
        self,
        kind: str,
        category: str,
        table: str,
        stage: int,
        row: int,
        field: str,
        printed: str,
        true: str,
    ) -> None:
        """Record an error in a time or gap: ``printed`` instead of the ``true`` clock text."""
        self._record(
            kind, category, table, stage, row, field, printed, format_time(parse_clock(true))
        )

    def _record_drop(
        self, kind: str, category: str, table: str, stage: int, row: int, printed: str
    ) -> None:
        """Record a row the importer must drop (its printed time ``printed``)."""
        self._record(kind, category, table, stage, row, "row", printed, "drop")

    def _shuffled_blocks(self, category: str) -> list[_Block]:
        """The counted stage blocks of ``category``, in a random order."""
        blocks = self.counted_blocks(category)
        self.rng.shuffle(blocks)
        return blocks

    def _gc_copied(self, category: str) -> bool:
        previous = {b.stage: b for b in self.p.blocks[category]}
        for block in self._shuffled_blocks(category):
            counted = self.sim.counted(category)
            earlier = [s for s in counted if s < block.stage]
            if not earlier or len(block.gc) < 3 or any(h.position is None for h in block.gc):
                continue
            before = previous[earlier[-1]]
            for index in self.rng.sample(range(len(block.gc)), len(block.gc)):
                half = block.gc[index]
                old = next((h for h in before.gc if h.crew is half.crew), None)
                if old is None or old.time is None or old.time == half.time or half.time is None:
                    continue
                if old.gap == half.gap and before.gc.index(old) == index:
                    continue  # the whole row would repeat the stage before's: another error
                true = half.time
                half.time = old.time
                self._record_time(
                    "gc-copied", category, "gc", block.stage, index + 1, "time", old.time, true
                )
                return True
        return False

    def _gap_typo(self, category: str) -> bool:
        for block in self._shuffled_blocks(category):
            table = self.rng.choice(["stage", "gc"])
            halves = block.results if table == "stage" else block.gc
            rows = [i for i, h in enumerate(halves) if i > 0 and h.gap is not None]
            if not rows:
                continue
            index = self.rng.choice(rows)
            half = halves[index]
            assert half.gap is not None
            typo = _digit_typo(half.gap, self.rng)
            if typo is None:
                continue
            true = half.gap
            half.gap = typo
            self._record_time(
                "gap-typo", category, table, block.stage, index + 1, "gap", typo, true
            )
            return True
        return False

    def _winner_time(self, category: str) -> bool:
        for block in self._shuffled_blocks(category):
            halves = block.results
            if len(halves) < 3 or any(h.position is None or h.gap is None for h in halves[1:]):
                continue
            winner = halves[0]
            assert winner.time is not None
            typo = _digit_typo(winner.time, self.rng)
            if typo is None or parse_clock(typo) >= parse_clock(halves[1].time or "0:00"):
                continue
            true = winner.time
            winner.time = typo
            self._record_time("winner-time", category, "stage", block.stage, 1, "time", typo, true)
            return True
        return False

    def _row_from_stage_before(self, category: str) -> bool:
        by_stage = {b.stage: b for b in self.p.blocks[category]}
        for block in self._shuffled_blocks(category):
            earlier = [s for s in by_stage if s < block.stage and by_stage[s].results]
            if not earlier:
                continue
            before = by_stage[max(earlier)]
            for index in (1, 2):
                if index >= len(block.results) or index >= len(before.results):
                    continue
                old, new = before.results[index], block.results[index]
                if old.position is None or new.position is None or old.gap is None:
                    continue
                if any(h.crew is old.crew for h in block.results):
                    continue
                leader = parse_clock(block.results[0].time or "0:00")
                if parse_clock(old.time or "0:00") - leader == parse_clock(old.gap):
                    continue
                if index + 1 < len(block.results) and block.results[index + 1].position is None:
                    continue
                block.results[index] = _Half(old.crew, new.position, old.time, old.gap)
                self._record_drop(
                    "row-from-stage-before",
                    category,
                    "stage",
                    block.stage,
                    index + 1,
                    old.time or "",
                )
                return True
        return False

    def _row_from_row_below(self, category: str) -> bool:
        counted = self.sim.counted(category)
        for block in self._shuffled_blocks(category):
            if len(block.gc) < 3 or any(h.position is None for h in block.gc):
                continue
            second, third = block.gc[1], block.gc[2]
            earlier = [s for s in counted if s < block.stage]
            if not earlier:
                continue
            gc_before = {k for k, p, _ in self.sim.gc(category, earlier[-1]) if p <= 3}
            in_stage = {h.crew.key for h in block.results if h.position is not None}
            if second.crew.key not in gc_before or second.crew.key not in in_stage:
                continue
            if second.time == third.time:
                continue
            block.gc[1] = _Half(second.crew, second.position, third.time, third.gap)
            self._record_drop(
                "row-from-row-below", category, "gc", block.stage, 2, third.time or ""
            )
            return True
        return False

    def _number_twice(self, category: str) -> bool:
        finishers = {crew.key for crew, _, _ in self.p.final[category]}
        listed = [c for c in self.p.principal[category] if c.key not in finishers]
        final = [crew for crew, _, _ in self.p.final[category]]
        printed = set()
        for block in self.p.blocks[category]:
            printed |= {h.crew.key for h in block.results + block.gc}
        listed = [c for c in listed if c.key in printed]
        if not listed or not final:
            return False
        crew = self.rng.choice(listed)
        other = self.rng.choice(final)
        self.p.number_lines[(category, crew.key)] = other.number
        self.number_crews.append((category, crew.key))
        self._record("number-twice", category, "entries", None, 0, "number", other.number, "none")
        return True


# --------------------------------------------------------------------------- API


def synth_article(seed: int, *, errors: bool | Sequence[str] = False) -> SynthArticle:
    """A synthetic article of the simulated rally ``seed``, with its truth.

    ``errors``: True plants one source error of each kind in ``ERROR_KINDS``
    (where the article has a place for it), or name the kinds to plant.
    """
    sim = _Simulation(seed)
    sim.choose_penalties()
    printer = _Printer(sim)
    planter = _Planter(printer)
    kinds = ERROR_KINDS if errors is True else tuple(errors or ())
    for kind in kinds:
        if kind not in ERROR_KINDS:
            raise RallyError.unknown(
                "unknown kind of source error", ERROR_KINDS, kind, where="synth_article errors"
            )
        planter.plant(kind)
    text = printer.text()
    numbered = iter(planter.number_crews)
    planted = [
        attrs.evolve(item, row=printer.entry_lines[next(numbered)])
        if item.table == "entries"
        else item
        for item in planter.planted
    ]
    return SynthArticle(
        seed=seed,
        text=text + "\n",
        title=sim.title,
        rally_id=f"{fold_name(sim.place).replace(' ', '-')}-{sim.year}",
        categories=sim.categories,
        last_stage=sim.last,
        counted={c: tuple(sim.counted(c)) for c in sim.categories},
        stage_truth={
            (c, s): tuple(sim.stage_ranking(c, s))
            for c in sim.categories
            for s in range(1, sim.last + 1)
            if sim.status(c, s) in ("counted", "prologue")
        },
        gc_truth={(c, s): tuple(sim.gc(c, s)) for c in sim.categories for s in sim.counted(c)},
        penalties=tuple(sim.penalties),
        award=(sim.award_category, sim.award_stage, sim.award_ms),
        planted=tuple(planted),
    )


def check_import(synth: SynthArticle, result: ImportResult, decisions: Editorial) -> list[str]:
    """Every way the import of ``synth`` departs from its truth (empty: it is exact).

    ``decisions``: every editorial decision the import used (reviewed and inferred).
    """
    problems: list[str] = []
    rally = Rally(
        [
            Record(seq=index, event=event)
            for index, event in enumerate((result.declaration, *result.events), start=1)
        ]
    )
    dropped = {(e.category, e.table, e.stage, e.row) for e in decisions.errata if e.drops_row}
    for category, tables in result.documented["categories"].items():
        last = synth.counted[category][-1]
        for table in ("stage", "gc", "final"):
            for row in tables[table]:
                stage = row["stage"] if table != "final" else last
                if (category, table, row["stage"], row["row"]) in dropped:
                    continue
                truth = (synth.stage_truth if table == "stage" else synth.gc_truth)[
                    (category, stage)
                ]
                wanted = next(((p, t) for k, p, t in truth if k == fold_name(row["driver"])), None)
                where = f"{category} {table} stage {stage} row {row['row']} ({row['driver']})"
                if wanted is None:
                    problems.append(f"{where}: not in the truth")
                    continue
                try:
                    replay = (
                        rally.stage_result(category, stage)
                        if table == "stage"
                        else rally.standings(category, stage)
                    )
                except QueryError as error:
                    problems.append(f"{where}: no replay ({error})")
                    continue
                found = next(
                    (
                        r
                        for r in replay.rows
                        if fold_name(r.crew[0].name) == fold_name(row["driver"])
                    ),
                    None,
                )
                if found is None:
                    problems.append(f"{where}: not in the replay")
                    continue
                position, time_ms = wanted
                position_ok = found.position == position or (
                    not found.position_certain and found.position <= position
                )
                if found.time_ms != time_ms or not position_ok:
                    problems.append(
                        f"{where}: replayed {found.position} {format_time(found.time_ms)}, true "
                        f"{position} {format_time(time_ms)}"
                    )
    inferred = [e for e in decisions.errata if e.inferred]
    matched: set[str] = set()
    for planted in synth.planted:
        hits = [
            e
            for e in inferred
            if e.category == planted.category
            and e.table == planted.table
            and e.stage == planted.stage
            and e.row == planted.row
            and e.field == planted.field
        ]
        ok = False
        for erratum in hits:
            if planted.true in ("drop", "none"):
                ok = erratum.corrected == planted.true
            else:
                ok = parse_clock(erratum.corrected) == parse_clock(planted.true)
            if ok:
                matched.add(erratum.id)
                break
        if not ok:
            problems.append(
                f"planted {planted.kind} not found: {planted.category} {planted.table} stage "
                f"{planted.stage} row {planted.row} {planted.field} printed {planted.printed}, "
                f"true {planted.true} (inferred there: {[e.corrected for e in hits]})"
            )
    for erratum in inferred:
        if erratum.id not in matched:
            problems.append(f"erratum {erratum.id} matches no planted error: {erratum.evidence}")
    found_penalties = {
        (p.category, fold_name(p.competitor), p.stage, p.amount_ms, p.gc_only)
        for p in decisions.penalties
    }
    true_penalties = {(p.category, p.key, p.stage, p.amount_ms, p.gc_only) for p in synth.penalties}
    for missing in sorted(true_penalties - found_penalties):
        problems.append(f"penalty not found: {missing}")
    for extra in sorted(found_penalties - true_penalties):
        problems.append(f"penalty not in the truth: {extra}")
    category, stage, awarded = synth.award
    cancelled = {
        (e.stage, c): e.awarded_ms
        for e in result.events
        if isinstance(e, StageCancelled)
        for c in e.categories
    }
    if cancelled.get((stage, category)) != awarded:
        problems.append(
            f"award of {format_time(awarded)} not at {category} stage {stage}: {cancelled}"
        )
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Import synthetic articles with inference and check each against its truth.

    ``python -m tests.synthetic_articles FIRST LAST [--no-errors]`` (from the checkout's root)
    prints one line per article that departs from its truth, then a summary;
    exit 1 if any does.
    """
    import argparse
    import time

    from rally_standings.replays.article import infer_decisions, parse_article

    parser = argparse.ArgumentParser(prog="python -m tests.synthetic_articles")
    parser.add_argument("first", type=int)
    parser.add_argument("last", type=int, help="the last seed (included)")
    parser.add_argument("--no-errors", action="store_true", help="plant no source error")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    failed = planted = rows = 0
    for seed in range(args.first, args.last + 1):
        synth = synth_article(seed, errors=not args.no_errors)
        planted += len(synth.planted)
        try:
            inference = infer_decisions(
                parse_article(synth.text, source=f"synth-{seed}.txt"),
                Editorial(),
                source=f"synth-{seed}.txt",
            )
        except RallyError as error:
            failed += 1
            print(f"seed {seed}: refused: {error}")
            continue
        rows += sum(
            len(tables[table])
            for tables in inference.result.documented["categories"].values()
            for table in ("stage", "gc", "final")
        )
        problems = check_import(synth, inference.result, inference.inferred)
        if problems:
            failed += 1
            print(f"seed {seed}: " + "; ".join(problems[:3]))
    count = args.last - args.first + 1
    print(
        f"seeds {args.first}-{args.last}: {count} articles, {rows} printed rows, {planted} "
        f"planted errors; {count - failed} exact, {failed} not "
        f"({time.perf_counter() - started:.0f} s)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
