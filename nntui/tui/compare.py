"""Runs trained side by side: what each is called on screen ("run 2 optimizer=adam") and its colour."""

from __future__ import annotations

from typing import Any, Sequence

from nntui.live.protocol import RunFigures
from nntui.tui.colors import CLASS_COLORS, NEGATIVE, POSITIVE
from nntui.tui.settings_form import shown

# What a fork may change, the settings a class compares most often first (the fork dialog's order).
ORDER = ("optimizer", "lr", "activation", "batch_size", "reg", "reg_rate", "momentum",
         "schedule", "schedule_gamma", "schedule_step", "schedule_period", "shuffle")
# One colour per run, by its place in the list: the first run keeps the loss plot's blue.
RUN_COLORS = (POSITIVE, NEGATIVE, CLASS_COLORS[2], CLASS_COLORS[4])


def value_text(value: Any) -> str:
    """An option's value as typed: 0.01, adam, 8,8, true ('' for none)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else shown(value)


def run_label(run: RunFigures, runs: Sequence[RunFigures]) -> str:
    """What sets the run apart: its own label (a fork's, "optimizer=adam"), else its values of the
    options on which the other runs differ from it (run 0 beside an Adam fork: "optimizer=sgd")."""
    if run.label or run.settings is None:
        return run.label
    differ = [name for name in ORDER
              if any(other.settings is not None and getattr(other.settings, name) != getattr(run.settings, name)
                     for other in runs)]
    return ", ".join(f"{name.replace('_', '-')}={value_text(getattr(run.settings, name))}" for name in differ)


def run_name(place: int) -> str:
    """A run's name by its place in the list (0: the first): "run 1"."""
    return f"run {place + 1}"


def run_color(place: int) -> tuple[int, int, int]:
    """The colour of the run at this place in the list."""
    return RUN_COLORS[place % len(RUN_COLORS)]


def run_place(run: int, runs: Sequence[RunFigures]) -> int:
    """The place of run id ``run`` in the list (0 if it is not there)."""
    return next((i for i, r in enumerate(runs) if r.run == run), 0)
