"""The arithmetic an article's printed numbers must satisfy, as explicit constraints.

Every printed time and gap of a stage ranking, a GC and the final standings
is a *cell* (``Ref`` names it: category, table, stage, printed row, field).
The cells must satisfy linear constraints, each a sum of cells with
coefficients +1/-1 equal to (or, for bounds, at least) a constant:

``gap``
    a row's time minus the first row's time is its printed gap;
``step``
    a crew's GC after stage b minus its GC after stage a is the sum of its
    printed stage times in between, plus awarded times and penalties (when
    every stage in between is printed for it);
``span``
    the same difference, when some stages in between are not printed for it,
    leaves for those stages at least what the printed rankings allow: a crew
    not printed in a stage's ranking was no faster than the last printed row;
``gc-bound``
    a crew whose GC after a stage follows from printed numbers, and which is
    not printed in that GC, is no faster than the last printed row;
``final``
    the final standings give the same total as the GC after the last stage;
``ranked``
    a penalty counted in a stage's ranking cannot fall on a crew printed in
    that ranking with its own time (the replay would show another time).

A ``Model`` holds the cells (with the values the import used, errata
applied) and the constraints; penalties and awarded times enter as
constants. The inference rules read violations, and which cells each
violated or satisfied constraint involves, from it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Literal

import attrs

from ...events import format_signed, format_time
from ._import import (
    Analysis,
    CategoryData,
    PrintedRow,
    known_prefix,
)

__all__ = ["Cell", "Constraint", "Model", "PenaltyTerm", "Ref", "build_model"]

TableName = Literal["stage", "gc", "final"]
Kind = Literal["gap", "step", "span", "gc-bound", "final", "ranked"]


@attrs.frozen
class Ref:
    """A printed value: which table, stage, printed row (1-based) and field."""

    category: str
    table: TableName
    stage: int | None
    row: int
    field: Literal["time", "gap"]

    def order(self) -> tuple[str, str, int, int, str]:
        """A key that sorts refs by category, table, stage, row and field."""
        return (self.category, self.table, self.stage or 0, self.row, self.field)


@attrs.frozen
class Cell:
    """A printed value, the value the import uses for it, and where it is printed."""

    ref: Ref
    value: int
    line: int
    driver: str
    key: str
    printed: str | None

    def where(self) -> str:
        """``Sainct's GC after stage 12 (line 154)`` and the like."""
        ref = self.ref
        what = {
            "stage": f"stage-{ref.stage} time" if ref.field == "time" else f"stage-{ref.stage} gap",
            "gc": f"GC after stage {ref.stage}"
            if ref.field == "time"
            else f"GC gap after stage {ref.stage}",
            "final": "final time" if ref.field == "time" else "final gap",
        }[ref.table]
        return f"{self.driver}'s {what} (line {self.line})"


@attrs.frozen
class PenaltyTerm:
    """A penalty as the model counts it: in the GC always, in the stage ranking unless GC-only."""

    category: str
    key: str
    stage: int
    amount_ms: int
    gc_only: bool = True
    in_stage_time: bool = False
    label: str = "penalty"


@attrs.frozen
class Constraint:
    """``sum(coefficient * cell) == constant`` (or ``>=`` when not an equality)."""

    kind: Kind
    category: str
    key: str | None
    stage: int | None
    first: int | None
    terms: tuple[tuple[Ref, int], ...]
    constant: int
    equality: bool
    words: str
    """The relation in words, naming the printed values and their lines."""

    def refs(self) -> tuple[Ref, ...]:
        """The cells the constraint involves."""
        return tuple(ref for ref, _ in self.terms)


def _lin(*parts: Iterable[tuple[Ref, int]]) -> tuple[tuple[Ref, int], ...]:
    """The sum of linear terms: coefficients of a cell added up, cells at 0 left out."""
    total: dict[Ref, int] = defaultdict(int)
    for part in parts:
        for ref, coefficient in part:
            total[ref] += coefficient
    return tuple((ref, c) for ref, c in total.items() if c != 0)


@attrs.frozen
class _Point:
    """A crew's GC after a stage (0: the start) as a sum of cells, its value and words."""

    stage: int
    terms: tuple[tuple[Ref, int], ...]
    value: int
    words: str


class Model:
    """Cells and constraints of every category of one import."""

    def __init__(self) -> None:
        self.cells: dict[Ref, Cell] = {}
        self.constraints: list[Constraint] = []
        self._by_ref: dict[Ref, list[Constraint]] = defaultdict(list)

    def add(self, constraint: Constraint) -> None:
        """Add a constraint (one with no cells left is dropped: it cannot be wrong)."""
        if not constraint.terms:
            return
        self.constraints.append(constraint)
        for ref in constraint.refs():
            self._by_ref[ref].append(constraint)

    def lhs(self, constraint: Constraint, changed: dict[Ref, int] | None = None) -> int:
        """The constraint's sum of cells (with ``changed`` values where given)."""
        values = changed or {}
        return sum(c * values.get(ref, self.cells[ref].value) for ref, c in constraint.terms)

    def residual(self, constraint: Constraint, changed: dict[Ref, int] | None = None) -> int:
        """Sum minus constant: 0 for an equality that holds, >= 0 for a bound that holds."""
        return self.lhs(constraint, changed) - constraint.constant

    def holds(self, constraint: Constraint, changed: dict[Ref, int] | None = None) -> bool:
        """Whether the constraint holds."""
        residual = self.residual(constraint, changed)
        return residual == 0 if constraint.equality else residual >= 0

    def violations(self) -> list[Constraint]:
        """Every constraint that does not hold."""
        return [c for c in self.constraints if not self.holds(c)]

    def containing(self, ref: Ref) -> list[Constraint]:
        """The constraints that involve ``ref``."""
        return self._by_ref.get(ref, [])

    def confirmations(self, ref: Ref) -> list[Constraint]:
        """The equalities involving ``ref`` that hold: they confirm its printed value."""
        return [c for c in self.containing(ref) if c.equality and self.holds(c)]


def _own_refs(rows: Sequence[PrintedRow], category: str) -> list[Ref]:
    """Each row's time cell: its own, or (a tie) that of the row above it."""
    refs: list[Ref] = []
    for row in rows:
        if row.time_from_above and refs:
            refs.append(refs[-1])
        else:
            assert row.stage is not None
            refs.append(Ref(category, row.table, row.stage, row.row, "time"))  # type: ignore[arg-type]
    return refs


def _cells_of_block(model: Model, cat: CategoryData, table: TableName, stage: int) -> None:
    """The time and gap cells of a printed stage ranking or GC, and its ``gap`` constraints."""
    rows = (cat.stage_rows if table == "stage" else cat.gc_rows).get(stage, [])
    refs = _own_refs(rows, cat.name)
    for row, ref in zip(rows, refs, strict=True):
        if not row.time_from_above:
            model.cells[ref] = Cell(ref, row.time_ms, row.line, row.driver, row.key, row.time_text)
        if row.gap_printed and row.gap_ms is not None:
            gap = Ref(cat.name, table, stage, row.row, "gap")
            model.cells[gap] = Cell(gap, row.gap_ms, row.line, row.driver, row.key, row.gap_text)
    if not rows or rows[0].row != 1:
        return
    leader = refs[0]
    label = f"stage {stage} ranking" if table == "stage" else f"GC after stage {stage}"
    for row, ref in zip(rows[1:], refs[1:], strict=True):
        if not (row.gap_printed and row.gap_ms is not None):
            continue
        gap = Ref(cat.name, table, stage, row.row, "gap")
        behind = row.time_ms - rows[0].time_ms
        model.add(
            Constraint(
                kind="gap",
                category=cat.name,
                key=row.key,
                stage=stage,
                first=None,
                terms=_lin([(ref, 1), (leader, -1), (gap, -1)]),
                constant=0,
                equality=True,
                words=f"{label}: {row.driver}'s {format_time(row.time_ms)} (line {row.line}) "
                f"is {format_signed(behind)} behind {rows[0].driver}'s "
                f"{format_time(rows[0].time_ms)} (line {rows[0].line}); the printed gap is "
                f"{format_signed(row.gap_ms)}",
            )
        )


def _final_cells(model: Model, cat: CategoryData) -> dict[str, _Point]:
    """The final standings' cells, and each crew's final total as a point."""
    points: dict[str, _Point] = {}
    leader: Ref | None = None
    for row in cat.final:
        if row.gap_printed and leader is not None:
            gap = Ref(cat.name, "final", None, row.row, "gap")
            model.cells[gap] = Cell(
                gap, row.gap_ms or 0, row.line, row.driver, row.key, row.gap_text
            )
            terms = _lin([(leader, 1), (gap, 1)])
        else:
            ref = Ref(cat.name, "final", None, row.row, "time")
            model.cells[ref] = Cell(ref, row.time_ms, row.line, row.driver, row.key, row.time_text)
            terms = ((ref, 1),)
            if leader is None:
                leader = ref
        points[row.key] = _Point(0, terms, row.time_ms, f"final standings (line {row.line})")
    return points


def _penalty_terms(analysis: Analysis, category: str) -> list[PenaltyTerm]:
    """The category's penalty decisions that have a stage (their own or the one placed)."""
    terms = []
    for decision in analysis.editorial.penalties:
        if decision.category != category:
            continue
        stage = decision.stage if decision.stage is not None else analysis.placed.get(decision.id)
        if stage is None:
            continue
        terms.append(
            PenaltyTerm(
                category=category,
                key=analysis.key(decision.competitor),
                stage=stage,
                amount_ms=decision.amount_ms,
                gc_only=decision.gc_only,
                in_stage_time=decision.in_stage_time,
                label=f"penalty {decision.id}",
            )
        )
    return terms


def build_model(
    analysis: Analysis,
    extra: Sequence[PenaltyTerm] = (),
    *,
    categories: Iterable[str] | None = None,
) -> Model:
    """The cells and constraints of an import, with ``extra`` penalties (hypotheses) counted.

    ``categories``: only these (by default every category).
    """
    model = Model()
    wanted = set(categories) if categories is not None else None
    for cat in analysis.categories:
        if wanted is not None and cat.name not in wanted:
            continue
        _build_category(
            model,
            cat,
            _penalty_terms(analysis, cat.name) + [p for p in extra if p.category == cat.name],
        )
    return model


def _build_category(model: Model, cat: CategoryData, penalties: Sequence[PenaltyTerm]) -> None:
    """Add a category's cells and constraints to ``model`` (none without a counted stage)."""
    counted = sorted(s for s, status in cat.stages.items() if status == "counted")
    if not counted:
        return
    for stage in sorted(cat.stage_rows):
        _cells_of_block(model, cat, "stage", stage)
    for stage in sorted(cat.gc_rows):
        _cells_of_block(model, cat, "gc", stage)
    finals = _final_cells(model, cat)
    constraints = _CategoryConstraints(model, cat, counted, penalties)
    constraints.final(finals)
    constraints.ranked()
    for key in sorted(set(constraints.points) | set(constraints.timed)):
        constraints.crew(key)


class _CategoryConstraints:
    """The constraints on one category's cells beyond the gaps: each crew's GC steps and
    spans, its GC bounds, the final standings against the last GC, ranked penalties."""

    def __init__(
        self,
        model: Model,
        cat: CategoryData,
        counted: Sequence[int],
        penalties: Sequence[PenaltyTerm],
    ) -> None:
        self.model = model
        self.cat = cat
        self.counted = counted
        self.final_stage = counted[-1]
        self.penalties = penalties
        self.awards = dict(cat.awards)
        self.by_key: dict[str, list[PenaltyTerm]] = defaultdict(list)
        for penalty in penalties:
            self.by_key[penalty.key].append(penalty)
        self.timed: dict[str, dict[int, Ref]] = defaultdict(dict)
        """Per crew key and stage: the cell of its printed stage time."""
        self.timed_rows: dict[str, dict[int, PrintedRow]] = defaultdict(dict)
        self.last_stage_time: dict[int, tuple[int, PrintedRow]] = {}
        """Per stage: the time of the last row the source vouches for, and that row."""
        self.points: dict[str, dict[int, _Point]] = defaultdict(dict)
        """Per crew key and stage: its GC after that stage, as cells."""
        self.printed_gc: dict[int, set[str]] = defaultdict(set)
        """Per stage: the crews printed in the GC after it."""
        self.last_gc: dict[int, tuple[int, PrintedRow]] = {}
        """Per stage: the time of the GC's last row the source vouches for, and that row."""
        self.read_stage_rows()
        self.read_gc_rows()

    def add(
        self,
        kind: Kind,
        key: str,
        stage: int,
        first: int | None,
        terms: tuple[tuple[Ref, int], ...],
        constant: int,
        *,
        equality: bool,
        words: str,
    ) -> None:
        """Add a constraint on this category's cells to the model."""
        self.model.add(
            Constraint(kind, self.cat.name, key, stage, first, terms, constant, equality, words)
        )

    def read_stage_rows(self) -> None:
        """Each crew's printed stage times (the first row if printed twice), and each stage
        ranking's last row."""
        for stage, rows in self.cat.stage_rows.items():
            refs = _own_refs(rows, self.cat.name)
            for row, ref in zip(rows, refs, strict=True):
                if stage not in self.timed[row.key]:
                    self.timed[row.key][stage] = ref
                    self.timed_rows[row.key][stage] = row
            known = known_prefix(rows)
            if known:
                self.last_stage_time[stage] = (rows[known - 1].time_ms, rows[known - 1])

    def read_gc_rows(self) -> None:
        """Each crew's printed GC times, and each GC's last row (the final standings' after
        the last stage, where it is slower)."""
        for stage, rows in self.cat.gc_rows.items():
            refs = _own_refs(rows, self.cat.name)
            for row, ref in zip(rows, refs, strict=True):
                self.printed_gc[stage].add(row.key)
                self.points[row.key][stage] = _Point(
                    stage, ((ref, 1),), row.time_ms, f"GC after stage {stage} (line {row.line})"
                )
            known = known_prefix(rows)
            if known:
                self.last_gc[stage] = (rows[known - 1].time_ms, rows[known - 1])
        for row in self.cat.final:
            self.printed_gc[self.final_stage].add(row.key)
            if self.last_gc.get(self.final_stage, (0,))[0] <= row.time_ms:
                self.last_gc[self.final_stage] = (row.time_ms, row)

    def final(self, finals: dict[str, _Point]) -> None:
        """A crew's final total is its GC after the last stage: a ``final`` constraint where
        that GC is printed, else the final total stands as that GC."""
        for key, final in finals.items():
            at_final = self.points[key].get(self.final_stage)
            if at_final is None:
                self.points[key][self.final_stage] = attrs.evolve(final, stage=self.final_stage)
                continue
            words = (
                f"the final standings give {format_time(final.value)} ({final.words}), "
                f"the GC after the last stage {format_time(at_final.value)} ({at_final.words})"
            )
            self.add(
                "final",
                key,
                self.final_stage,
                None,
                _lin(at_final.terms, [(r, -c) for r, c in final.terms]),
                0,
                equality=True,
                words=words,
            )

    def ranked(self) -> None:
        """A penalty counted in a stage's ranking, on a crew printed there with its own time:
        the printed time would have to include it (a ``ranked`` constraint)."""
        for penalty in self.penalties:
            ranked_row = self.timed_rows.get(penalty.key, {}).get(penalty.stage)
            if ranked_row is None or penalty.gc_only or penalty.in_stage_time:
                continue
            words = (
                f"{ranked_row.driver} is printed in the stage-{penalty.stage} ranking with "
                f"{format_time(ranked_row.time_ms)} (line {ranked_row.line}), which "
                f"{penalty.label} counted in the ranking would make "
                f"{format_time(ranked_row.time_ms + penalty.amount_ms)}"
            )
            self.add(
                "ranked",
                penalty.key,
                penalty.stage,
                None,
                ((self.timed[penalty.key][penalty.stage], 1),),
                ranked_row.time_ms + penalty.amount_ms,
                equality=True,
                words=words,
            )

    def constant(self, key: str, a: int, b: int, timed_stages: Iterable[int]) -> tuple[int, str]:
        """The awarded times and penalties of crew ``key`` after stage ``a`` up to ``b``
        (less penalties a printed stage time includes), and ``+ …`` naming them."""
        awarded = sum(ms for s, ms in self.awards.items() if a < s <= b)
        pens = [p for p in self.by_key.get(key, []) if a < p.stage <= b]
        inside = [p for p in pens if p.in_stage_time and p.stage in set(timed_stages)]
        total = awarded + sum(p.amount_ms for p in pens) - sum(p.amount_ms for p in inside)
        words = []
        if awarded:
            words.append(f"{format_time(awarded)} awarded")
        words += [
            f"{format_time(p.amount_ms)} ({p.label})"
            if p.amount_ms > 0
            else f"{format_signed(p.amount_ms)} ({p.label})"
            for p in pens
            if p not in inside
        ]
        return total, (" + " + " + ".join(words)) if words else ""

    def lower_bound(self, key: str, stage: int) -> tuple[int, str]:
        """The least time crew ``key``, not printed in the stage's ranking, can have on it:
        the ranking's last printed time (less the crew's penalties counted in it), at least
        1 ms; and that in words."""
        if stage not in self.last_stage_time:
            return 1, f"stage {stage} (no ranking printed)"
        slowest, row = self.last_stage_time[stage]
        ranked = sum(
            p.amount_ms
            for p in self.by_key.get(key, [])
            if p.stage == stage and not p.gc_only and not p.in_stage_time
        )
        bound = max(1, slowest - ranked)
        less = f" less its {format_signed(ranked)} counted in the ranking" if ranked else ""
        return bound, (
            f"stage {stage} at least {format_time(bound)} (not in that ranking, whose last "
            f"printed row is {row.driver}'s {format_time(slowest)}, line {row.line}{less})"
        )

    def driver(self, key: str) -> str:
        """The printed name of crew ``key``: from a stage ranking, a GC or the final standings."""
        cat = self.cat
        return next(
            (r.driver for r in self.timed_rows.get(key, {}).values()),
            next(
                (r.driver for rows in cat.gc_rows.values() for r in rows if r.key == key),
                next((r.driver for r in cat.final if r.key == key), key),
            ),
        )

    def crew(self, key: str) -> None:
        """The constraints of one crew: a step or a span between each two consecutive known
        GC times, then a GC bound after each stage it is not printed in the GC of."""
        driver = self.driver(key)
        chain = [_Point(0, (), 0, "the start")] + [
            self.points[key][s] for s in sorted(self.points.get(key, {}))
        ]
        for a, b in itertools.pairwise(chain):
            self.step(key, driver, a, b)
        for s in self.counted:
            self.gc_bound(key, driver, chain, s)

    def step(self, key: str, driver: str, a: _Point, b: _Point) -> None:
        """GC ``b`` less GC ``a`` is the printed stage times between plus awards and
        penalties (``step``), or leaves at least the lower bounds of the stages between
        not printed for the crew (``span``)."""
        timed, timed_rows = self.timed.get(key, {}), self.timed_rows.get(key, {})
        span = [s for s in self.counted if a.stage < s <= b.stage]
        own = [s for s in span if s in timed]
        missing = [s for s in span if s not in timed]
        fixed, fixed_words = self.constant(key, a.stage, b.stage, own)
        terms = _lin(b.terms, [(r, -c) for r, c in a.terms], [(timed[s], -1) for s in own])
        own_words = " + ".join(
            f"stage-{s} time {format_time(timed_rows[s].time_ms)} (line {timed_rows[s].line})"
            for s in own
        )
        head = (
            f"{driver}'s GC goes from {format_time(a.value)} ({a.words}) to "
            f"{format_time(b.value)} ({b.words}), {format_time(b.value - a.value)}"
        )
        if not missing:
            words = (
                f"{head}; the printed {own_words}{fixed_words} "
                + ("add up to " if len(own) > 1 or fixed_words else "is ")
                + format_time(fixed + sum(timed_rows[s].time_ms for s in own))
            )
            self.add("step", key, b.stage, a.stage, terms, fixed, equality=True, words=words)
            return
        bounds = [self.lower_bound(key, s) for s in missing]
        words = (
            f"{head}"
            + (f"; less the printed {own_words}" if own else "")
            + (f"{fixed_words.replace(' + ', '; less ', 1)}" if fixed_words else "")
            + "; it must leave "
            + "; ".join(words for _, words in bounds)
        )
        self.add(
            "span",
            key,
            b.stage,
            a.stage,
            terms,
            fixed + sum(bound for bound, _ in bounds),
            equality=False,
            words=words,
        )

    def gc_bound(self, key: str, driver: str, chain: Sequence[_Point], s: int) -> None:
        """After stage ``s``, where crew ``key`` is not in the printed GC but printed numbers
        give its GC (its last known GC and every stage time since), it is no faster than the
        GC's last printed row (``gc-bound``)."""
        if s in self.points.get(key, {}) or s not in self.last_gc or key in self.printed_gc[s]:
            return
        before = [p for p in chain if p.stage < s]
        if not before:
            return  # a stage numbered 0: nothing before it to start from
        a = before[-1]
        span = [u for u in self.counted if a.stage < u <= s]
        timed, timed_rows = self.timed.get(key, {}), self.timed_rows.get(key, {})
        if any(u not in timed for u in span):
            return
        fixed, fixed_words = self.constant(key, a.stage, s, span)
        slowest, row = self.last_gc[s]
        computed = a.value + fixed + sum(timed_rows[u].time_ms for u in span)
        words = (
            f"{driver}'s GC after stage {s} follows from {format_time(a.value)} "
            f"({a.words}) + "
            + " + ".join(
                f"stage-{u} time {format_time(timed_rows[u].time_ms)} (line {timed_rows[u].line})"
                for u in span
            )
            + f"{fixed_words} = {format_time(computed)}; {driver} is not in that GC, "
            f"whose last printed row is "
            f"{row.driver}'s {format_time(slowest)} (line {row.line})"
        )
        self.add(
            "gc-bound",
            key,
            s,
            a.stage,
            _lin(a.terms, [(timed[u], 1) for u in span]),
            slowest - fixed,
            equality=False,
            words=words,
        )
