"""The nntui Textual app: watch a network learn; pause, step, change the learning rate.

The app runs the session: it starts, replaces and ends the training process (--save on the way
out, a crash log, SIGTERM), takes its updates, and answers the keys, the command palette and the
dialogs and screens they open.  What is on screen is the dashboard's (dashboard.py): the panels,
when they are redrawn, the probe, the selected neuron and the recorded epoch shown while rewinding.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import threading
import traceback
from pathlib import Path
from typing import Iterable

import numpy as np

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.widgets import Static

from nntui.datasets import DATASETS, Dataset
from nntui.engine import HIDDEN_ACTIVATIONS, OPTIMIZERS, save_model
from nntui.engine.inspect import check_gradients, layer_indices, trace_params
from nntui.export import data_test_path, write_data, write_metrics
from nntui.export_code import from_session, model_code, target_for
from nntui.files import atomic_write
from nntui.lessons import LESSON_BY_NAME
from nntui.live.process import ChildExited, LiveTraining
from nntui.live.protocol import EpochView, ForkReply, RunFigures, RunState, TraceReply, Update
from nntui.session import USER_ERRORS, Session, Weights, build_session, read_model, stop_rule
from nntui.settings import MAX_RUNS, Settings, merge
from nntui.tui.colors import CLASS_COLOR_NAMES
from nntui.tui.compare import run_label, run_name, run_place
from nntui.tui.diagram_layout import BUNDLE_MIN
from nntui.tui.diagram_paint import neuron_name
from nntui.tui.dashboard import Dashboard, xy
from nntui.tui.fork_dialog import ForkDialog
from nntui.tui.edit_dialog import EditDialog, neuron_parameters, with_values
from nntui.tui.heatmap import TEST_GLYPHS, TRAIN_GLYPHS
from nntui.tui.help_screen import HelpScreen
from nntui.tui.hidden_space import HiddenSpaceScreen
from nntui.tui.layer_stats import LayerStatsScreen
from nntui.tui.lesson_panel import TOGGLE_KEY, LessonPanel
from nntui.tui.inspector_screen import InspectorScreen
from nntui.tui.key_bar import KeyBar
from nntui.tui.messages import LiveMessage, TrainingUpdate
from nntui.tui.network_view import NetworkView
from nntui.tui.path_dialog import PathDialog
from nntui.tui.settings_form import SettingsForm, needs_reset

MIN_WIDTH, MIN_HEIGHT = 60, 18
SPEEDS = (1, 3, 10, 20, 60, 200, None)  # epochs per second for < and >; None: full speed
PACE = Binding.Group("pace")  # < > in the key bar
LR = Binding.Group("lr")  # + - in the key bar
SIGNAL_GRACE = 3.0  # seconds the app has to end after SIGTERM or SIGHUP

# The options the data is made from (nntui.session.load_data): a change of any other keeps the
# points as they are, those added or removed by hand included.
DATA_OPTIONS = frozenset({"dataset", "samples", "noise", "train_fraction", "features", "standardize", "seed",
                          "classes", "task", "test_data"})

CYCLES = {
    "dataset": DATASETS,
    "activation": HIDDEN_ACTIVATIONS,
    "optimizer": tuple(OPTIMIZERS),
}

LOOK = "a look at"  # how the inspector's title starts for i and Enter: a step traced on a copy, no weight changed

# The command palette's description of a key whose action method serves several keys (else the
# method's docstring), keyed by the binding's action string.
PALETTE_HELP = {
    "rewind(-1)": "Show the recorded epoch before the one on screen; training pauses.",
    "rewind(1)": "Show the recorded epoch after the one on screen; from the latest, back to live.",
    "rewind(-10)": "Go back 10 recorded epochs from the one on screen; training pauses.",
    "rewind(10)": "Go forward 10 recorded epochs from the one on screen.",
    "cycle('dataset')": "Switch to the next dataset: new points and fresh weights.",
    "cycle('activation')": "Switch the hidden layers to the next activation function; the weights are reset.",
    "cycle('optimizer')": "Switch to the next optimizer (sgd, momentum, nesterov, adam); the weights are reset.",
    "speed(-1)": "Train at the next slower pace (1, 3, 10, 20, 60, 200 epochs/s, full speed).",
    "speed(1)": "Train at the next faster pace (1, 3, 10, 20, 60, 200 epochs/s, full speed).",
    "move_probe(-1, 0)": "Move the probe one heatmap cell left.",
    "move_probe(0, 1)": "Move the probe one heatmap cell up.",
    "move_probe(0, -1)": "Move the probe one heatmap cell down.",
}


class NNTuiApp(App):
    """Train a network in a child process and draw what it learns."""

    CSS_PATH = "app.tcss"
    TITLE = "nntui"
    AUTO_FOCUS = None  # arrows step training until Tab focuses the network diagram
    BINDINGS = [
        # Shown in the key bar, in this order: the most used first, ? and q early enough to show
        # at the smallest size (60 columns); the key bar hides the keys that do not fit.
        Binding("space", "toggle_pause", "Run"),
        Binding("s", "step_epoch", "Step"),
        Binding("less_than_sign", "speed(-1)", "Slower", key_display="<", group=PACE),
        Binding("greater_than_sign", "speed(1)", "Faster", key_display=">", group=PACE),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("plus,equals_sign", "lr_up", "lr up", key_display="+", group=LR),
        Binding("minus", "lr_down", "lr down", key_display="-", group=LR),
        Binding("r", "reset", "Reset"),
        Binding("e", "edit", "Edit"),
        Binding("b", "step_batch", "Batch"),
        Binding("p", "phase", "Phase"),
        Binding("i", "inspect", "Inspect"),
        Binding("c", "toggle_probe", "Probe"),
        Binding("left_square_bracket", "rewind(-1)", "Back", key_display="["),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        # In the help screen and the command palette:
        Binding("right", "right", "Step", show=False),
        Binding("left", "move_probe(-1, 0)", "Probe left", show=False),
        Binding("up", "move_probe(0, 1)", "Probe up", show=False),
        Binding("down", "move_probe(0, -1)", "Probe down", show=False),
        Binding("enter", "inspect_probe", "Inspect the probe point", show=False),
        Binding("right_square_bracket", "rewind(1)", "Forward", key_display="]", show=False),
        Binding("left_curly_bracket", "rewind(-10)", "Back 10", key_display="{", show=False),
        Binding("right_curly_bracket", "rewind(10)", "Forward 10", key_display="}", show=False),
        Binding("home", "first_epoch", "First epoch", key_display="Home", show=False),
        Binding("end", "live", "Live", show=False),
        Binding("n", "new_data", "New data", show=False),
        Binding("t", "toggle_test", "Test points", show=False),
        Binding("d", "cycle('dataset')", "Next dataset", show=False),
        Binding("a", "cycle('activation')", "Next activation", show=False),
        Binding("o", "cycle('optimizer')", "Next optimizer", show=False),
        Binding("l", "toggle_log", "Log loss", show=False),
        Binding("v", "toggle_discretize", "Discretize", show=False),
        Binding("h", "hidden_space", "Hidden space", show=False),
        Binding("y", "layer_stats", "Layer statistics", show=False),
        Binding("ctrl+s", "save_model", "Save model", show=False),
        Binding("ctrl+o", "load_model", "Load model", show=False),
        Binding("x", "export", "Export metrics, screenshot, data points and the model as code", show=False),
        Binding("w", "edit_weights", "Set a weight by hand", show=False),
        Binding("z", "switch_neuron", "Switch a neuron off/on", show=False),
        Binding(TOGGLE_KEY, "fold_lesson", "Fold or open the lesson's instructions (--lesson)", show=False),
        Binding("escape", "clear_selection", "Output", show=False),
        Binding("f", "fork", "Fork the run: compare a setting", show=False),
        Binding("k", "next_run", "Show the next run", show=False),
        Binding("K", "close_run", "Close the run shown", key_display="K", show=False),
        # Points by hand, with the probe: 0–9 add a point of that class at its cross.
        *(Binding(str(k), f"add_point({k})", f"Add {'an' if colour[0] in 'aeiou' else 'a'} {colour} point at the probe",
                  show=False) for k, colour in enumerate(CLASS_COLOR_NAMES)),
        Binding("delete,backspace", "remove_point", "Remove the point nearest the probe", key_display="Del", show=False),
    ]

    # The run, bound into the dashboard (data_bind), which shows it.
    state: reactive[RunState] = reactive(RunState.PAUSED)  # running | paused | diverged | failed
    failure: var[str | None] = var(None)  # why the training process ended, if it did
    show_test: reactive[bool] = reactive(True)
    latest: var[Update | None] = var(None, always_update=True)  # the last update from the current trainer

    def __init__(self, session: Session, weights: Weights | None = None) -> None:
        super().__init__()
        self.session = session
        self._start_weights = weights  # --load: what reset goes back to
        self.view = self._make_view(session)
        self.live: LiveTraining | None = None  # started on mount
        self.generation = 0  # the training generation the UI expects: older updates are stale
        self.shown_run = 0  # the run shown, of those trained side by side: updates of another are stale
        self.runs: tuple[RunFigures, ...] = ()  # the runs side by side, as the last update taken reports them
        self._saved_epoch: tuple[int, int] | None = None  # (generation, epoch) written to --save
        self.exit_notes: list[str] = []  # what the command says once the app has ended
        self.crash: str | None = None  # the traceback of an error that ended the app
        self.signalled: int | None = None  # the signal (SIGTERM, SIGHUP) that ended it
        self._titles: dict[int, str] = {}  # inspector titles of the traces asked for
        self._sample = -1  # the training sample the inspector showed last
        self._points_edited = False  # points were added or removed: rewinding stops at the last edit
        self._rewinding_from: int | None = None  # the epoch shown when [ or { asked for an earlier one
        self._run_note = "training starts there"  # why nothing is recorded before this run's first epoch
        self.dashboard = Dashboard(id="dashboard")  # the panels and the status line, kept at hand
        lesson = LESSON_BY_NAME.get(session.settings.lesson or "")
        self.lesson_panel = None if lesson is None else LessonPanel(lesson, id="lesson")  # --lesson: what to do

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        if self.lesson_panel is not None:
            yield self.lesson_panel
        yield self.dashboard.data_bind(NNTuiApp.state, NNTuiApp.failure, NNTuiApp.show_test, NNTuiApp.latest)
        yield Static(f"make the terminal larger (needs {MIN_WIDTH}×{MIN_HEIGHT})", id="too-small")
        yield KeyBar()

    def on_mount(self) -> None:
        self._check_size()
        self.watch(self.dashboard, "frame", self._follow_frame, init=False)
        self.live = LiveTraining(
            self.session.trainer,
            stop_rule(self.settings),
            running=not self.settings.paused,
            history_bytes=self.settings.history_mb * 2**20,
            on_update=lambda: self.post_message(TrainingUpdate()),
            on_message=lambda message: self.post_message(LiveMessage(message)),
            metrics=self.settings.metrics,
            max_rate=self.settings.speed,
            settings=self.session.settings,
        )

        self._handle_signals(True)

    def _follow_frame(self) -> None:
        """A frame was drawn: the open edit dialog shows the values drawn."""
        if isinstance(self.screen, EditDialog):
            net = self.view.net
            self.screen.show_values(net.W, net.b, self.dashboard.shown_off())

    @property
    def view_epoch(self) -> int | None:
        """The past epoch on screen while rewinding; None: live."""
        return self.dashboard.view_epoch

    @property
    def probe(self) -> tuple[float, float] | None:
        """The probe point on the heatmap, if shown."""
        return self.dashboard.probe

    @property
    def selected(self) -> tuple[int, int] | None:
        """The neuron selected on the diagram (layer, index), if any."""
        return self.dashboard.selected

    def on_unmount(self) -> None:
        self._handle_signals(False)
        self._end_training()
        self.save_run()  # --save, on the way out however the app ends
        if self.live is not None:
            if self.live.metrics is not None:
                metrics = self.live.metrics
                self.exit_notes.append(f"could not write {metrics.path}: {metrics.error}" if metrics.error
                                       else f"wrote every epoch's figures to {metrics.path}")

    def _end_training(self) -> None:
        """End the training process, and take the last update it sent: --save then holds the
        epoch that --metrics ends with."""
        if self.live is None:
            return
        self.live.close()
        update = self.live.take()
        if update is not None and update.generation == self.generation:
            self.set_reactive(NNTuiApp.latest, update)  # for --save: not drawn

    def save_run(self) -> str | None:
        """Write --save: the latest weights trained (not a rewound view), unless the run diverged;
        what happened, or None if there was nothing new to save."""
        update, path = self.latest, self.settings.save
        if not path or update is None or self._saved_epoch == (self.generation, update.snapshot.epoch):
            return None
        snap = update.snapshot
        if snap.diverged:
            self._saved_epoch = (self.generation, snap.epoch)  # decided for this epoch: say it once
            self.exit_notes.append(f"not saving {path}: the run diverged")
            return self.exit_notes[-1]
        try:
            save_model(path, snap.W, snap.b, self.settings.model_settings(), snap.off)
        except OSError as e:
            self.exit_notes.append(f"could not write {path}: {e.strerror or e}")
            self.notify(self.exit_notes[-1], severity="error")
            return None
        self._saved_epoch = (self.generation, snap.epoch)
        self.exit_notes.append(f"saved the model of epoch {snap.epoch} to {path}")
        return self.exit_notes[-1]

    def _handle_exception(self, error: Exception) -> None:
        """A crash: Textual ends the app; its traceback goes to a log file, not the terminal
        (``nntui.cli`` prints one line naming the file)."""
        self.crash = "".join(traceback.format_exception(error))
        super()._handle_exception(error)
        if not self.is_headless:  # under run_test, Pilot re-raises the error for the test
            self._exit_renderables.clear()

    def pop_screen(self) -> AwaitComplete:
        """As App.pop_screen, but with only the main screen left it does nothing: Textual's command
        palette dismisses itself twice when two Enters come in one burst (ctrl+p, Enter, Enter)."""
        if len(self.screen_stack) <= 1:
            return AwaitComplete(asyncio.sleep(0)).call_next(self)
        return super().pop_screen()

    def _handle_signals(self, on: bool) -> None:
        """SIGTERM and SIGHUP (a closed terminal or SSH session) quit like q: the training process
        ends, --save is written and the terminal is restored; exit code 128 + the signal's number."""
        try:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                if on:
                    loop.add_signal_handler(sig, lambda sig=sig: self._quit_on_signal(sig))
                else:
                    loop.remove_signal_handler(sig)
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):  # not the main thread, or no such signal
            pass

    def _quit_on_signal(self, sig: int) -> None:
        """Keep the run's work and end the training process now, then quit.  A terminal that hung
        up can stall Textual's own shutdown (its writer thread dies on the first failed write and
        the last write then waits for it forever), so the process also ends within SIGNAL_GRACE s."""
        self.signalled = sig
        self._end_training()
        self.save_run()
        watchdog = threading.Timer(SIGNAL_GRACE, os._exit, [128 + sig])
        watchdog.daemon = True
        watchdog.start()
        self.exit(return_code=128 + sig)

    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size)

    def _check_size(self, size: Size | None = None) -> None:
        """Show the "make the terminal larger" message below the minimum size."""
        size = size or self.size
        too_small = size.width < MIN_WIDTH or size.height < MIN_HEIGHT
        self.screen.set_class(too_small, "-too-small")

    # ------------------------------------------------------------------ sessions
    def _make_view(self, session: Session, settings: Settings | None = None) -> NetworkView:
        """A view of the session's network (``settings``: a run's beside it, with its own activation)."""
        activation = (settings or session.settings).activation
        return NetworkView(session.net.sizes, activation, session.output, session.dataset)

    def _use_session(self, session: Session, note: str, keep_lr: bool = False) -> None:
        """Swap in a freshly built session (reset, new data, cycled option); ``keep_lr``: it trains
        at the run's learning rate, whatever a change of rate still on its way makes it."""
        self.session = session
        self.view = self._make_view(session)
        if isinstance(self.screen, (InspectorScreen, EditDialog)):
            self.pop_screen()  # it explained (or edited) the old network
        self.latest = None  # nothing is drawn until the new trainer's first update
        self.failure = None
        self.generation += 1
        self.shown_run, self.runs = 0, ()  # alone: the forks are closed
        self._run_note = "the history was cleared: " + note
        self._points_edited = False
        self._titles.clear()  # traces still on their way are of the old network
        self.dashboard.reset()
        self.live.replace(session.trainer, stop_rule(session.settings), generation=self.generation, keep_lr=keep_lr,
                          settings=session.settings)
        self.notify(note, timeout=3)

    def _rebuild(self, settings: Settings, note: str, same_data: bool = False, weights: Weights | None = None,
                 keep_lr: bool = True) -> None:
        try:
            session = build_session(settings, weights, self.session.dataset if same_data else None)
        except MemoryError:
            self.notify("out of memory: lower the samples, the layers or the rewind history", severity="error")
            return
        except USER_ERRORS as first:
            try:  # the new dataset may not fit an explicit loss/output/feature choice: fall back to auto
                fallback = settings.replace(loss="auto", output="auto", features="x1,x2")
                session = build_session(fallback, None)
            except USER_ERRORS:
                self.notify(str(first), severity="error")
                return
        self._use_session(session, note, keep_lr)

    # ------------------------------------------------------------------ updates from the training process
    def on_training_update(self, message: TrainingUpdate) -> None:
        update = self.live.take()
        if update is None or update.generation != self.generation or update.run != self.shown_run:
            return  # from a trainer that has since been replaced (or rewound), or of the run shown before
        self.runs = update.runs
        if update.state == RunState.DIVERGED and self.state != RunState.DIVERGED:
            self.notify(update.snapshot.diverged or "diverged", severity="error", timeout=8)
        self.state = update.state
        self.latest = update  # the dashboard shows it, when its frame is due
        if update.stopped and not update.running and self.settings.save:  # --epochs (or a stop rule) paused it
            if (note := self.save_run()) is not None:
                self.notify(note, timeout=4)

    def on_live_message(self, message: LiveMessage) -> None:
        """A trace for the inspector, a recorded epoch to show, or the training process's end."""
        what = message.message
        if isinstance(what, TraceReply):
            title = self._titles.pop(what.request, None)
            if title is not None:  # else asked of a network since replaced (r, n, d, …): not this one's
                self._show_trace(what.trace, title)
        elif isinstance(what, EpochView):
            self._show_view(what)
        elif isinstance(what, ForkReply):
            self._forked(what)
        elif isinstance(what, ChildExited):
            reason = what.failure.message if what.failure else _exit_reason(what.exitcode)
            self.failure = f"training stopped: {reason} (r starts it again)"  # the status line says it
            self.state = RunState.FAILED
            self.notify(self.failure, severity="error", timeout=10)

    # ------------------------------------------------------------------ actions
    def action_toggle_pause(self) -> None:
        """Pause or resume training."""
        if self.state == RunState.DIVERGED and self.view_epoch is None:
            self.notify("The run diverged: lower the learning rate (-) and reset (r).", severity="warning")
            return
        if self._continue_from_view():
            self.live.resume()
        else:
            self.live.toggle()

    def action_step_epoch(self) -> None:
        """Train exactly one epoch (pauses first if running)."""
        if self.state == RunState.RUNNING:
            self.live.pause()
        else:
            self._continue_from_view()
            self.live.step_epoch()

    def action_step_batch(self) -> None:
        """Train exactly one mini-batch (pauses first if running)."""
        if self.state == RunState.RUNNING:
            self.live.pause()
        else:
            self._continue_from_view()
            self.live.step_batch()

    # ------------------------------------------------------------------ rewind
    def action_rewind(self, delta: int) -> None:
        """Show an earlier (delta < 0) or later recorded epoch, counted from the one on screen; training pauses."""
        if self.latest is None:
            return
        if self.state == RunState.RUNNING:
            self.live.pause()
        shown = self.view_epoch
        if shown is None:  # live: the epoch drawn, which training may already be past
            drawn = self.dashboard.drawn_epoch
            shown = self.latest.snapshot.epoch if drawn is None else drawn
        self._rewinding_from = shown if delta < 0 else None
        self.live.request("view", shown, delta)

    def action_first_epoch(self) -> None:
        """Show the first recorded epoch of this run; training pauses."""
        self.action_rewind(-(10**9))  # the history clamps it to the oldest epoch it holds

    def _show_view(self, view: EpochView) -> None:
        """The training process sent the recorded epoch asked for: say where the history ends, and show it."""
        if view.generation != self.generation or self.latest is None:
            return
        back_from, self._rewinding_from = self._rewinding_from, None
        if back_from is not None and (view.epoch is None or view.epoch >= back_from):
            if self._points_edited and view.epoch is not None:
                self.notify(f"Rewinding goes back to epoch {view.epoch}, where the points were edited: "
                            "the epochs before trained on other points.", severity="warning")
            else:
                self.notify(f"nothing recorded before epoch {back_from}: {self._run_note}", severity="warning")
        self.dashboard.show_epoch(view)

    def action_live(self) -> None:
        """Back to the latest epoch after rewinding."""
        self.dashboard.view_epoch = None

    def _continue_from_view(self) -> bool:
        """If a past epoch is shown, continue training from there (dropping the later history)."""
        epoch = self.view_epoch
        if epoch is None or self.latest is None or epoch >= self.latest.snapshot.epoch:
            self.dashboard.view_epoch = None
            return False
        dropped = self.latest.snapshot.epoch - epoch
        self.generation += 1
        self.live.rewind(epoch, self.generation)
        self.dashboard.view_epoch = None
        self.notify(f"continuing from epoch {epoch}: the {dropped} later epochs were dropped")
        return True

    @property
    def settings(self) -> Settings:
        """The run's settings, with the learning rate the training process last reported: +/-
        and the settings form change it there, and a rewind restores an earlier one."""
        figures, update = self._run_figures(), self.latest
        settings = self.session.settings if figures is None or figures.settings is None else figures.settings
        if update is None or update.snapshot.base_lr == settings.lr:
            return settings
        return settings.replace(lr=update.snapshot.base_lr)

    # ------------------------------------------------------------------ runs side by side
    def _run_figures(self) -> RunFigures | None:
        """The run shown, as the last update taken reports it."""
        return next((r for r in self.runs if r.run == self.shown_run), None)

    def action_fork(self) -> None:
        """Fork the run shown: a run beside it from the same initial weights, on the same data, with
        one setting changed (chosen in a dialog), to compare the two on one chart."""
        if self.latest is None:
            return
        if len(self.runs) >= MAX_RUNS:
            self.notify(f"at most {MAX_RUNS} runs side by side: close one first (K)", severity="warning")
            return
        self.push_screen(ForkDialog(self.settings, run_name(run_place(self.shown_run, self.runs))), self._fork)

    def _fork(self, changes: dict | None) -> None:
        if changes:
            self.live.fork(changes)

    def _forked(self, reply: ForkReply) -> None:
        """The training process's answer to a fork: the new run trains, or why it does not."""
        if reply.run is None:
            self.notify(reply.error or "the run could not be forked", severity="warning")
            return
        self.notify(f"{run_name(len(self.runs))} forked: {reply.label}, from the same initial weights "
                    "(k shows it)", timeout=5)

    def action_next_run(self) -> None:
        """Show the next of the runs trained side by side: the diagram, the heatmap and the status line follow it."""
        if len(self.runs) < 2:
            self.notify("one run: f forks it, to compare a setting", timeout=3)
            return
        self._show_run(self.runs[(run_place(self.shown_run, self.runs) + 1) % len(self.runs)])

    def action_close_run(self) -> None:
        """Close the run shown, of the runs trained side by side; the first of the others is shown."""
        runs, figures = self.runs, self._run_figures()
        if len(runs) < 2 or figures is None:
            self.notify("the only run: there is none to close", timeout=3)
            return
        self.live.close_run(figures.run)
        name = f"{run_name(run_place(figures.run, runs))} {run_label(figures, runs)}".strip()
        self.runs = tuple(r for r in runs if r.run != figures.run)
        self._show_run(self.runs[0])
        self.notify(f"closed {name}", timeout=3)

    def _show_run(self, figures: RunFigures) -> None:
        """Show this run: its updates from now on, drawn with its own network."""
        self.live.select(figures.run)
        self.shown_run, self.generation = figures.run, figures.generation
        self.view = self._make_view(self.session, figures.settings)
        if isinstance(self.screen, (InspectorScreen, EditDialog)):
            self.pop_screen()  # it explained (or edited) the other run's network
        self._titles.clear()  # traces still on their way are of the other run's network
        self.latest = None  # nothing is drawn until its first update
        self.dashboard.show_run()

    def _change_lr(self, direction: int) -> None:
        """One step up or down the ladder of rates, from the rate the trainer has when it gets there."""
        self.live.change_lr(direction)

    def _set_lr(self, lr: float) -> None:
        """A new learning rate, applied from the next mini-batch on; nothing is reset."""
        self.live.set_lr(lr)

    def action_lr_up(self) -> None:
        """Raise the learning rate one step along the ladder (no reset)."""
        self._change_lr(+1)

    def action_lr_down(self) -> None:
        """Lower the learning rate one step along the ladder (no reset)."""
        self._change_lr(-1)

    def action_reset(self) -> None:
        """Start again from the seed's initial weights, on the same data."""
        self._rebuild(self.settings, "reset: fresh weights, same data", same_data=True, weights=self._start_weights)
        self._run_note = "r started a new run"

    def action_new_data(self) -> None:
        """New data (and weights) from the next seed."""
        self._start_weights = None
        settings = self.settings.replace(seed=self.settings.seed + 1)
        self._rebuild(settings, f"new data: seed {settings.seed}")

    def action_cycle(self, option: str) -> None:
        """Switch to the next dataset, activation or optimizer, and reset."""
        choices = CYCLES[option]
        current = getattr(self.settings, option)
        following = choices[(choices.index(current) + 1) % len(choices)] if current in choices else choices[0]
        self._start_weights = None
        self._rebuild(self.settings.replace(**{option: following}), f"{option}: {following} (weights reset)",
                      same_data=option not in DATA_OPTIONS)

    # ------------------------------------------------------------------ probe
    def action_toggle_probe(self) -> None:
        """Show or hide a probe point on the heatmap (arrows or a click move it)."""
        data = self.session.dataset
        if not data.is_2d:
            self.notify("The probe needs 2-D data.", severity="warning")
            return
        if self.probe is None:
            xmin, xmax, ymin, ymax = data.bounds
            self.dashboard.probe = ((xmin + xmax) / 2, (ymin + ymax) / 2)
            self.notify("probe: arrows or a click move it, Enter inspects it; 0–9 add a point there, "
                        "Delete removes the nearest", timeout=4)
        else:
            self.dashboard.probe = None

    def action_right(self) -> None:
        """Move the probe right, or step one epoch when there is no probe."""
        if self.probe is not None:
            self.action_move_probe(1, 0)
        else:
            self.action_step_epoch()

    def action_move_probe(self, dx: int, dy: int) -> None:
        """Move the probe by one heatmap cell."""
        self.dashboard.move_probe(dx, dy)

    # ------------------------------------------------------------------ points by hand
    def action_add_point(self, k: int) -> None:
        """Add a training point at the probe: of class k, the legend's k-th (regression: 0 the lowest target, 1 the highest)."""
        # Two classes: 0 is −1 (orange), 1 is +1 (blue).  The targets are the training points'.
        data = self._points_editable()
        if data is None:
            return
        if data.task == "regression":
            if k > 1:
                self.notify("On regression data 0 adds a point with the lowest target, 1 with the highest.",
                            severity="warning")
                return
            label = float(data.y_train.min() if k == 0 else data.y_train.max())
        elif k >= data.n_classes:
            self.notify(f"This data has {data.n_classes} classes: keys 0 to {data.n_classes - 1} add them.",
                        severity="warning")
            return
        else:
            label = k
        edited = data.with_point(self.probe, label)
        self._edit_data(edited, f"added {self._point_text(data, label)} at {xy(self.probe)}: "
                                f"{edited.n_train} training points")

    def action_remove_point(self) -> None:
        """Remove the point nearest the probe: a training point, or a test point while they are shown (t)."""
        data = self._points_editable()
        if data is None:
            return
        test, i = data.nearest(self.probe, test=self.show_test)
        part, points, labels = ("test", data.points_test, data.y_test) if test else ("training", data.points_train, data.y_train)
        if len(points) <= 1:
            self.notify(f"That is the last {part} point: it stays.", severity="warning")
            return
        edited = data.without_point(i, test)
        self._edit_data(edited, f"removed {self._point_text(data, labels[i], part)} at {xy(points[i])}: "
                                f"{len(points) - 1} {part} points")

    def _points_editable(self) -> Dataset | None:
        """The data, if points can be added or removed now (2-D data, the probe shown); else say why."""
        data = self.session.dataset
        if not data.is_2d:
            self.notify("Points can be added and removed on 2-D data only.", severity="warning")
            return None
        if self.probe is None:
            self.notify("Press c for the probe first: points are added and removed where its cross is.",
                        severity="warning")
            return None
        return data

    @staticmethod
    def _point_text(data: Dataset, label, part: str = "") -> str:
        """'a class +1 test point (blue ■)' (its colour, and its shape without colour), or 'a point with target +0.84'."""
        point = f"{part} point" if part else "point"
        if data.task == "regression":
            return f"a {point} with target {float(label):+.3g}"
        k = int(label)
        glyphs = TEST_GLYPHS if part == "test" else TRAIN_GLYPHS
        return f"a class {data.class_names[k]} {point} ({CLASS_COLOR_NAMES[k % len(CLASS_COLOR_NAMES)]} {glyphs[k % len(glyphs)]})"

    def _edit_data(self, data: Dataset, note: str) -> None:
        """Train on the edited points from the next mini-batch on: the epoch under way starts over on
        them, its figures are computed afresh, and rewinding stops at this epoch."""
        self._continue_from_view()
        self.session.dataset = self.view.dataset = data
        self.session.trainer.set_data(data.x_train, data.y_train, data.x_test, data.y_test)
        self.generation += 1  # what was sent before the edit (figures, recorded epochs) is of the old points
        self.live.set_data(data.x_train, data.y_train, data.x_test, data.y_test, self.generation)
        self._points_edited = True
        self.dashboard.configure()
        self.notify(note)

    def action_toggle_discretize(self) -> None:
        """Show only the decision on the heatmap (each point's class), or the output's shades again."""
        heatmap = self.dashboard.heatmap
        heatmap.discretize = not heatmap.discretize

    def action_toggle_test(self) -> None:
        """Show or hide the test points on the heatmap."""
        self.show_test = not self.show_test

    def action_speed(self, direction: int) -> None:
        """Train slower (<) or faster (>): 1, 3, 10, 20, 60, 200 epochs/s or full speed."""
        self.set_speed(next_speed(self.live.max_rate, direction))

    def set_speed(self, rate: float | None) -> None:
        """Train at ``rate`` epochs per second (None: full speed); the status line shows it at once."""
        self.session.settings = self.session.settings.replace(speed=rate)
        self.live.set_speed(rate)
        self.dashboard.update_status()

    def action_toggle_log(self) -> None:
        """Plot log10 of the loss (or the loss itself again)."""
        plot = self.dashboard.plot
        plot.log_scale = not plot.log_scale

    def action_edit(self) -> None:
        """Edit the settings: data, layers, activation, optimizer, batch size, regularization, learning rate."""

        def apply(changes: dict | None) -> None:
            if not changes:
                return
            if not needs_reset(changes):
                self._set_lr(changes["lr"])
                self.notify(f"learning rate {changes['lr']:g} (nothing reset)")
                return
            self._start_weights = None
            names = ", ".join(sorted(changes))
            self._rebuild(self.settings.replace(**changes), f"changed {names}: the weights were reset",
                          same_data=not DATA_OPTIONS & changes.keys(), keep_lr="lr" not in changes)

        self.push_screen(SettingsForm(self.settings, DATASETS), apply)

    # ------------------------------------------------------------------ backprop inspector
    def action_inspect(self) -> None:
        """Trace one training step on one training sample (the next one each time)."""
        if self.latest is None:
            return
        self.live.pause()
        data = self.session.dataset
        self._sample = (self._sample + 1) % data.n_train
        k = self._sample
        label = data.class_names[data.y_train[k]] if data.class_names else data.y_train[k]
        title = f"{LOOK} sample #{k} (label {label}): the weights are not changed"
        self._titles[self.live.request("inspect", k)] = title

    def action_inspect_probe(self) -> None:
        """Trace one training step on the probe point, labelled like its nearest training point."""
        if self.probe is None or self.latest is None:
            return
        self.live.pause()
        data = self.session.dataset
        point = np.array([self.probe])
        nearest = int(np.argmin(((data.points_train - point) ** 2).sum(axis=1)))
        label = data.y_train[nearest : nearest + 1]
        title = f"{LOOK} the probe {xy(self.probe)}: the weights are not changed (labelled as its nearest training point)"
        self._titles[self.live.request("inspect", None, data.inputs(point), label)] = title

    def action_phase(self) -> None:
        """One phase of the current mini-batch: forward → loss → backward (a layer) → update."""
        if self.latest is None or self.state == RunState.DIVERGED:
            return
        self._continue_from_view()
        epoch, batch = self.latest.snapshot.epoch, self.latest.batch_in_epoch
        title = f"phase stepping: batch {batch + 1}/{self.latest.n_batches} after epoch {epoch}"
        self._titles[self.live.request("phase")] = title

    def _show_trace(self, trace, title: str) -> None:
        """Open the inspector on a traced step (or show it in the open one)."""
        look_only = title.startswith(LOOK)  # i and Enter trace a step on a copy of the network
        if isinstance(self.screen, InspectorScreen):
            self.screen.inspector_title = title
            self.screen.look_only = look_only
            self.screen.show_trace(trace)
            return
        session = self.session

        def gradcheck(layer: int) -> list[tuple[int, float, float, float]]:
            shown = self.screen.trace if isinstance(self.screen, InspectorScreen) else trace
            indices = layer_indices(session.net, layer)[:12]
            return check_gradients(session.trainer, shown.x, shown.t, indices, params=trace_params(shown))

        screen = InspectorScreen(trace, session.net.sizes, session.dataset.feature_labels, title, gradcheck,
                                 images=self.dashboard.images, look_only=look_only)
        self.push_screen(screen, lambda _: setattr(self.dashboard.diagram, "highlight_layer", None))

    def on_inspector_screen_phase_requested(self, message: InspectorScreen.PhaseRequested) -> None:
        self.action_phase()

    def on_inspector_screen_layer_changed(self, message: InspectorScreen.LayerChanged) -> None:
        self.dashboard.diagram.highlight_layer = message.layer

    # ------------------------------------------------------------------ files
    def action_save_model(self) -> None:
        """Save the model shown (weights and settings) to an .npz file."""
        if self.latest is None:
            return
        epoch = self.latest.snapshot.epoch if self.view_epoch is None else self.view_epoch
        W = [w.copy() for w in self.view.net.W]
        b = [bias.copy() for bias in self.view.net.b]
        settings = self.settings.model_settings()
        off = self.dashboard.shown_off()
        default = f"nntui-{Path(self.settings.dataset).stem}-epoch{epoch}.npz"

        def save(path: str | None) -> None:
            if path:
                self._try(lambda: save_model(path, W, b, settings, off), f"saved the model of epoch {epoch} to {path}")

        self.push_screen(PathDialog("Save the model as", default, suffixes=(".npz",)), save)

    def action_load_model(self) -> None:
        """Load a model file: its weights and saved settings (the data is rebuilt from them)."""

        def load(path: str | None) -> None:
            if not path:
                return
            try:
                saved, weights = read_model(path)
                session = build_session(merge(self.settings.model_settings(), saved), weights)
            except USER_ERRORS as e:
                self.notify(str(e), severity="error")
                return
            self._start_weights = weights
            self._use_session(session, f"loaded {path}")

        self.push_screen(PathDialog("Load a model", "", must_exist=True, suffixes=(".npz",)), load)

    def action_export(self) -> None:
        """Export the metrics log (.csv or .jsonl), then a screenshot (.svg), then 2-D data's points (.csv),
        then the model shown as code (.py: NumPy, or PyTorch for a name ending in torch.py)."""
        if self.latest is None:
            return
        log = list(self.live.log.iter_stats())
        screenshot = self.export_screenshot()
        data = self.session.dataset
        epoch = self.latest.snapshot.epoch if self.view_epoch is None else self.view_epoch
        shown = dataclasses.replace(self.session, settings=self.settings)  # a fork's own activation, optimizer, …
        model = from_session(shown, [w.copy() for w in self.view.net.W], [v.copy() for v in self.view.net.b],
                             f"at epoch {epoch} of a run in nntui")

        def save_svg(path: str | None) -> None:
            if path:
                self._try(lambda: atomic_write(path, lambda f: f.write(screenshot.encode("utf-8"))), f"saved {path}")
            if data.is_2d:  # the points as they are now (some maybe added or removed by hand)
                self.push_screen(PathDialog("Save the data points as", "nntui-data.csv", suffixes=(".csv",)), save_data)
            else:
                ask_code()

        def save_data(path: str | None) -> None:
            if path:
                test = data_test_path(path)
                self._try(lambda: write_data(path, data),
                          f"saved the training points to {path}, the test points to {test}: "
                          f"nntui --dataset {path} --test-data {test} loads them")
            ask_code()

        def ask_code() -> None:
            default = f"nntui-{Path(self.settings.dataset).stem}-epoch{epoch}.py"
            self.push_screen(PathDialog("Save the model as code (NumPy; a name ending in torch.py: PyTorch)",
                                        default, suffixes=(".py",)), save_code)

        def save_code(path: str | None) -> None:
            if path:
                to = target_for(path)
                text = model_code(model, to)
                self._try(lambda: atomic_write(path, lambda f: f.write(text.encode("utf-8"))),
                          f"saved the model of epoch {epoch} as {'PyTorch' if to == 'pytorch' else 'NumPy'} code "
                          f"to {path}: predict(x) in it")

        def save_metrics(path: str | None) -> None:
            if path:
                self._try(lambda: write_metrics(path, log), f"saved {len(log)} epochs of metrics to {path}")
            self.push_screen(PathDialog("Save a screenshot as", "nntui-screenshot.svg", suffixes=(".svg",)), save_svg)

        self.push_screen(PathDialog("Export the metrics as", "nntui-metrics.csv", suffixes=(".csv", ".jsonl")), save_metrics)

    def _try(self, write, done: str) -> None:
        """Run a file operation; say what happened in a notification, never crash."""
        try:
            write()
        except (OSError, ValueError) as e:
            self.notify(f"could not write: {e}", severity="error")
        else:
            self.notify(done)

    def action_hidden_space(self) -> None:
        """The training points and a grid of the input plane, as two neurons of a layer see them."""
        self._show_panel(HiddenSpaceScreen)

    def action_layer_stats(self) -> None:
        """Per-layer histograms of weights, activations and gradients; dead and saturated units."""
        self._show_panel(LayerStatsScreen)

    def _show_panel(self, kind: type[Screen]) -> None:
        """Open a panel screen, in place of the other one if that is open."""
        if isinstance(self.screen, kind):
            return
        if isinstance(self.screen, (HiddenSpaceScreen, LayerStatsScreen)):
            self.switch_screen(kind())
        else:
            self.push_screen(kind())

    # ------------------------------------------------------------------ edits by hand
    def _neuron_editable(self) -> tuple[int, int] | None:
        """The selected neuron, if it can be edited by hand; else say why not and None."""
        if self.latest is None:
            return None
        if self.selected is None:
            self.notify("Select a neuron first: Tab and the arrows, or a click on the diagram.", severity="warning")
            return None
        if self.selected[0] == 0 and self.view.net.sizes[0] >= BUNDLE_MIN:  # the diagram's one tile for an image
            self.notify("Select a neuron of a hidden layer or the output: the image's pixels are too many to list.",
                        severity="warning")
            return None
        return self.selected

    def action_edit_weights(self) -> None:
        """Set the selected neuron's bias or one of its weights by hand: the boundary follows at once."""
        selected = self._neuron_editable()
        if selected is None:
            return
        net, names = self.view.net, self.session.dataset.feature_labels
        params = with_values(neuron_parameters(net.sizes, names, *selected), net.W, net.b, self.dashboard.shown_off())
        title = f"Set a weight of {neuron_name(net.sizes, names, *selected)} by hand"
        self.push_screen(EditDialog(title, params), lambda _: setattr(self.dashboard.diagram, "link", None))

    def on_edit_dialog_chosen(self, message: EditDialog.Chosen) -> None:
        """The weight chosen in the dialog stands out on the diagram (a bias has no link)."""
        self.dashboard.diagram.link = None if message.row is None else (message.layer, message.row, message.col)

    def on_edit_dialog_edited(self, message: EditDialog.Edited) -> None:
        """A value typed in the dialog: the training process sets it between two mini-batches (from a
        rewound epoch, the run goes on from there with the edit)."""
        self._continue_from_view()
        self.live.set_parameter(message.layer, message.row, message.col, message.value)

    def action_switch_neuron(self) -> None:
        """Switch the selected neuron off (its weights out held at zero, drawn grey) or on again."""
        selected = self._neuron_editable()
        if selected is None:
            return
        sizes, names = self.view.net.sizes, self.session.dataset.feature_labels
        name = neuron_name(sizes, names, *selected)
        if selected[0] == len(sizes) - 1:
            self.notify(f"{name} has no weights out to hold at zero: switch off a hidden neuron or an input.",
                        severity="warning")
            return
        on = selected in self.dashboard.shown_off()
        self._continue_from_view()
        self.live.switch_neuron(*selected, on)
        self.notify(f"{name} switched on: its weights out learn again from 0" if on
                    else f"{name} switched off: its weights out are held at 0 (z switches it on)", timeout=3)

    def action_fold_lesson(self) -> None:
        """Fold the lesson panel to its title line, or open it again."""
        if self.lesson_panel is not None:
            self.lesson_panel.collapsed = not self.lesson_panel.collapsed

    def action_help(self) -> None:
        """Open the help screen."""
        self.push_screen(HelpScreen())

    def action_clear_selection(self) -> None:
        """Back to the network's output on the heatmap."""
        self.dashboard.clear_selection()

    async def action_quit(self) -> None:
        """Stop training and quit."""
        self.exit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette offers every key's action too."""
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if binding.action in ("quit",):
                continue
            method = getattr(self, f"action_{binding.action.split('(')[0]}")
            title = f"{binding.description} ({binding.key_display or binding.key.split(',')[0]})"
            help_text = PALETTE_HELP.get(binding.action)
            if help_text is None and binding.action.startswith("add_point("):
                help_text = f"{binding.description}: a training point of class {binding.key} (regression: 0 the lowest target, 1 the highest)."
            help_text = help_text or (method.__doc__ or "").strip()
            yield SystemCommand(title, help_text, lambda a=binding.action: self.run_action(a))


def next_speed(rate: float | None, direction: int) -> float | None:
    """The next pace along SPEEDS, slower (direction < 0) or faster, from any pace (None: full speed)."""
    rates = [r for r in SPEEDS if r is not None]
    if direction > 0:
        return None if rate is None else next((r for r in rates if r > rate), None)
    if rate is None:
        return rates[-1]
    return next((r for r in reversed(rates) if r < rate), rates[0])


def _exit_reason(exitcode: int | None) -> str:
    """How a process ended, in words: 'exit code 1', 'killed by SIGKILL'."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            pass
    return f"exit code {exitcode}"
