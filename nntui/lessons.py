"""The classroom lessons of ``--lesson NAME``: a prepared setup and a paragraph saying what to do.

A lesson is applied like a preset (``nntui.settings.merge``): its settings sit above the
defaults and below ``--config`` and the flags.  Adding a lesson is adding one entry to
``LESSONS``.  The numbers its text names live in ``facts``, which the text is formatted with
and the tests read, so what the screen says and what is tested cannot drift apart.
This module is data only: it imports nothing of nntui.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Lesson:
    """A prepared setup: option values (as the flags and the TOML file name them) and what to do with it."""

    name: str  # what --lesson takes
    title: str  # the panel's title
    settings: Mapping[str, Any]  # option values, checked like a config file's
    text: str  # one paragraph naming the keys to press; formatted with ``settings`` and ``facts``
    facts: Mapping[str, Any] = field(default_factory=dict)  # the numbers the text names, for the tests

    @property
    def instructions(self) -> str:
        """The paragraph the lesson panel shows."""
        return self.text.format(**self.settings, **self.facts)


# The four hidden ReLU neurons of "xor by hand": (weight from x1, weight from x2, weight to the output).
# Neurons 1 and 2 add up to |x1 + x2|, neurons 3 and 4 to |x1 − x2|; the output, their difference,
# is positive exactly where x1 and x2 have the same sign: xor.
XOR_NEURONS = ((1, 1, 1), (-1, -1, 1), (1, -1, -1), (-1, 1, -1))


def _values(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:g}" for v in values)


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "xor-by-hand", "XOR by hand",
        dict(dataset="xor", layers=(4,), activation="relu", paused=True),
        "You are the optimizer (paused at epoch 0). Tab, → selects the input x1: press w, then for each "
        "weight out ↑↓ picks it, type, Enter: {x1}. ↓ selects x2: w, {x2}. → → selects the output: w, "
        "↓ past the bias, its weights in: {out}. Escape closes. The heatmap is xor now, accuracy 100 %: "
        "neurons 1+2 make |x1+x2|, 3+4 make |x1−x2|, the output compares them. Space lets gradient "
        "descent take over.",
        facts=dict(x1=_values(tuple(n[0] for n in XOR_NEURONS)), x2=_values(tuple(n[1] for n in XOR_NEURONS)),
                   out=_values(tuple(n[2] for n in XOR_NEURONS)), accuracy=0.95),
    ),
    Lesson(
        "overfit-outlier", "Overfitting an outlier",
        # 20 training points and a big network learning fast: one point can pull the boundary over
        dict(dataset="gauss", noise=0.0, samples=40, layers=(16, 16), lr=0.1, batch_size=2, loss="bce",
             speed=10),
        "Let the boundary settle. Then press c for the probe, move its cross with the arrows into the "
        "blue cluster near its edge (under the heatmap: probe x1 ≈ {x1:g}, x2 ≈ {x2:g}) and press 0: an "
        "orange point. Within seconds the boundary bends to put that one point on the orange side, and "
        "the test loss rises (l: log scale): the network learns the outlier, not the pattern. Delete "
        "removes it; [ steps back.",
        facts=dict(x1=1.0, x2=1.0, label=0, epochs=60),
    ),
    Lesson(
        "vanishing-gradients", "Vanishing gradients",
        dict(dataset="spiral", layers=(6, 6, 6, 6, 6, 6), activation="sigmoid"),
        "Six sigmoid layers learn the spiral slowly. Press y for the layer statistics, then z for one "
        "scale: ∂L/∂W shrinks layer by layer on the way back, the first layer's is over {ratio} times "
        "smaller than the output's, so the first layers hardly learn. Escape, then press a ({presses}×) "
        "for {next} (the status line names the activation); y again: with {others} the gradients "
        "reach the first layer.",
        facts=dict(epochs=(50, 100, 200), ratio=10, presses=2, next="leaky_relu",
                   others="leaky_relu, tanh or relu"),
    ),
    Lesson(
        "lr-too-high", "Learning rate too high",
        dict(dataset="plane", lr=0.3),
        "A regression of a plane at learning rate {lr:g}: the loss falls. Press + ({presses}×: "
        "{rates}): the weights blow up, the status line says diverged and training pauses. [ steps back "
        "through the epochs to where the loss began to jump; then -, r and space start again at a rate "
        "that works.",
        facts=dict(presses=2, rates="0.3 → 1 → 3", epochs=50),
    ),
)
LESSON_BY_NAME = {lesson.name: lesson for lesson in LESSONS}
