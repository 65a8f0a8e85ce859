"""Infer the editorial decisions of an article nobody has reviewed.

``infer_decisions`` imports an article on top of the reviewed decisions (if
any; a reviewed decision always wins) and resolves, rule by rule, every
inconsistency the check finds, the way a careful statistician would. Each
decision is an editorial decision marked ``inferred``, with its evidence in
plain words; the events it produces carry provenance ``inferred``.

The rules, in the order they are tried (awards and names first, then each
round applies the first rule that decides something and imports again):

1. **Awarded times** a note gives without a stage: the stage the importer's
   check places them at (the only cancelled stage, or the only one that makes
   every GC step add up) becomes an explicit ``[[award]]``.
2. **Name variants** of one crew: a co-driver printed in two spellings of one
   name in the same crew's rows, a principal-entry name that differs from the
   name printed against the same number and make.
3. **A race number given to two crews**: the results table keeps it, the
   principal-entry list's number is taken as unknown.
4. **A printed value that breaks two or more equalities** that all put it at
   one same value, while no equality confirms it (a GC time copied from the
   stage before, a winner's time the gaps below contradict, a time typo its
   GC step contradicts): corrected to that value.
5. **A row repeated from the stage before** (same crew, time and gap at the
   same place) that breaks a constraint: dropped.
6. **A GC step larger than the printed stage times by exactly an amount the
   text names for that crew**: that penalty, GC-only (the stage ranking prints
   the time without it).
7. **A row whose time and gap repeat the row below** (or above), where the
   copy breaks a constraint and the original does not: dropped.
8. **A crew the numbers put ahead of a GC it is not printed in**, with a
   penalty named for it in the text: that penalty, at the stage where it makes
   the numbers agree.
9. **A GC step larger than the printed stage times** while every value
   involved is confirmed elsewhere and the text names nothing: a penalty the
   arithmetic alone reveals.
10. **One broken equality**: the value whose correction makes every relation
    it is in hold; a time and its gap that disagree with nothing else to
    decide: the printed time is kept and the gap recomputed (the rule the
    reviewed files follow).
11. **Penalties the text states that no number shows**: recorded at the stage
    the text names (the amount stated most often; counted in the stage ranking
    only where the ranking shows it must be), or, when the text names no stage
    (or the numbers exclude it), listed as ``[[unrecorded]]`` with the reason.

It refuses (``ArticleImportError``, nothing written) only where no rule decides
between readings that change a standings row; the error lists the readings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any, Literal

import attrs

from ...engine import Rally, fold_name
from ...events import QueryError, Record, format_signed, format_time
from ._constraints import (
    Cell,
    Constraint,
    Model,
    PenaltyTerm,
    Ref,
    build_model,
)
from ._editorial import (
    Alias,
    Award,
    Editorial,
    Erratum,
    PenaltyDecision,
    Source,
    Unrecorded,
    dump_decisions,
    dump_editorial,
)
from ._import import (
    Analysis,
    ArticleImportError,
    CategoryData,
    ImportResult,
    PrintedRow,
    import_parsed,
)
from ._parse import Article
from ._text import Mention, penalty_mentions
from ._verify import check_replay

__all__ = ["Inference", "draft_text", "infer_decisions"]

_ROUNDS = 60
_MODEL_KINDS = {"stage-gap", "gc-gap", "gc-step", "nonpositive", "final-vs-gc"}


@attrs.frozen
class Inference:
    """The inferred decisions, one line of words for each, and the import they give."""

    inferred: Editorial
    lines: tuple[str, ...]
    result: ImportResult


class _Refused(Exception):
    def __init__(self, what: str, lines: Sequence[str]) -> None:
        super().__init__(what)
        self.what = what
        self.lines = tuple(lines)


# --------------------------------------------------------------------------- words


def _like(printed: str | None, ms: int) -> str:
    """``ms`` written the way ``printed`` is: ``m:ss`` below an hour unless printed ``h:mm:ss``."""
    sign = "+" if printed is not None and printed.strip().startswith("+") else ""
    if (printed is not None and printed.count(":") == 2) or ms >= 3_600_000:
        return sign + format_time(ms)
    return f"{sign}{ms // 60_000}:{ms // 1000 % 60:02d}"


def _short(ms: int) -> str:
    """A gap or a penalty in words-friendly form: ``5:00``, ``1:04:38``."""
    return _like(None, ms)


def _table_words(ref: Ref) -> str:
    if ref.table == "final":
        return "final standings"
    return f"{'GC after' if ref.table == 'gc' else 'ranking of'} stage {ref.stage}"


def _slug(text: str) -> str:
    words = fold_name(text).replace(" ", "-")
    return "".join(ch for ch in words if ch.isalnum() or ch == "-").strip("-") or "crew"


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (a swap of two neighbouring letters counts one)."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


def name_variant(a: str, b: str) -> str | None:
    """How two spellings of one person's name differ, or None if they are different people.

    The first names must agree; then either one name adds words to the other
    (a second surname) or one word differs by at most two letters (one
    swapped pair or one changed letter in a short word).
    """
    fa, fb = fold_name(a).split(), fold_name(b).split()
    if fa == fb or not fa or not fb or fa[0] != fb[0]:
        return None
    if set(fa) < set(fb) or set(fb) < set(fa):
        extra = set(fa) ^ set(fb)
        return f"one adds {' '.join(sorted(extra))!r} to the other"
    if len(fa) != len(fb):
        return None
    differing = [(x, y) for x, y in zip(fa, fb, strict=True) if x != y]
    if len(differing) != 1:
        return None
    x, y = differing[0]
    distance = _distance(x, y)
    if distance == 1 and len(x) >= 4:
        if sorted(x) == sorted(y) and len(x) == len(y):
            return "two neighbouring letters are swapped"
        return "one letter differs"
    return None


# --------------------------------------------------------------------------- standings


def _records(result: ImportResult) -> list[Record]:
    return [
        Record(seq=index, event=event)
        for index, event in enumerate((result.declaration, *result.events), start=1)
    ]


def _snapshot(result: ImportResult) -> tuple[Any, ...]:
    """Every standings row of the replay: GC, stage ranking and final, per category."""
    rally = Rally(_records(result))
    rows: list[Any] = []
    for category in rally.categories:
        for stage in rally.stages():
            for query in (rally.standings, rally.stage_result):
                try:
                    table = query(category, stage)
                except QueryError:  # a stage with no ranking for this category
                    continue
                rows.append(
                    (
                        category,
                        stage,
                        query.__name__,
                        *((r.entry_id, r.position, r.time_ms) for r in table.rows),
                    )
                )
    return tuple(rows)


# --------------------------------------------------------------------------- the inferrer


@attrs.frozen
class _Candidate:
    ref: Ref
    value: int
    fixed: tuple[Constraint, ...]
    penalty: tuple[Constraint, int, int, int] | None = None
    """With a penalty the text names: (the GC step it falls in, its stage, amount, mention)."""
    dissent: tuple[Constraint, ...] = ()
    """Broken relations that disagree because they hold a second wrong value."""


def _twin(analysis: Analysis, ref: Ref) -> bool:
    """Whether the row of ``ref`` prints the same time and gap as a row next to it."""
    if ref.table == "final" or ref.stage is None:
        return False
    block = _printed_block(analysis, ref.category, ref.table, ref.stage)
    row = next((r for r in block if r.row == ref.row), None)
    if row is None or row.time_text is None:
        return False
    return any(
        abs(other.row - row.row) == 1
        and other.time_text == row.time_text
        and other.gap_text == row.gap_text
        for other in block
    )


def _strong(candidate: _Candidate) -> bool:
    """A value that breaks two or more equalities, all of which put it at one value."""
    return sum(1 for c in candidate.fixed if c.equality) >= 2


def _signature(c: Constraint) -> tuple[Any, ...]:
    return (c.kind, c.category, c.key, c.stage, c.first, c.terms)


class _Inferrer:
    def __init__(
        self, article: Article, reviewed: Editorial, source: str, rally_id: str | None
    ) -> None:
        self.article = article
        self.reviewed = reviewed
        self.source = source
        self.rally_id = rally_id
        self.errata: list[Erratum] = []
        self.penalties: list[PenaltyDecision] = []
        self.aliases: list[Alias] = []
        self.awards: list[Award] = []
        self.unrecorded: list[Unrecorded] = []
        self.lines: list[str] = []
        self.done_mentions: set[tuple[int, str, str]] = set()
        self.mentions: list[Mention] = []
        self.analysis: Analysis

    # ------------------------------------------------------------------ plumbing

    def inferred(self) -> Editorial:
        return Editorial(
            errata=tuple(self.errata),
            penalties=tuple(self.penalties),
            aliases=tuple(self.aliases),
            awards=tuple(self.awards),
            unrecorded=tuple(self.unrecorded),
        )

    def editorial(self, extra: Editorial | None = None) -> Editorial:
        decisions = self.reviewed.extended(self.inferred())
        return decisions.extended(extra) if extra is not None else decisions

    def import_(self, extra: Editorial | None = None) -> ImportResult:
        return import_parsed(
            self.article, self.editorial(extra), source=self.source, rally_id=self.rally_id
        )

    def taken_ids(self) -> set[str]:
        return {e.id for e in self.editorial().errata} | {p.id for p in self.editorial().penalties}

    def unique_id(self, base: str) -> str:
        taken = self.taken_ids()
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def add_erratum(
        self,
        cell_ref: Ref,
        printed: str,
        corrected: str,
        *,
        field: Literal["time", "gap", "row", "number"],
        kind: str,
        evidence: str,
        row: int | None = None,
        table: Literal["stage", "gc", "final", "entries"] | None = None,
    ) -> None:
        table = table or cell_ref.table
        place = (
            f"s{cell_ref.stage:02d}-{table}{cell_ref.row}"
            if cell_ref.stage is not None
            else f"{table}{row if row is not None else cell_ref.row}"
        )
        erratum = Erratum(
            id=self.unique_id(f"inferred-{cell_ref.category}-{place}-{field}"),
            category=cell_ref.category,
            table=table,
            stage=cell_ref.stage if table in ("stage", "gc") else None,
            row=row if row is not None else cell_ref.row,
            field="time" if table == "final" and field == "gap" else field,
            printed=printed,
            corrected=corrected,
            evidence=evidence,
            kind=kind,
            inferred=True,
        )
        self.errata.append(erratum)
        where = (
            f"principal entries, line {erratum.row}"
            if table == "entries"
            else f"{_table_words(cell_ref)}, row {erratum.row}"
        )
        used = "row dropped" if corrected == "drop" else f"{corrected}"
        self.lines.append(
            f"erratum {erratum.id}: {erratum.category} {where}: {field} {printed} -> {used} "
            f"({kind})"
        )

    def add_penalty(self, decision: PenaltyDecision, driver: str) -> None:
        self.penalties.append(decision)
        scope = "GC only" if decision.gc_only else "stage ranking and GC"
        self.lines.append(
            f"penalty {decision.id}: {decision.category} {driver}, "
            f"{format_signed(decision.amount_ms)} at stage {decision.stage}, {scope} "
            f"({'arithmetic' if decision.source == 'arithmetic' else decision.source})"
        )

    def infer_penalty(
        self,
        category: str,
        driver: str,
        stage: int,
        amount: int,
        gc_only: bool,
        reason: str,
        source: Source,
        evidence: str,
    ) -> None:
        """Add an inferred penalty (never already in the printed stage time) for ``driver``."""
        decision = PenaltyDecision(
            id=self.unique_id(f"inferred-{category}-{_slug(driver)}-s{stage:02d}"),
            category=category,
            competitor=driver,
            stage=stage,
            amount_ms=amount,
            gc_only=gc_only,
            in_stage_time=False,
            reason=reason,
            source=source,
            evidence=evidence,
            inferred=True,
        )
        self.add_penalty(decision, driver)

    # ------------------------------------------------------------------ run

    def run(self) -> Inference:
        result = self.import_()
        assert result.analysis is not None
        self.mentions = _mentions(result.analysis)
        self.infer_aliases(result.analysis)
        for _ in range(_ROUNDS):
            result = self.import_()
            analysis = result.analysis
            assert analysis is not None
            self.analysis = analysis
            if self.infer_awards(analysis):
                continue
            model = build_model(analysis)
            violations = model.violations()
            other = [i for i in result.issues if i.kind not in _MODEL_KINDS]
            conflicts = [i for i in other if i.kind == "number-conflict"]
            pending = [i for i in other if i.kind == "unplaced-award"]
            blocking = [i for i in other if i.kind not in ("number-conflict", "unplaced-award")]
            if blocking:
                raise _Refused(
                    f"{len(blocking)} problems no inference rule addresses",
                    [str(issue) for issue in blocking],
                )
            if not violations and not conflicts and not pending:
                break
            if conflicts and self.number_conflicts(analysis):
                continue
            if pending:
                # errata first (they do not depend on where the award goes), then the award
                if self.strong_culprits(model, violations) or self.repeated_rows(
                    analysis, model, violations, below=False
                ):
                    continue
                if self.place_pending_awards(analysis):
                    continue
                raise _Refused(
                    f"{len(pending)} problems no inference rule addresses",
                    [str(issue) for issue in pending],
                )
            if not self.apply_rules(analysis, model, violations):
                raise _Refused(
                    f"{len(violations) + len(conflicts)} inconsistencies no rule decides",
                    self.readings(model, violations) + [str(i) for i in conflicts],
                )
        else:
            raise _Refused("the inference does not settle", [])
        self.text_penalties()
        result = self.import_()
        if result.issues:
            raise _Refused(
                f"{len(result.issues)} inconsistencies left after inference",
                [str(issue) for issue in result.issues],
            )
        report = check_replay(Rally(_records(result)), result.documented, self.editorial())
        if report.differences:
            raise _Refused(
                f"{report.differences} printed rows the inferred log does not reproduce",
                [f"{d.where}: {d.what}" for d in report.found],
            )
        return Inference(inferred=self.inferred(), lines=tuple(self.lines), result=result)

    def apply_rules(
        self, analysis: Analysis, model: Model, violations: Sequence[Constraint]
    ) -> bool:
        """Apply the first rule that decides something; whether one did."""
        return (
            self.strong_culprits(model, violations)
            or self.repeated_rows(analysis, model, violations, below=False)
            or self.residual_penalties(analysis, model, violations, named=True)
            or self.repeated_rows(analysis, model, violations, below=True)
            or self.bound_penalties(analysis, model, violations)
            or self.residual_penalties(analysis, model, violations, named=False)
            or self.single_culprits(model, violations)
        )

    # ------------------------------------------------------------------ awards

    def place_pending_awards(self, analysis: Analysis) -> bool:
        """An award the importer could not place: the stage where fewest relations break."""
        for cat in analysis.categories:
            if cat.award_pending is None:
                continue
            amount, stages, line = cat.award_pending
            counts = {}
            for stage in stages:
                trial = Award(cat.name, stage, amount, "trial", inferred=True)
                result = self.import_(Editorial(awards=(trial,)))
                assert result.analysis is not None
                counts[stage] = len(
                    build_model(result.analysis, categories=[cat.name]).violations()
                )
            best = min(counts.values())
            winners = [s for s, n in counts.items() if n == best]
            if len(winners) != 1:
                continue
            per_choice = ", ".join(f"stage {s}: {n}" for s, n in sorted(counts.items()))
            words = (
                f"the note of line {line} awards {format_time(amount)} and names no stage; of "
                f"the stages cancelled for {cat.name} ({', '.join(map(str, stages))}), stage "
                f"{winners[0]} leaves the fewest printed relations broken (per choice: "
                f"{per_choice}), the others being printed errors corrected separately"
            )
            self.add_award(cat.name, winners[0], amount, words)
            return True
        return False

    def add_award(self, category: str, stage: int, time_ms: int, words: str) -> None:
        award = Award(
            category=category,
            stage=stage,
            time_ms=time_ms,
            evidence=words[0].upper() + words[1:] + ".",
            inferred=True,
        )
        self.awards.append(award)
        self.lines.append(
            f"award: {category} stage {stage}: {format_time(time_ms)} to every competitor ({words})"
        )

    def infer_awards(self, analysis: Analysis) -> bool:
        """The awards the importer placed from notes, made explicit; whether there were any."""
        found = False
        for cat in analysis.categories:
            for stage, words in sorted(cat.award_placements.items()):
                self.add_award(cat.name, stage, cat.awards[stage], words)
                found = True
        return found

    # ------------------------------------------------------------------ aliases

    def infer_aliases(self, analysis: Analysis) -> None:
        known = {fold_name(a.printed) for a in self.editorial().aliases}
        for cat in analysis.categories:
            rows = _all_rows(cat)
            # co-drivers (and drivers) of one crew printed in two spellings
            spellings: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
            where: dict[tuple[str, int, str], list[int]] = defaultdict(list)
            for row in rows:
                for index, person in enumerate(row.crew):
                    spellings[(row.key, index)][person.name] += 1
                    where[(row.key, index, person.name)].append(row.line)
            for (key, index), counter in sorted(spellings.items()):
                names = [name for name, _ in counter.most_common()]
                for other in names[1:]:
                    how = name_variant(names[0], other)
                    if how is None or fold_name(other) in known:
                        continue
                    if sum(counter.values()) < 3 or counter[other] >= counter[names[0]]:
                        continue
                    lines_main = where[(key, index, names[0])]
                    lines_other = where[(key, index, other)]
                    driver = next(r.driver for r in rows if r.key == key)
                    role = "driver" if index == 0 else "co-driver"
                    self.add_alias(
                        other,
                        names[0],
                        f"{driver}'s crew prints its {role} {names[0]!r} in "
                        f"{counter[names[0]]} rows (lines {_lines(lines_main)}) and "
                        f"{other!r} in {counter[other]} (lines {_lines(lines_other)}): in the "
                        f"same crew, {how}, so it is one person's name spelt two ways; the "
                        f"spelling printed most often is kept.",
                    )
                    known.add(fold_name(other))
        # principal-entry names that differ from the name printed for that number and make
        for listed in analysis.article.principal_entries:
            folded = fold_name(listed.name)
            if folded in known:
                continue
            listed_cat = next((c for c in analysis.categories if c.name == listed.category), None)
            if listed_cat is None:
                continue
            keys = {row.key for row in _all_rows(listed_cat)}
            if analysis.key(listed.name) in keys:
                continue
            matches = [
                row
                for row in listed_cat.final
                if row.number == listed.number
                and row.make is not None
                and _same_make(row.make, listed.make)
            ]
            for row in matches:
                how = name_variant(row.driver, listed.name)
                if how is None:
                    continue
                self.add_alias(
                    listed.name,
                    row.driver,
                    f"The {listed_cat.name} principal-entry list prints No. {listed.number} "
                    f"({listed.make}) as {listed.name!r} (line {listed.line}); the final "
                    f"standings print No. {row.number}, {row.make}, as {row.driver!r} "
                    f"(line {row.line}). Same number and make, and {how}: one person.",
                )
                known.add(folded)

    def add_alias(self, printed: str, name: str, reason: str) -> None:
        self.aliases.append(Alias(printed=printed, name=name, reason=reason, inferred=True))
        self.lines.append(f"alias: {printed!r} = {name!r}")

    # ------------------------------------------------------------------ numbers

    def number_conflicts(self, analysis: Analysis) -> bool:
        progress = False
        for conflict in analysis.conflicts:
            listed_line = conflict.second_listed if conflict.first_listed is None else None
            kept = conflict.first if listed_line is not None else conflict.second
            loser = conflict.second if listed_line is not None else conflict.first
            if listed_line is None and conflict.second_listed is None:
                listed_line = conflict.first_listed
            if listed_line is None or (conflict.first_listed and conflict.second_listed):
                raise _Refused(
                    "a race number given to two crews by the same kind of table",
                    [
                        f"{conflict.category}: No. {conflict.number} for {conflict.first.driver} "
                        f"(line {conflict.first_listed or conflict.first.line}) or for "
                        f"{conflict.second.driver} "
                        f"(line {conflict.second_listed or conflict.second.line})"
                    ],
                )
            listed = next(p for p in analysis.article.principal_entries if p.line == listed_line)
            self.add_erratum(
                Ref(conflict.category, "final", None, listed_line, "time"),
                conflict.number,
                "none",
                field="number",
                table="entries",
                row=listed_line,
                kind="number given to two crews",
                evidence=f"The {conflict.category} principal-entry list gives No. "
                f"{conflict.number} to {listed.name} (line {listed_line}); the final standings "
                f"give No. {conflict.number} to {kept.driver} (line {kept.line}). One number "
                f"cannot name two crews. The final standings, a results table printed against "
                f"each finisher, are kept; {loser.driver}'s number is taken as unknown (the "
                f"entry's id is then built from the name) rather than guessed.",
            )
            progress = True
        return progress

    # ------------------------------------------------------------------ culprits

    def candidates(self, model: Model, violations: Sequence[Constraint]) -> list[_Candidate]:
        refs = sorted(
            {ref for c in violations if c.kind != "ranked" for ref in c.refs()},
            key=Ref.order,
        )
        found = []
        for ref in refs:
            cell = model.cells[ref]
            involved = model.containing(ref)
            equalities = [c for c in involved if c.equality and c.kind != "ranked"]
            if any(model.holds(c) for c in equalities):
                continue
            broken = [c for c in equalities if not model.holds(c)]
            if not broken:
                continue
            values = {c: cell.value - model.residual(c) // dict(c.terms)[ref] for c in broken}
            implied = set(values.values())
            dissent: list[Constraint] = []
            if len(implied) != 1:
                with_penalty = self.with_named_penalty(model, ref, broken, involved)
                if with_penalty is not None:
                    found.append(with_penalty)
                    continue
                # the value most broken equalities agree on, when each one that disagrees
                # holds another value no constraint confirms (a second error it will meet)
                votes = Counter(values.values())
                best, count = votes.most_common(1)[0]
                dissent = [c for c, v in values.items() if v != best]
                if count < 2 or list(votes.values()).count(count) > 1:
                    continue
                if not all(
                    any(r != ref and not model.confirmations(r) for r in c.refs()) for c in dissent
                ):
                    continue
                implied = {best}
            value = implied.pop()
            if value < (1 if ref.field == "time" else 0):
                continue
            changed = {ref: value}
            if not all(model.holds(c, changed) for c in involved if c not in dissent):
                continue
            fixed = tuple(c for c in involved if not model.holds(c) and c not in dissent)
            found.append(_Candidate(ref, value, fixed, dissent=tuple(dissent)))
        return found

    def with_named_penalty(
        self,
        model: Model,
        ref: Ref,
        broken: Sequence[Constraint],
        involved: Sequence[Constraint],
    ) -> _Candidate | None:
        """A value that every broken constraint puts at one value once a GC step that
        involves it carries a penalty the text names for that crew."""
        cell = model.cells[ref]
        for step in [c for c in broken if c.kind == "step" and c.key == cell.key]:
            assert step.first is not None
            assert step.stage is not None
            span = [
                s
                for s, status in sorted(self.analysis.category(ref.category).stages.items())
                if status == "counted" and step.first < s <= step.stage
            ]
            for index, mention in self.mentions_of(ref.category, cell.key):
                stage = span[0] if len(span) == 1 else None
                named = [s for s in mention.stages if s in span]
                if stage is None and len(named) == 1:
                    stage = named[0]
                if stage is None:
                    continue
                for amount in mention.amounts:
                    coefficient = dict(step.terms)[ref]
                    implied = {
                        cell.value
                        - (model.residual(c) - (amount if c is step else 0)) // coefficient
                        if c is step
                        else cell.value - model.residual(c) // dict(c.terms)[ref]
                        for c in broken
                    }
                    if len(implied) != 1:
                        continue
                    value = implied.pop()
                    changed = {ref: value}
                    if value < 1 or model.residual(step, changed) != amount:
                        continue
                    if not all(model.holds(c, changed) for c in involved if c is not step):
                        continue
                    fixed = tuple(c for c in involved if not model.holds(c))
                    return _Candidate(ref, value, fixed, (step, stage, amount, index))
        return None

    def strong_culprits(self, model: Model, violations: Sequence[Constraint]) -> bool:
        strong = [c for c in self.candidates(model, violations) if _strong(c)]
        progress = False
        for candidate in strong:
            rivals = [
                other
                for other in strong
                if other is not candidate
                and {_signature(c) for c in other.fixed} & {_signature(c) for c in candidate.fixed}
            ]
            if any(len(r.fixed) >= len(candidate.fixed) for r in rivals):
                continue
            self.correct(model, candidate, strong=True)
            progress = True
        return progress

    def correct(self, model: Model, candidate: _Candidate, *, strong: bool) -> None:
        cell = model.cells[candidate.ref]
        printed = cell.printed or ""
        corrected = _like(printed, candidate.value)
        field: Literal["time", "gap"] = candidate.ref.field
        kind = self.kind_of(model, cell, candidate)
        reasons = "; ".join(c.words for c in candidate.fixed)
        if strong:
            evidence = (
                f"{cell.where()} is printed as {printed}. It breaks {len(candidate.fixed)} "
                f"constraints, and each puts it at {corrected}: {reasons}. No printed number "
                f"confirms {printed}."
            )
        else:
            others = []
            for ref in candidate.fixed[0].refs():
                if ref == candidate.ref:
                    continue
                confirmation = model.confirmations(ref)
                if confirmation:
                    others.append(
                        f"{model.cells[ref].where()} is confirmed: {confirmation[0].words}"
                    )
            evidence = (
                f"{reasons}. {cell.where()}, printed {printed}, is the only value of this "
                f"relation whose correction makes every relation it is in hold"
                + (f" ({'; '.join(others)})" if others else "")
                + f"; it is therefore {corrected}."
            )
        evidence += self.kind_words(model, cell, candidate)
        if candidate.dissent:
            evidence += (
                " One more relation disagrees ("
                + "; ".join(c.words for c in candidate.dissent)
                + "), but it also holds a value no printed number confirms, which is wrong too "
                "and corrected separately."
            )
        if candidate.penalty is not None:
            step, stage, amount, index = candidate.penalty
            mention = self.mentions[index]
            evidence += (
                f" With it, {cell.driver}'s GC step at stage {stage} is {_short(amount)} more "
                f"than the printed stage time: the penalty the {mention.source} of line "
                f"{mention.line} names ({mention.quote.rstrip('.')!r}), recorded with it."
            )
        self.add_erratum(
            candidate.ref, printed, corrected, field=field, kind=kind, evidence=evidence
        )
        if candidate.penalty is not None:
            step, stage, amount, index = candidate.penalty
            mention = self.mentions[index]
            cat = self.analysis.category(candidate.ref.category)
            self.record_text_penalty(
                cat,
                cell.key,
                [mention],
                [index],
                stage,
                amount,
                gc_only=True,
                numbers=f"{step.words}, with {cell.where()} corrected to {corrected} (erratum "
                f"{self.errata[-1].id}): exactly {_short(amount)} more than the printed stage "
                "time, the amount the text names.",
            )

    def kind_of(self, model: Model, cell: Cell, candidate: _Candidate) -> str:
        ref = cell.ref
        if ref.field == "time" and ref.table == "gc":
            earlier = [
                c
                for c in model.cells.values()
                if c.ref.table == "gc"
                and c.key == cell.key
                and c.ref.stage is not None
                and ref.stage is not None
                and c.ref.stage < ref.stage
                and c.value == cell.value
            ]
            if earlier:
                return "copied from an earlier stage"
        block = [
            c
            for c in model.cells.values()
            if c.ref.table == ref.table
            and c.ref.stage == ref.stage
            and c.ref.field == "time"
            and c.ref != ref
            and c.value == cell.value
        ]
        if ref.field == "time" and block:
            below = any(c.ref.row == ref.row + 1 for c in block)
            return "copied from the next row" if below else "copied from another row"
        corrected = _like(cell.printed, candidate.value)
        if cell.printed is not None and len(corrected) == len(cell.printed):
            differing = sum(a != b for a, b in zip(corrected, cell.printed, strict=True))
            if differing == 1:
                return "digit typo"
        if ref.row == 1 and ref.field == "time" and len(candidate.fixed) >= 2:
            return "leader's time contradicted by the gaps below it"
        return "wrong value" if ref.field == "time" else "gap contradicts the times"

    def kind_words(self, model: Model, cell: Cell, candidate: _Candidate) -> str:
        kind = self.kind_of(model, cell, candidate)
        if kind == "copied from an earlier stage":
            earlier = max(
                (
                    c
                    for c in model.cells.values()
                    if c.ref.table == "gc"
                    and c.key == cell.key
                    and c.ref.stage is not None
                    and cell.ref.stage is not None
                    and c.ref.stage < cell.ref.stage
                    and c.value == cell.value
                ),
                key=lambda c: c.ref.stage or 0,
            )
            return (
                f" The printed value is {cell.driver}'s GC after stage {earlier.ref.stage} "
                f"(line {earlier.line}) to the second."
            )
        if kind.startswith("copied from"):
            return " The printed value is the time of another row of the same table."
        if kind == "digit typo":
            return " The two differ in one digit."
        return ""

    def single_culprits(self, model: Model, violations: Sequence[Constraint]) -> bool:
        candidates = self.candidates(model, violations)
        for constraint in violations:
            if not constraint.equality or constraint.kind == "ranked":
                continue
            if any(_twin(self.analysis, ref) for ref in constraint.refs()):
                continue  # a row that repeats its neighbour: the repeated-row rule decides
            own = [
                c
                for c in candidates
                if not _strong(c) and _signature(constraint) in {_signature(f) for f in c.fixed}
            ]
            most = max((len(c.fixed) for c in own), default=0)
            if len([c for c in own if len(c.fixed) == most]) == 1:
                # the only value whose correction makes every relation it is in hold
                self.correct(model, next(c for c in own if len(c.fixed) == most), strong=False)
                return True
            gaps = [c for c in own if c.ref.field == "gap"]
            if constraint.kind == "gap" and len(gaps) == 1 and len(own) > 1:
                self.house_rule(model, constraint, gaps[0], own)
                return True
        return False

    def house_rule(
        self, model: Model, constraint: Constraint, gap: _Candidate, own: Sequence[_Candidate]
    ) -> None:
        cell = model.cells[gap.ref]
        printed = cell.printed or ""
        corrected = _like(printed, gap.value)
        others = ", ".join(model.cells[c.ref].where() for c in own if c is not gap)
        self.add_erratum(
            gap.ref,
            printed,
            corrected,
            field="gap",
            kind="time and gap disagree",
            evidence=f"{constraint.words}. No other printed number decides between the gap and "
            f"the time ({others} is in no other relation that holds), so, by the rule the "
            f"reviewed files follow, the printed time is kept and the gap recomputed from it: "
            f"{corrected}.",
        )

    # ------------------------------------------------------------------ repeated rows

    def repeated_rows(
        self, analysis: Analysis, model: Model, violations: Sequence[Constraint], *, below: bool
    ) -> bool:
        involved_rows: set[tuple[str, str, int | None, int]] = set()
        for constraint in violations:
            for ref in constraint.refs():
                involved_rows.add((ref.category, ref.table, ref.stage, ref.row))
        for category, table, stage, row_number in sorted(
            involved_rows, key=lambda t: (t[0], t[1], t[2] or 0, t[3])
        ):
            if table == "final" or stage is None:
                continue
            cat = analysis.category(category)
            block = _printed_block(analysis, category, table, stage)
            row = next((r for r in block if r.row == row_number), None)
            if row is None or row.time_text is None:
                continue
            before = _previous_block(analysis, cat, table, stage)
            same_place = next((r for r in before if r.row == row_number), None)
            if (
                not below
                and same_place is not None
                and same_place.key == row.key
                and same_place.time_text == row.time_text
                and same_place.gap_text == row.gap_text
            ):
                self.drop_row(
                    row,
                    "row repeated from the stage before",
                    f"The row {row_number} of the {_table_words_of(table, stage)} "
                    f"({row.driver}, {row.make}, {row.time_text}"
                    + (f", gap {row.gap_text}" if row.gap_text else "")
                    + f", line {row.line}) is identical to row {row_number} of the "
                    f"{_table_words_of(table, same_place.stage)} (line {same_place.line}), and "
                    "it breaks what the stage's other numbers say: "
                    + _unprinted(row, table, violations),
                )
                return True
            for offset, direction in ((1, "below"), (-1, "above")) if below else ():
                neighbour = next((r for r in block if r.row == row_number + offset), None)
                if (
                    neighbour is None
                    or neighbour.key == row.key
                    or neighbour.time_text != row.time_text
                    or neighbour.gap_text != row.gap_text
                    or neighbour.time_text is None
                ):
                    continue
                if any(_touches(c, neighbour, table) for c in violations):
                    continue
                self.drop_row(
                    row,
                    f"time and gap copied from the row {direction}",
                    f"{row.driver}'s row of the {_table_words_of(table, stage)} (line "
                    f"{row.line}) prints {row.time_text}"
                    + (f" +{row.gap_text}" if row.gap_text else "")
                    + f", the time and gap of {neighbour.driver} on the row {direction} "
                    f"(line {neighbour.line}), whose numbers agree with everything else; "
                    f"{row.driver}'s do not: " + _unprinted(row, table, violations),
                )
                return True
        return False

    def drop_row(self, row: PrintedRow, kind: str, evidence: str) -> None:
        assert row.stage is not None
        ref = Ref(row.category, row.table, row.stage, row.row, "time")  # type: ignore[arg-type]
        self.add_erratum(
            ref, row.time_text or "", "drop", field="row", kind=kind, evidence=evidence
        )

    # ------------------------------------------------------------------ penalties

    def mentions_of(self, category: str, key: str) -> list[tuple[int, Mention]]:
        return [
            (index, m)
            for index, m in enumerate(self.mentions)
            if (category, key) in m.crews and (index, category, key) not in self.done_mentions
        ]

    def residual_penalties(
        self, analysis: Analysis, model: Model, violations: Sequence[Constraint], *, named: bool
    ) -> bool:
        for constraint in violations:
            if constraint.kind != "step" or constraint.key is None:
                continue
            confirmed = all(model.confirmations(ref) for ref in constraint.refs())
            if not named and not confirmed:
                continue  # an unexplained residual is a penalty only if no value can be wrong
            residual = model.residual(constraint)
            if residual <= 0:
                continue
            assert constraint.stage is not None
            assert constraint.first is not None
            cat = analysis.category(constraint.category)
            key = constraint.key
            span = [
                s
                for s, status in sorted(cat.stages.items())
                if status == "counted" and constraint.first < s <= constraint.stage
            ]
            matched = [(i, m) for i, m in self.mentions_of(cat.name, key) if residual in m.amounts]
            if named != bool(matched):
                continue
            if not named and any(_twin(analysis, ref) for ref in constraint.refs()):
                continue  # a row that repeats its neighbour: the repeated-row rule decides
            named_stages = [s for _, m in matched for s in m.stages if s in span]
            if len(span) == 1:
                stage = span[0]
            elif len(set(named_stages)) == 1:
                stage = named_stages[0]
            else:
                continue
            driver = _driver(cat, key)
            confirmations = "; ".join(
                f"{model.cells[ref].where()}: {model.confirmations(ref)[0].words}"
                for ref in constraint.refs()
                if model.confirmations(ref)
            )
            if matched:
                text = " ".join(
                    f"The {m.source} of line {m.line} says: {m.quote.rstrip('.')!r}."
                    for _, m in matched
                )
                source: Literal["note", "prose", "arithmetic"] = (
                    "note" if any(m.source == "note" for _, m in matched) else "prose"
                )
                reason = _reason(m for _, m in matched)
                for index, _ in matched:
                    self.done_mentions.add((index, cat.name, key))
            else:
                text = "Neither the notes nor the prose mention it; only the arithmetic reveals it."
                source = "arithmetic"
                reason = "time added to the GC only; the source gives no reason"
            why = (
                f"Every value involved is confirmed by other printed numbers ({confirmations}), "
                "so no printed value is wrong and the difference is a penalty."
                if confirmed
                else "The difference is exactly the amount the text names for this crew."
            )
            evidence = (
                f"{constraint.words}: {_short(residual)} more than the printed stage "
                f"time{'s' if len(span) > 1 else ''}, awards and penalties account for. {why} "
                f"{text} The stage ranking prints {driver}'s stage time without it, so it counts "
                "in the GC only."
            )
            self.infer_penalty(cat.name, driver, stage, residual, True, reason, source, evidence)
            return True
        return False

    def try_penalty(
        self, analysis: Analysis, term: PenaltyTerm, before: Sequence[Constraint]
    ) -> tuple[bool, list[Constraint]]:
        """With ``term`` added: whether it creates no new violation, and what is left."""
        model = build_model(analysis, [term], categories=[term.category])
        after = model.violations()
        old = {_signature(c) for c in before}
        return all(_signature(c) in old for c in after), after

    def bound_penalties(
        self, analysis: Analysis, model: Model, violations: Sequence[Constraint]
    ) -> bool:
        for constraint in violations:
            if constraint.kind != "gc-bound" or constraint.key is None:
                continue
            assert constraint.stage is not None
            cat = analysis.category(constraint.category)
            key = constraint.key
            mentions = self.mentions_of(cat.name, key)
            if not mentions:
                continue
            before = [c for c in violations if c.category == cat.name]
            amounts = _amount_order([m for _, m in mentions])
            counted = [
                s
                for s, status in sorted(cat.stages.items())
                if status == "counted" and s <= constraint.stage
            ]
            options: list[tuple[int, int, bool]] = []
            rejected: dict[int, str] = {}
            for stage in counted:
                for gc_only in (True, False):
                    for amount in amounts:
                        term = PenaltyTerm(cat.name, key, stage, amount, gc_only=gc_only)
                        clean, after = self.try_penalty(analysis, term, before)
                        fixed = _signature(constraint) not in {_signature(c) for c in after}
                        if clean and fixed:
                            options.append((stage, amount, gc_only))
                        elif stage not in rejected:
                            broken = [
                                c
                                for c in after
                                if _signature(c) not in {_signature(b) for b in before}
                            ]
                            rejected[stage] = broken[0].words if broken else constraint.words
            if not options:
                continue
            stages = sorted({s for s, _, _ in options})
            named = [s for s in stages if any(s in m.stages for _, m in mentions)]
            if len(stages) > 1 and len(named) != 1:
                raise _Refused(
                    "a penalty the text names fits at several stages",
                    [f"{_driver(cat, key)}: stage {s}" for s in stages],
                )
            stage = named[0] if len(stages) > 1 else stages[0]
            among = (
                f" (of the stages where it fits, {', '.join(map(str, stages))}, the text names "
                f"stage {stage})"
                if len(stages) > 1
                else ""
            )
            choice = next(o for o in options if o[0] == stage)  # GC-only first, then amount order
            self.record_text_penalty(
                cat,
                key,
                [m for _, m in mentions],
                [i for i, _ in mentions],
                stage,
                choice[1],
                gc_only=choice[2],
                numbers=f"Without it, {constraint.words}. Of the stages up to {constraint.stage}, "
                f"stage {stage} makes the numbers agree{among}"
                + (
                    " ("
                    + "; ".join(
                        f"at stage {s}: {w}" for s, w in sorted(rejected.items()) if s != stage
                    )[:1500]
                    + ")"
                    if rejected
                    else ""
                )
                + ".",
            )
            return True
        return False

    def record_text_penalty(
        self,
        cat: CategoryData,
        key: str,
        mentions: Sequence[Mention],
        indexes: Sequence[int],
        stage: int,
        amount: int,
        *,
        gc_only: bool,
        numbers: str,
        forced: Sequence[str] = (),
    ) -> None:
        driver = _driver(cat, key)
        quoted = " ".join(
            f"The {m.source} of line {m.line} says: {m.quote.rstrip('.')!r}." for m in mentions
        )
        stated = [a for m in mentions for a in m.amounts]
        if len(set(stated)) > 1:
            counts = Counter(stated)
            differ = ", ".join(_short(a) for a in dict.fromkeys(stated))
            quoted += (
                f" The amounts stated differ ({differ}); {_short(amount)} is stated in "
                f"{counts[amount]} of the {len(stated)} mentions, more often than any other "
                "that fits the numbers."
            )
        scope = (
            f"{driver}'s stage-{stage} time in the ranking does not include it, so it counts in "
            "the GC only."
            if gc_only
            else f"It counts in the stage-{stage} ranking too: as a GC-only penalty it would "
            f"leave {' and '.join(forced) if forced else driver} faster on stage {stage} than "
            "the ranking printed there allows."
        )
        source: Source = (
            "note" if any(m.source == "note" for m in mentions if amount in m.amounts) else "prose"
        )
        evidence = f"{quoted} {numbers} {scope}"
        self.infer_penalty(
            cat.name, driver, stage, amount, gc_only, _reason(mentions), source, evidence
        )
        for index in indexes:
            self.done_mentions.add((index, cat.name, key))

    def text_penalties(self) -> None:
        """Penalties the text states that no number needs: at the stage the text names.

        The mentions that share a crew are one incident: its crews get one
        placement (stage and scope) if one fits them all, and the amount the
        incident's mentions state most often among those that fit.
        """
        result = self.import_()
        analysis = result.analysis
        assert analysis is not None
        for incident in _incidents(self.mentions):
            crews = self.open_crews(incident)
            if crews:
                self.incident_penalties(analysis, incident, crews)

    def open_crews(self, incident: Sequence[int]) -> list[tuple[str, str]]:
        """The crews an incident's mentions name that some mention of it still leaves open
        (no penalty recorded for it), sorted."""
        named = {c for i in incident for c in self.mentions[i].crews}
        return sorted(
            crew
            for crew in named
            if any(
                crew in self.mentions[i].crews and (i, *crew) not in self.done_mentions
                for i in incident
            )
        )

    def incident_penalties(
        self, analysis: Analysis, incident: Sequence[int], crews: Sequence[tuple[str, str]]
    ) -> None:
        """Place one incident's penalty for each of its open crews: all at the first stage
        and scope that fits every crew with a common amount, else each at the first that
        fits it; a crew it fits nowhere is not recorded."""
        decided = self._decided_for(incident)
        amounts = _amount_order([self.mentions[i] for i in incident])
        options: dict[tuple[str, str], dict[tuple[int, bool], list[int]]] = {}
        order: list[tuple[int, str]] = []
        for crew in crews:
            stages = self.incident_stages(analysis, incident, crew, crews, decided)
            order += [s for s in stages if s[0] not in {o[0] for o in order}]
            options[crew] = self.fitting_amounts(analysis, crew, stages, amounts)
        scopes = [decided[1], not decided[1]] if decided is not None else [True, False]
        shared = next(
            (
                (stage, how, gc_only)
                for stage, how in order
                for gc_only in scopes
                if all((stage, gc_only) in options[crew] for crew in crews)
                and _common(options, crews, (stage, gc_only))
            ),
            None,
        )
        for crew in crews:
            forced: list[str] = []
            if shared is not None:
                stage, how, gc_only = shared
                fitting = _common(options, crews, (stage, gc_only))
                together = len(crews) > 1
                if not gc_only:
                    forced = [
                        _driver(analysis.category(c[0]), c[1])
                        for c in crews
                        if (stage, True) not in options[c]
                    ]
            else:
                own = [(s, h, g) for s, h in order for g in scopes if (s, g) in options[crew]]
                if not own:
                    self.unrecord(analysis, incident, crew, order)
                    continue
                stage, how, gc_only = own[0]
                fitting = options[crew][(stage, gc_only)]
                together = False
            self.place_text_penalty(
                analysis,
                incident,
                crew,
                stage,
                how,
                gc_only,
                fitting,
                together=together,
                forced=forced,
            )

    def incident_stages(
        self,
        analysis: Analysis,
        incident: Sequence[int],
        crew: tuple[str, str],
        crews: Sequence[tuple[str, str]],
        decided: tuple[int, bool] | None,
    ) -> list[tuple[int, str]]:
        """The counted stages to try for ``crew``, each with how the text gives it: the
        stage already decided for the incident first, then those its mentions name."""
        stages = self._stage_candidates(incident, crew)
        if len(crews) > 1:
            who = _driver(analysis.category(crew[0]), crew[1])
            stages = [(s, f"{how}, for {who}") for s, how in stages]
        if decided is not None:
            stages = [(decided[0], "incident"), *[s for s in stages if s[0] != decided[0]]]
        cat = analysis.category(crew[0])
        counted = {s for s, status in cat.stages.items() if status == "counted"}
        return [s for s in stages if s[0] in counted]

    def fitting_amounts(
        self,
        analysis: Analysis,
        crew: tuple[str, str],
        stages: Sequence[tuple[int, str]],
        amounts: Sequence[int],
    ) -> dict[tuple[int, bool], list[int]]:
        """Per (stage, GC-only) placement of ``crew``'s penalty: the stated amounts that
        create no violation there (placements none fits are left out)."""
        options: dict[tuple[int, bool], list[int]] = {}
        for stage, _ in stages:
            for gc_only in (True, False):
                term = PenaltyTerm(crew[0], crew[1], stage, 0, gc_only=gc_only)
                fitting = [
                    amount
                    for amount in amounts
                    if self.try_penalty(analysis, attrs.evolve(term, amount_ms=amount), [])[0]
                ]
                if fitting:
                    options[(stage, gc_only)] = fitting
        return options

    def _decided_for(self, incident: Sequence[int]) -> tuple[int, bool] | None:
        for decision in self.penalties:
            if decision.source == "arithmetic":
                continue
            if any(
                (decision.category, fold_name(decision.competitor)) in self.mentions[i].crews
                for i in incident
            ):
                assert decision.stage is not None
                return decision.stage, decision.gc_only
        return None

    def _stage_candidates(
        self, incident: Sequence[int], crew: tuple[str, str]
    ) -> list[tuple[int, str]]:
        ordered: list[tuple[int, str]] = []
        for words in ("clause", "paragraph"):
            for i in incident:
                mention = self.mentions[i]
                if crew in mention.crews and mention.stage_words == words:
                    ordered += [
                        (s, f"named in the {mention.source} of line {mention.line}")
                        for s in mention.stages
                        if s not in {o[0] for o in ordered}
                    ]
        return ordered

    def place_text_penalty(
        self,
        analysis: Analysis,
        incident: Sequence[int],
        crew: tuple[str, str],
        stage: int,
        how: str,
        gc_only: bool,
        fitting: Sequence[int],
        *,
        together: bool,
        forced: Sequence[str] = (),
    ) -> None:
        category, key = crew
        cat = analysis.category(category)
        driver = _driver(cat, key)
        mentions = [self.mentions[i] for i in incident]
        counts = Counter(a for m in mentions for a in m.amounts)
        amount = fitting[0]
        tied = [a for a in fitting if a != amount and counts[a] == counts[amount]]
        if tied:
            readings = {
                a: self._snapshot_with(analysis, category, driver, stage, a, gc_only)
                for a in (amount, *tied)
            }
            if len(set(readings.values())) > 1:
                raise _Refused(
                    "the text states two amounts equally often, and they give different standings",
                    [f"{category} {driver}: {_short(a)} at stage {stage}" for a in readings],
                )
        origin = (
            "the stage decided for the crews penalised with it"
            if how == "incident"
            else f"the stage {how}"
        )
        shared = (
            " The crews of one sentence are penalised together: the same stage, scope and "
            "amount for each."
            if together
            else ""
        )
        self.record_text_penalty(
            cat,
            key,
            mentions,
            [i for i in incident if crew in self.mentions[i].crews],
            stage,
            amount,
            gc_only=gc_only,
            numbers=f"No printed number shows the penalty; stage {stage} is {origin}.{shared}",
            forced=[name for name in forced if name != driver],
        )

    def unrecord(
        self,
        analysis: Analysis,
        incident: Sequence[int],
        crew: tuple[str, str],
        order: Sequence[tuple[int, str]],
    ) -> None:
        category, key = crew
        driver = _driver(analysis.category(category), key)
        mentions = [self.mentions[i] for i in incident if crew in self.mentions[i].crews]
        amounts = _amount_order(mentions)
        statement = "; ".join(f"{m.source} line {m.line}: {m.quote}" for m in mentions)
        why = (
            "the text names no stage for it and no printed number shows it: a penalty event "
            "needs a stage, and any stage chosen would be a guess"
            if not order
            else "at the stages the text names ("
            + ", ".join(str(s) for s, _ in order)
            + ") it contradicts the printed numbers"
        )
        self.unrecorded.append(
            Unrecorded(
                category=category,
                statement=f"{driver}: {_short(amounts[0])} penalty ({statement})",
                reason=f"Not recorded: {why}. Listed here so that it is accounted for, not "
                "silently dropped.",
                inferred=True,
            )
        )
        self.lines.append(
            f"not recorded: {category} {driver}: {_short(amounts[0])} penalty ({why})"
        )
        for i in incident:
            if crew in self.mentions[i].crews:
                self.done_mentions.add((i, category, key))

    def _snapshot_with(
        self, analysis: Analysis, category: str, driver: str, stage: int, amount: int, gc: bool
    ) -> tuple[Any, ...]:
        trial = PenaltyDecision(
            id="trial",
            category=category,
            competitor=driver,
            stage=stage,
            amount_ms=amount,
            gc_only=gc,
            in_stage_time=False,
            reason="trial",
            source="note",
            evidence="trial",
        )
        return _snapshot(self.import_(Editorial(penalties=(trial,))))

    # ------------------------------------------------------------------ refusal

    def readings(self, model: Model, violations: Sequence[Constraint]) -> list[str]:
        candidates = self.candidates(model, violations)
        lines = []
        for constraint in violations:
            own = [
                c for c in candidates if _signature(constraint) in {_signature(f) for f in c.fixed}
            ]
            readings = [
                f"{model.cells[c.ref].where()} is {_like(model.cells[c.ref].printed, c.value)}"
                for c in own
            ]
            if constraint.kind == "step" and model.residual(constraint) != 0:
                readings.append(
                    f"a penalty of {format_signed(model.residual(constraint))} "
                    f"between stages {constraint.first} and {constraint.stage}"
                )
            lines.append(
                f"{constraint.category}: {constraint.words}; readings: "
                + (" | ".join(readings) if readings else "none that one printed value explains")
            )
        return lines


# --------------------------------------------------------------------------- helpers


def _common(
    options: dict[tuple[str, str], dict[tuple[int, bool], list[int]]],
    crews: Sequence[tuple[str, str]],
    placement: tuple[int, bool],
) -> list[int]:
    """The amounts that fit every crew at ``placement``, in the order of the first crew's."""
    if not all(placement in options[crew] for crew in crews):
        return []
    first = options[crews[0]][placement]
    return [a for a in first if all(a in options[crew][placement] for crew in crews)]


def _lines(lines: Sequence[int]) -> str:
    shown = ", ".join(str(line) for line in lines[:4])
    return shown + (", …" if len(lines) > 4 else "")


def _same_make(a: str, b: str) -> bool:
    fa, fb = fold_name(a), fold_name(b)
    return fa == fb or fa.startswith(fb + " ") or fb.startswith(fa + " ")


def _all_rows(cat: CategoryData) -> list[PrintedRow]:
    rows: list[PrintedRow] = []
    for stage in sorted(cat.stage_rows):
        rows += cat.stage_rows[stage]
    for stage in sorted(cat.gc_rows):
        rows += cat.gc_rows[stage]
    return rows + list(cat.final)


def _driver(cat: CategoryData, key: str) -> str:
    return next((row.driver for row in _all_rows(cat) if row.key == key), key)


def _table_words_of(table: str, stage: int | None) -> str:
    return f"{'GC after' if table == 'gc' else 'ranking of'} stage {stage}"


def _printed_block(analysis: Analysis, category: str, table: str, stage: int) -> list[PrintedRow]:
    cat = analysis.category(category)
    return (cat.stage_rows if table == "stage" else cat.gc_rows).get(stage, [])


def _previous_block(
    analysis: Analysis, cat: CategoryData, table: str, stage: int
) -> list[PrintedRow]:
    blocks = cat.stage_rows if table == "stage" else cat.gc_rows
    earlier = [s for s in blocks if s < stage]
    return blocks[max(earlier)] if earlier else []


def _touches(constraint: Constraint, row: PrintedRow, table: str) -> bool:
    return any(
        ref.category == row.category
        and ref.table == table
        and ref.stage == row.stage
        and ref.row == row.row
        for ref in constraint.refs()
    )


def _unprinted(row: PrintedRow, table: str, violations: Sequence[Constraint]) -> str:
    """The end of a dropped row's evidence: what it breaks, and that its value is nowhere."""
    broken = "; ".join(c.words for c in violations if _touches(c, row, table))
    return f"{broken}. {row.driver}'s real value is printed nowhere, so the row is dropped."


def _reason(mentions: Any) -> str:
    listed = list(mentions)
    for source in ("note", "prose"):
        for mention in listed:
            if mention.source == source and mention.reason:
                return str(mention.reason)
    return "penalty stated in the source, which gives no reason"


def _amount_order(mentions: Sequence[Mention]) -> list[int]:
    """Amounts stated, most often first (the first stated first on a tie)."""
    stated = [a for m in mentions for a in m.amounts]
    counts = Counter(stated)
    first = {a: i for i, a in reversed(list(enumerate(stated)))}
    return sorted(counts, key=lambda a: (-counts[a], first[a]))


def _incidents(mentions: Sequence[Mention]) -> list[list[int]]:
    """Mentions that share a crew belong to one incident (one penalty per crew)."""
    parent = list(range(len(mentions)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(mentions):
        for j in range(i):
            if set(a.crews) & set(mentions[j].crews):
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(mentions)):
        groups[root(i)].append(i)
    return [groups[k] for k in sorted(groups)]


def _mentions(analysis: Analysis) -> list[Mention]:
    crews: dict[tuple[str, str], str] = {}
    for cat in analysis.categories:
        for row in _all_rows(cat):
            crews.setdefault((cat.name, row.key), row.driver)
    stages = [row.stage for row in analysis.article.stages.rows if row.stage is not None]
    stages += [s for cat in analysis.categories for s in cat.stages]
    note_categories = {
        note.line: results.category
        for results in analysis.article.categories
        for note in results.notes
    }
    return penalty_mentions(
        analysis.article,
        crews,
        first=min(stages, default=0),
        last=max(stages, default=0),
        note_categories=note_categories,
    )


# --------------------------------------------------------------------------- API


def infer_decisions(
    article: Article, reviewed: Editorial, *, source: str, rally_id: str | None = None
) -> Inference:
    """Resolve by inference what ``reviewed`` leaves open; a reviewed decision always wins.

    Raises ``ArticleImportError`` listing the readings where no rule decides.
    """
    inferrer = _Inferrer(article, reviewed, source, rally_id)
    try:
        return inferrer.run()
    except _Refused as refusal:
        raise ArticleImportError(
            f"cannot infer: {refusal.what}",
            where=source,
            expected="one reading the numbers or a rule decides (see the readings listed)",
            received="; ".join(refusal.lines[:2]) + (" …" if len(refusal.lines) > 2 else ""),
            issues=refusal.lines,
        ) from None


_DRAFT_HEADER = (
    "Draft editorial file written by `standings import --infer`.\n"
    "Decisions marked `inferred = true` were made by the importer, not by a person: "
    "review each one,\n"
    "delete its `inferred = true` line to accept it (or change it), and import again "
    "with --editorial."
)


def draft_text(reviewed: str | None, inferred: Editorial, *, rally_id: str, article: str) -> str:
    """The draft editorial file: the reviewed file as it was (if any), then the inferred tables."""
    if reviewed is None:
        base = Editorial(rally_id=rally_id, article=article)
        return dump_editorial(base.extended(inferred), header=_DRAFT_HEADER)
    lines = dump_decisions(inferred)
    if not lines:
        return reviewed
    text = reviewed if reviewed.endswith("\n") else reviewed + "\n"
    banner = ["", "# ---- inferred by `standings import --infer`, not reviewed ----"]
    return text + "\n".join(banner + lines) + "\n"
