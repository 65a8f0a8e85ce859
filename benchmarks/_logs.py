"""The synthetic logs the benchmarks measure, generated once into a cache folder."""

from __future__ import annotations

import compileall
import os
from pathlib import Path

import rally_standings
from rally_standings.engine import checkpoint_path
from rally_standings.replays.synth import SynthSpec, write_synth

__all__ = ["CACHE", "LIVE", "cached_log", "compiled"]

CACHE = Path(os.environ.get("BENCH_CACHE", Path(__file__).resolve().parent / ".cache"))
"""Where generated logs are kept between runs (BENCH_CACHE overrides)."""

LIVE = SynthSpec(entries=800, stages=15, waypoints=40, seed=2)
"""A Dakar-sized rally followed live: 800 entries in three categories, 15 stages, 40
waypoint splits per entry and stage (about 435,000 events)."""


def cached_log(spec: SynthSpec) -> Path:
    """The log of ``spec``, written with ``standings synth`` the first time; never with a
    checkpoint beside it (a measure that wants one writes it)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / (
        f"synth-{spec.entries}x{spec.stages}-w{spec.waypoints}-s{spec.seed}"
        f"-{'-'.join(spec.categories)}.rallylog"
    )
    if not path.exists():
        write_synth(path, spec)
    checkpoint_path(path).unlink(missing_ok=True)
    return path


def compiled() -> None:
    """The package's modules compiled to bytecode before anything is timed, as ``pip
    install`` leaves them: a whole process measured from a checkout would otherwise compile
    every module it imports, every run, where ``PYTHONDONTWRITEBYTECODE`` is set (this
    machine's default), and measure the compiler, not the work a user pays for."""
    root = Path(rally_standings.__file__).parent
    for layer in rally_standings.LAYERS:
        compileall.compile_dir(root / layer, quiet=1)
    compileall.compile_dir(root, maxlevels=0, quiet=1)
