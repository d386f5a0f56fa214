"""Pilot tests for the inspector screen: the numbers of a step, layers, phases, gradient check."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App
from textual.geometry import Region
from textual.widgets import Static

from nntui.engine.inspect import PhaseStepper, check_gradients, inspect_sample, layer_indices, trace_params
from nntui.session import build_session
from nntui.settings import merge
from nntui.tui.inspector_screen import InspectorScreen, format_number, matrix, verdict
from tests.tui.helpers import rendered_text

SETTINGS = dict(dataset="xor", layers="4,3", optimizer="adam", batch_size=7, reg="l2", reg_rate=0.01)


def make_session(**changes):
    return build_session(merge({**SETTINGS, **changes}))


class InspectorApp(App):
    """Pushes an inspector for a trainer's next step; records the screen's messages."""

    def __init__(self, trace=None, *, phases: int | None = None, gradcheck: bool = True, layer: int | None = 1, **changes) -> None:
        super().__init__()
        self.session = make_session(**changes)
        self.trainer = self.session.trainer
        self.stepper = PhaseStepper(self.trainer)
        if trace is None:
            trace = self.stepper.finish() if phases is None else [self.stepper.advance() for _ in range(phases)][-1]
        self.first_trace = trace
        self.layer_messages: list[int] = []
        self.phase_requests = 0
        self.checked_layers: list[int] = []
        self.use_gradcheck = gradcheck
        self.start_layer = layer

    def gradcheck(self, l: int):
        self.checked_layers.append(l)
        trace = self.inspector.trace
        return check_gradients(self.trainer, trace.x, trace.t, layer_indices(self.trainer.net, l), trace_params(trace))

    def on_mount(self) -> None:
        self.inspector = InspectorScreen(
            self.first_trace, self.trainer.net.sizes, self.session.dataset.features, "xor 2-4-3-1",
            gradcheck=self.gradcheck if self.use_gradcheck else None, layer=self.start_layer,
        )
        self.push_screen(self.inspector)

    def on_inspector_screen_layer_changed(self, message: InspectorScreen.LayerChanged) -> None:
        self.layer_messages.append(message.layer)

    def on_inspector_screen_phase_requested(self, message: InspectorScreen.PhaseRequested) -> None:
        self.phase_requests += 1
        if self.stepper.done:
            self.stepper = PhaseStepper(self.trainer)
        self.inspector.show_trace(self.stepper.advance())


def section_text(screen, name: str) -> str:
    static = screen.query_one(f"#sec-{name}", Static)
    width, height = static.outer_size
    return "\n".join(line.text for line in static.render_lines(Region(0, 0, width, height)))


# ------------------------------------------------------------------ formatting
@pytest.mark.parametrize(
    "value, text",
    [(0.1234, "+0.123"), (-0.5, "-0.500"), (-1.2e-05, "-1.2e-05"), (0.0, "0"), (12345.0, "+1.2e+04"),
     (1e-3, "+0.001"), (float("nan"), "nan"), (float("inf"), "+inf"), (-float("inf"), "-inf"), (3.14159, "+3.142")],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


def test_matrix_is_cut_at_eight_by_eight() -> None:
    from rich.console import Console

    m = np.arange(120, dtype=float).reshape(12, 10) / 100
    console = Console(width=200, color_system=None)
    with console.capture() as capture:
        console.print(matrix("big", m, [f"r{i}" for i in range(12)], [f"c{j}" for j in range(10)]))
    text = capture.get()
    assert "big (12×10)" in text and "…" in text and "…4" in text
    assert format_number(m[7, 7]) in text and format_number(m[8, 0]) not in text and "c9" not in text


def test_verdict() -> None:
    assert str(verdict(3e-9)) == "max relative error 3e-09: backprop agrees"
    assert "nearly agrees" in str(verdict(2e-4))
    assert "DISAGREES" in str(verdict(0.3))


# ------------------------------------------------------------------ the screen
async def test_shows_the_traces_numbers() -> None:
    app = InspectorApp(layer=1)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, InspectorScreen) and screen.layer == 1
        trace = app.first_trace
        lt = trace.layers[1]
        text = rendered_text(screen)
        for value in (lt.z[0, 0], lt.z[6, 2], lt.a[0, 0], lt.a[3, 1], lt.delta[0, 0], lt.delta[6, 2],
                      lt.dW[0, 0], lt.dW[3, 2], lt.db[2], lt.dW_update[0, 0], lt.W[2, 1], trace.layers[0].a[0, 3]):
            assert format_number(value) in text, value
        assert format_number(lt.z[0, 0]) in section_text(screen, "forward")
        assert format_number(lt.a[0, 0]) in section_text(screen, "activation")
        assert format_number(lt.delta[0, 0]) in section_text(screen, "delta")
        assert format_number(lt.dW[0, 0]) in section_text(screen, "grad")
        assert format_number(lt.dW_update[1, 1]) in section_text(screen, "update")
        # The formulas, in plain text, and the names of things.
        # Layer 2 on screen is weight layer 1: layers count from the first hidden layer, a₀ = x.
        assert "z₂ = a₁·W₂ + b₂" in text and "a₂ = tanh(z₂)" in text
        assert "δ₂ = (δ₃·W₃ᵀ) ⊙ tanh'(z₂)" in text and "∂L/∂W₂ = a₁ᵀ·δ₂ + 0.01·W₂" in text
        assert "w ← w − lr·∂L/∂w" in text and "Adam step" in text
        assert "forward ✓" in text and "update ✓" in text and "adam, lr 0.03" in text

        # The output layer: the loss, ∂L/∂a, the prediction against the target.
        await pilot.press("right")
        await pilot.pause()
        assert screen.layer == 2
        loss_text = section_text(screen, "loss")
        assert format_number(trace.loss) in loss_text
        assert format_number(trace.dloss_da[0, 0]) in loss_text and "∂L/∂a₃ = (a₃ − t)/n" in loss_text
        assert "L = ½·Σ(a − t)²" in loss_text
        assert format_number(trace.layers[2].delta[4, 0]) in section_text(screen, "delta")
        assert "δ₃ = ∂L/∂a₃ ⊙ tanh'(z₃)" in section_text(screen, "delta")

        # The first layer: the inputs x, with the feature names.
        await pilot.press("left", "left")
        await pilot.pause()
        assert screen.layer == 0
        forward = section_text(screen, "forward")
        assert "x (inputs)" in forward and "x1" in forward and "x2" in forward
        assert format_number(trace.x[0, 0]) in forward and format_number(trace.x[6, 1]) in forward
        assert format_number(trace.layers[0].dW[1, 3]) in section_text(screen, "grad")


async def test_left_right_change_the_layer_and_post_layer_changed() -> None:
    app = InspectorApp(layer=1)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert app.layer_messages == [1]  # the initial layer, for the diagram
        await pilot.press("right")
        await pilot.pause()
        assert screen.layer == 2 and app.layer_messages[-1] == 2
        await pilot.press("right")  # already the output layer: stays
        await pilot.pause()
        assert screen.layer == 2 and app.layer_messages == [1, 2]
        await pilot.press("left", "left", "left")
        await pilot.pause()
        assert screen.layer == 0 and app.layer_messages == [1, 2, 1, 0]
        assert "[ 1: W₁ 2→4 tanh ]" in rendered_text(screen)


async def test_gradient_check_table_and_verdict() -> None:
    app = InspectorApp(layer=1)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "relative error" not in rendered_text(screen)
        await pilot.press("g")
        await pilot.pause()
        assert app.checked_layers == [1]
        text = section_text(screen, "gradcheck")
        assert "analytic" in text and "numerical" in text and "relative error" in text
        assert "backprop agrees" in text and "max relative error" in text
        assert "W₂ n1→n1" in text and "W₂ n4→n3" in text  # W[1][0, 0] and W[1][3, 2]
        dW = app.first_trace.layers[1].dW
        assert format_number(dW[0, 0]) in text  # analytic = the trace's ∂L/∂W₁
        # Another layer has no check until asked; going back shows it again.
        await pilot.press("left")
        await pilot.pause()
        assert not screen.query_one("#sec-gradcheck").display
        await pilot.press("right")
        await pilot.pause()
        assert "backprop agrees" in section_text(screen, "gradcheck")


async def test_gradient_check_without_callback_and_with_a_failing_one() -> None:
    app = InspectorApp(gradcheck=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, InspectorScreen)
        assert not app.screen.query_one("#sec-gradcheck").display

    app = InspectorApp()

    def broken(layer: int):
        raise ValueError("no data")

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.gradcheck = broken
        await pilot.press("g")
        await pilot.pause()
        assert "the gradient check failed: no data" in section_text(app.screen, "gradcheck")


async def test_p_requests_the_next_phase_and_the_screen_follows() -> None:
    app = InspectorApp(phases=1, layer=0)  # only the forward pass done
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        text = rendered_text(screen)
        assert "forward ✓" in text and "loss …" in text
        assert "not computed yet" in section_text(screen, "delta")
        assert "not applied yet" in section_text(screen, "update")
        await pilot.press("p")  # → loss: the screen moves to the output layer
        await pilot.pause()
        assert app.phase_requests == 1 and screen.trace.phase == "loss" and screen.layer == 2
        assert format_number(screen.trace.loss) in section_text(screen, "loss")
        # The engine has δ of the output layer already, but the step bar says backward has not run: not shown.
        assert screen.trace.layers[2].delta is not None
        assert "not computed yet: phase backward 3" in section_text(screen, "delta")
        assert "backward 3 …" in rendered_text(screen)
        await pilot.press("p")  # → the engine's backward 2: layer 3 on screen
        await pilot.pause()
        assert screen.trace.phase == "backward 2" and screen.layer == 2
        assert format_number(screen.trace.layers[2].dW[0, 0]) in section_text(screen, "grad")
        await pilot.press("p")  # → the engine's backward 1: layer 2 on screen
        await pilot.pause()
        assert screen.layer == 1 and app.layer_messages[-2:] == [2, 1]
        assert "backward 2 ✓" in rendered_text(screen) and "backward 1 …" in rendered_text(screen)
        await pilot.press("p", "p")  # → backward 0, update
        await pilot.pause()
        assert screen.trace.complete and app.trainer.steps == 1
        assert format_number(screen.trace.layers[0].dW_update[0, 0]) in section_text(screen, "update")
        assert "step done" in rendered_text(screen)
        await pilot.press("p")  # the next mini-batch's forward pass
        await pilot.pause()
        assert screen.trace.phase == "forward" and app.phase_requests == 6


async def test_escape_and_i_close() -> None:
    for key in ("escape", "i"):
        app = InspectorApp()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, InspectorScreen)
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, InspectorScreen)


async def test_small_terminal() -> None:
    """80×24: everything still works (the sections wrap and scroll)."""
    app = InspectorApp(layer=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        lt = app.first_trace.layers[1]
        assert format_number(lt.z[0, 0]) in section_text(screen, "forward")
        assert format_number(lt.dW[0, 0]) in section_text(screen, "grad")
        for key in ("right", "g", "left", "left", "g", "down", "pagedown", "p", "p"):
            await pilot.press(key)
            await pilot.pause()
        assert screen.layer == 2  # followed the phases: forward (stays at 0), loss (at the output layer)
        assert screen.trace.phase == "loss"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, InspectorScreen)


async def test_sample_trace_of_a_wide_network() -> None:
    """An inspect_sample trace of the digits network (64 inputs, 10 outputs) shows "…" beyond 8×8."""
    session = build_session(merge(dict(dataset="digits", layers="12", loss="ce")))
    trainer = session.trainer
    trace = inspect_sample(trainer, trainer.x_train[:3], trainer.y_train[:3])

    class One(App):
        def on_mount(self) -> None:
            self.push_screen(InspectorScreen(trace, trainer.net.sizes, session.dataset.features, "digits", layer=0))

    app = One()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        forward = section_text(app.screen, "forward")
        assert "x (inputs) (3×64)" in forward and "W₁ (64×12)" in forward and "…" in forward
        await pilot.press("right")
        await pilot.pause()
        assert "softmax" in rendered_text(app.screen)
        delta = " ".join(section_text(app.screen, "delta").split())  # the note wraps
        assert "softmax's Jacobian" in delta and "(a − t)/n" in delta
        assert format_number(trace.loss) in section_text(app.screen, "loss")
