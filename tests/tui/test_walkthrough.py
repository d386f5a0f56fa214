"""The README's "Teach backprop in 10 minutes", run step by step: the same keys pressed, and
every formula and message the README quotes from the screen found on the screen.

The quotes are read from the README itself (its `…` spans that hold screen text), so the
README and the screen cannot drift apart."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from nntui.cli import make_parser
from nntui.session import build_session, resolve_settings
from nntui.tui.app import NNTuiApp
from nntui.tui.inspector_screen import InspectorScreen
from tests.tui.helpers import rendered_text, wait_for

README = Path(__file__).resolve().parents[2] / "README.md"
SCREEN_MARKS = "=⊙∂δ✓…·→:"  # a quoted span with one of these is screen text (else a key or a command)


def lesson_steps() -> dict[int, str]:
    """The numbered steps of the README's lesson, by number."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Teach backprop in 10 minutes", 1)[1].split("\n## ", 1)[0]
    parts = re.split(r"^(\d+)\. ", section, flags=re.MULTILINE)
    return {int(n): " ".join(body.split()) for n, body in zip(parts[1::2], parts[2::2])}


def screen_quotes(step: str) -> list[str]:
    """The `…` spans of a step that quote the screen."""
    return [q for q in re.findall(r"`([^`]+)`", step)
            if len(q) > 2 and any(mark in q for mark in SCREEN_MARKS) and not q.startswith("nntui ")]  # not → or {


STEPS = lesson_steps()


def test_the_lesson_has_its_steps_and_quotes():
    assert set(STEPS) >= set(range(1, 10))
    assert "z₁ = x·W₁ + b₁" in screen_quotes(STEPS[2])  # the parsing finds formulas, not keys
    assert "p" not in screen_quotes(STEPS[2]) and "→" not in screen_quotes(STEPS[2]) and not any(q.startswith("nntui") for q in screen_quotes(STEPS[1]))


def app_of_step_1() -> NNTuiApp:
    """The app as step 1's command starts it."""
    command = re.search(r"`(nntui [^`]+)`", STEPS[1]).group(1)
    args = vars(make_parser().parse_args(shlex.split(command)[1:]))
    settings, weights = resolve_settings(args)
    return NNTuiApp(build_session(settings, weights), weights)


class Screen:
    """Presses keys and keeps every text the screen showed meanwhile: the widgets and the toasts."""

    def __init__(self, app: NNTuiApp, pilot) -> None:
        self.app, self.pilot = app, pilot
        self.seen: list[str] = []
        self.toasts: list[str] = []
        notify = app.notify

        def record(message, *args, **kwargs):
            self.toasts.append(str(message))
            return notify(message, *args, **kwargs)

        app.notify = record

    async def press(self, *keys: str, until=lambda app: True) -> str:
        await self.pilot.press(*keys)
        await wait_for(self.pilot, lambda: until(self.app))
        await self.pilot.pause()
        text = rendered_text(self.app.screen)
        self.seen.append(text)
        return text

    def check(self, step: int) -> None:
        """Every screen quote of the step was shown during it."""
        shown = "\n".join(self.seen + self.toasts)
        quotes = screen_quotes(STEPS[step])
        assert quotes, f"step {step} quotes nothing from the screen"
        for quote in quotes:
            assert quote in shown, f"step {step}: the README quotes {quote!r}, the screen does not show it"
        self.seen.clear()
        self.toasts.clear()


def phases_done(n: int):
    return lambda app: isinstance(app.screen, InspectorScreen) and app.screen.trace.n_done == n


async def test_the_readme_lesson_word_for_word():
    app = app_of_step_1()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.drawn)
        screen = Screen(app, pilot)
        # 1. paused at epoch 0
        assert app.latest.snapshot.epoch == 0 and not app.latest.running
        assert app.view.net.sizes == (2, 4, 1)

        # 2. forward; → shows layer 2, ← goes back
        await screen.press("p", until=phases_done(1))
        await screen.press("right", until=lambda app: app.screen.layer == 1)
        await screen.press("left", until=lambda app: app.screen.layer == 0)
        screen.check(2)

        # 3. loss: ∂L/∂a as the mean's gradient, and no δ yet
        text = await screen.press("p", until=phases_done(2))
        trace = app.screen.trace
        assert trace.dloss_da is not None and trace.layers[-1].delta is not None  # computed, not shown
        screen.check(3)
        assert "(10×1)" in text and "n = 10" in text

        # 4. backward, one layer per press
        await screen.press("p", until=phases_done(3))
        await screen.press("p", until=phases_done(4))
        screen.check(4)

        # 5. the gradient check
        await screen.press("g", until=lambda app: app.screen.query_one("#sec-gradcheck").display)
        screen.check(5)

        # 6. update; the status line's batch counter; i, a look only
        await screen.press("p", until=lambda app: isinstance(app.screen, InspectorScreen) and app.screen.trace.complete)
        await screen.press("escape", until=lambda app: not isinstance(app.screen, InspectorScreen))
        await screen.press("b", until=lambda app: app.latest.batch_in_epoch == 2)
        await screen.press("i", until=lambda app: isinstance(app.screen, InspectorScreen))
        weights = [w.copy() for w in app.session.net.W]
        screen.check(6)
        await screen.press("escape", until=lambda app: not isinstance(app.screen, InspectorScreen))
        assert all((w == v).all() for w, v in zip(weights, app.session.net.W))  # i changed nothing

        # 7. the learning rates the README names, in the order it names them
        presses = re.findall(r"`([-+])` three (?:more )?times \(lr ([\d.]+)\)", STEPS[7])
        assert presses == [("-", "0.001"), ("+", "0.03"), ("+", "1")]
        for key, rate in presses:
            for _ in range(3):
                await pilot.press(key)
            await wait_for(pilot, lambda rate=rate: app.settings.lr == float(rate))
            await pilot.pause()
            assert f"lr {rate} " in rendered_text(app.screen)
        for _ in range(3):  # back to the rate of the lesson
            await pilot.press("-")
        await wait_for(pilot, lambda: app.settings.lr == 0.03)

        # 8. looking back; r starts a new history
        await screen.press("s", until=lambda app: app.latest.snapshot.epoch >= 1)
        await screen.press("s", until=lambda app: app.latest.snapshot.epoch >= 2)
        await screen.press("home", until=lambda app: app.view_epoch == 0)
        await screen.press("end", until=lambda app: app.view_epoch is None)
        generation = app.generation
        await screen.press("r", until=lambda app: app.generation > generation and app.latest is not None)
        await screen.press("left_square_bracket", until=lambda app: any("nothing recorded" in t for t in screen.toasts))
        screen.check(8)
