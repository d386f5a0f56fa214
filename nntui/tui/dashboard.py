"""The live panels of a run, and when they are redrawn.

The dashboard shows what the app's run has reached: the network diagram (for image data, the first
layer's weight images in its place), the loss plot, the heatmap of the output over the input plane
(for image data, the test pictures), the confusion matrix and the status line.  It owns what is on
screen: the frame pacing (while training, the heavy panels are redrawn at most once a frame, see
pacer.py), the probe point, the selected neuron shown on the heatmap and the recorded epoch shown
while rewinding.  The app's run state is bound into it (``data_bind``: the state, the failure, the
test points shown and the latest update); the app tells it of a new network (``reset``) or edited
points (``configure``), and hands it the recorded epochs the training process sends (``show_epoch``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import var

from nntui.live.protocol import EpochView, RunState, Update
from nntui.tui.messages import NeuronSelected
from nntui.tui.compare import run_color, run_label, run_name, run_place
from nntui.tui.confusion import ConfusionMatrix, confusion_matrix
from nntui.tui.digits_view import DigitsView
from nntui.tui.heatmap import Heatmap
from nntui.tui.images import ImageData
from nntui.tui.loss_plot import LossPlot, PlotRun
from nntui.tui.network_diagram import NetworkDiagram
from nntui.tui.pacer import FramePacer
from nntui.tui.status_bar import StatusBar
from nntui.tui.weight_images import WeightImages

if TYPE_CHECKING:
    from nntui.tui.app import NNTuiApp

FRAME_INTERVAL = 1 / 20  # seconds between redraws while training at a chosen pace, paused or stepped
FULL_SPEED_INTERVAL = 1 / 10  # … and while training flat out
UI_BUDGET = 0.5  # frames are spaced so that drawing takes at most about this share of the UI process's core
MAX_FRAME_INTERVAL = 0.5  # … but never further apart than this
N_DIGITS = 60  # test pictures offered to their panel for image data (it shows as many as fit)


def xy(point) -> str:
    """A point of the plane as the screen says it: (+1.20, -0.40)."""
    return f"({point[0]:+.2f}, {point[1]:+.2f})"


class Dashboard(Vertical):
    """The panels and the status line; the probe, the selected neuron and the epoch shown."""

    # Bound to the app's (data_bind): what the run has reached.
    state: var[RunState] = var(RunState.PAUSED)  # running | paused | diverged | failed
    failure: var[str | None] = var(None)  # why the training process ended, if it did
    show_test: var[bool] = var(True)  # the test points on the heatmap
    latest: var[Update | None] = var(None, always_update=True)  # drawn when the pacer says
    # Its own: what is on screen.
    probe: var[tuple[float, float] | None] = var(None)  # a point of the input plane
    view_epoch: var[int | None] = var(None)  # rewinding: the past epoch shown; None: live
    frame: var[int] = var(0)  # counts the frames drawn: screens in front of the panels follow it

    app: NNTuiApp  # its session, network view and training process are the ones shown

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.selected: tuple[int, int] | None = None  # the neuron on the heatmap; None: the output
        self.viewed: EpochView | None = None  # the recorded epoch shown while rewinding
        self.images: ImageData | None = None  # image data: how inputs map back to pictures
        self.pacer = FramePacer(FRAME_INTERVAL, MAX_FRAME_INTERVAL, UI_BUDGET, FULL_SPEED_INTERVAL)
        self.drawn = False  # has the current network been drawn yet? (the probe waits for it)
        self.drawn_epoch: int | None = None  # the live epoch last drawn (rewinding starts from it)
        self._publish_interval = 0.0  # what the training process was last asked for
        self._frame_timer = None
        self._draw_pending = False  # a frame asked for after the next refresh
        # The panels, kept at hand: updates may still arrive while the app shuts down.
        self.diagram = NetworkDiagram(id="diagram")
        self.plot = LossPlot(id="plot")
        self.heatmap = Heatmap(id="heatmap")
        self.digits = DigitsView(id="digits")
        self.weights = WeightImages(id="weights")
        self.confusion = ConfusionMatrix(id="confusion")
        self.status = StatusBar(id="status")
        self.right = Vertical(self.heatmap, self.digits, self.confusion, id="right")

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.diagram
                yield self.weights
                yield self.plot
            yield self.right
        yield self.status

    def on_mount(self) -> None:
        self.diagram.border_title = "network (Tab: select a neuron)"
        self.plot.border_title = "loss"
        self.configure()

    def configure(self) -> None:
        """Show the panels that fit the run's data (a new network, or points added or removed)."""
        data = self.app.session.dataset
        self.right.set_class(not data.is_2d, "-digits")
        # Pictures: the first layer's weight images take the diagram's place (64 or 784 inputs
        # make a diagram of "pixel0 … 783 more"), and the test pictures show with their predictions.
        self.images = ImageData.of(data)
        self.query_one("#left").set_class(self.images is not None, "-images")
        self.right.set_class(self.images is not None, "-images")
        self.right.styles.min_width = None  # until a confusion matrix asks for more
        if self.images is not None:
            self.digits.border_title = f"test {'digits' if data.name == 'digits' else 'images'} and predictions"
            legend = "'=' −, '#' +" if self.weights.no_color else "orange −, blue +"
            self.weights.border_subtitle = f"{legend} · Tab: select"
        self.right.set_class(data.task == "classification" and (data.n_classes > 2 or not data.is_2d), "-confusion")
        heatmap = self.heatmap
        if data.is_2d:
            self._set_heatmap_evaluator()
            heatmap.set_points(
                data.points_train, data.y_train, data.points_test, data.y_test,
                show_test=self.show_test, n_classes=max(data.n_classes, 2), regression=data.task == "regression",
                class_names=data.class_names,
            )
        else:
            heatmap.set_evaluator(None, "binary", (0.0, 1.0, 0.0, 1.0))

    def reset(self) -> None:
        """A new network (reset, new data, another option): nothing is selected, probed or rewound,
        and nothing is drawn until its first update."""
        self.drawn = False
        self.drawn_epoch = None
        self.selected = self.diagram.selected = self.weights.selected = None
        self.probe = None
        self.view_epoch = None
        self.configure()

    def show_run(self) -> None:
        """Another of the runs side by side is shown (the app's view is its network): live, from its
        next update on; the probe and the selected neuron stay (the runs' networks have one shape)."""
        self.drawn = False
        self.drawn_epoch = None
        self.view_epoch = None
        self.configure()

    def watch_show_test(self, old: bool, new: bool) -> None:
        if old != new:  # not when the binding first sets it
            self.configure()

    # ------------------------------------------------------------------ the selected neuron
    def on_neuron_selected(self, message: NeuronSelected) -> None:
        selected = None if message.layer is None else (message.layer, message.index)
        if message.panel is self.weights and selected != self.weights.selected:
            return  # a later key has moved on: this one would undo it
        self.select(selected)

    def clear_selection(self) -> None:
        """Back to the network's output on the heatmap."""
        self.diagram.selected = None
        self.select(None)

    def select(self, selected: tuple[int, int] | None) -> None:
        """Show a neuron (layer, index) over the plane on the heatmap; None: the output."""
        self.selected = selected
        self.weights.selected = selected
        self._set_heatmap_evaluator()
        if selected is None:
            self.app.set_focus(None)  # the arrow keys step training again

    def _set_heatmap_evaluator(self) -> None:
        data, view = self.app.session.dataset, self.app.view
        heatmap = self.heatmap
        if not data.is_2d:
            return
        if self.selected is not None:
            layer, index = self.selected
            heatmap.set_evaluator(lambda p: view.neuron_field(p, layer, index), "neuron", data.bounds)
            what = data.feature_labels[index] if layer == 0 else f"neuron {index + 1} of layer {layer}"
            heatmap.border_title = f"{what} over the plane (escape: output)"
        else:
            kind = "regression" if data.task == "regression" else ("binary" if data.n_classes == 2 else "multiclass")
            scale = (view.net.output.low_target, 1.0)
            heatmap.set_evaluator(view.field, kind, data.bounds, scale)
            heatmap.border_title = "output over the input plane"

    # ------------------------------------------------------------------ frames
    def watch_latest(self, update: Update | None) -> None:
        """A new update: while training, the heavy panels wait for the pacer's next frame.  Flat
        out, so does the status line, as every redraw holds up training, except to answer a key (a
        new learning rate, say) at once."""
        if update is None:
            return
        full_speed = self._full_speed(update)
        wait = self.pacer.wait(full_speed) if update.running and self.drawn else 0.0
        if wait <= 0 and not update.running and self.drawn:
            # The answer to a key (pause, a step): the status line shows it at once, the heavy
            # panels follow on the next refresh, so the key never waits for a whole frame.
            self.update_status()
            if not self._draw_pending:
                self._draw_pending = True
                self.call_after_refresh(self._draw)
            return
        if wait <= 0:
            self._draw()
            return
        if not (full_speed and update.periodic):
            self.update_status()
        if self._frame_timer is None:
            self._frame_timer = self.set_timer(wait, self._draw)

    def watch_state(self) -> None:
        self.update_status()

    def watch_failure(self) -> None:
        self.update_status()

    def _full_speed(self, update: Update) -> bool:
        """Is training running flat out (not paused, not slowed down with <)?"""
        return update.running and self.app.live.max_rate is None

    def update_status(self) -> None:
        """The status line: the latest epoch's figures (or the rewound epoch's), the state and pace."""
        update = self.latest
        if update is None:
            return
        app = self.app
        snap = update.snapshot
        epoch, stats = snap.epoch, snap.stats
        message = self.failure or snap.diverged or (
            update.stopped and f"stopped: {update.stopped} (space goes on, without the stop rules)"
        )
        if self.view_epoch is not None and self.viewed is not None:
            epoch, stats = self.view_epoch, self.viewed.stats
            message = (
                f"rewound to epoch {epoch} of {snap.epoch}: [ ] {{ }} move, End goes back to live, "
                f"space or s continues training from here (the later epochs are dropped)"
            )
        settings = app.settings
        self.status.update_status(
            epoch=epoch,
            stats=stats,
            optimizer=settings.optimizer,
            batch_size=min(settings.batch_size, len(app.session.trainer.x_train)),  # the run shown's: a fork's own
            state=RunState.REWOUND if self.view_epoch is not None else self.state,
            epochs_per_second=update.epochs_per_second,
            pace=app.live.max_rate,
            message=message,
            dataset=settings.dataset,
            layers="-".join(map(str, app.view.net.sizes)),
            lr=stats.lr if self.view_epoch is not None else snap.lr,
            batches=None if self.view_epoch is not None or update.running else (update.batch_in_epoch, update.n_batches),
            run=self._run_status(update),
        )

    @staticmethod
    def _run_status(update: Update) -> tuple[str, str, tuple[int, int, int]] | None:
        """The status line's name of the run shown ("run 2/3", "optimizer=adam", its colour), if there are several."""
        figures = next((r for r in update.runs if r.run == update.run), None)
        if len(update.runs) < 2 or figures is None:
            return None
        place = run_place(figures.run, update.runs)
        return f"{run_name(place)}/{len(update.runs)}", run_label(figures, update.runs), run_color(place)

    def _draw(self) -> None:
        """Redraw the heavy panels from the latest snapshot (or the recorded epoch shown)."""
        self._frame_timer = None
        self._draw_pending = False
        update, app = self.latest, self.app
        if update is None or not app.screen_stack:  # no screen: the app is on its way out
            return
        self.pacer.frame()
        full_speed = self._full_speed(update)
        # Two updates per frame are plenty (the figures of every epoch come with them).
        interval = round(self.pacer.interval(full_speed) / 2, 3)
        if interval != self._publish_interval:
            self._publish_interval = interval
            app.live.set_publish_interval(interval)
        self.update_status()
        data, view = app.session.dataset, app.view
        if self.view_epoch is not None and self.viewed is not None:
            view.load_params(self.viewed.params)
        else:
            view.load(update.snapshot)
            self.drawn_epoch = update.snapshot.epoch
        self.diagram.set_network(view.net.sizes, view.net.W, view.net.b, data.feature_labels,
                                 planes=view.neuron_planes if data.is_2d else None, off=self.shown_off())
        self.drawn = True
        self._show_probe()
        # While training, the plot follows the frames as long as its build is cheap, else it keeps
        # to a slower rate of its own (LossPlot.throttle); paused or stepped, it follows every frame.
        self.plot.set_runs(*self._plot_runs(update), data.task == "classification", now=not update.running)
        if data.is_2d:
            self.heatmap.refresh_field()
        if data.task == "classification" and (data.n_classes > 2 or not data.is_2d):
            predicted = view.predict(data.x_test)
            self.confusion.set_matrix(
                confusion_matrix(data.y_test, predicted, data.n_classes), data.class_names
            )
            narrowest = self.confusion.narrowest()  # the column widens to show every count whole
            if self.right.styles.min_width is None or self.right.styles.min_width.value != narrowest:
                self.right.styles.min_width = narrowest
            if self.images is not None:
                n = min(N_DIGITS, data.n_test)
                self.digits.set_digits(self.images.grey(data.x_test[:n]), data.y_test[:n], predicted[:n],
                                       self.images.class_names)
        if self.images is not None:
            output = len(view.net.W) == 1 and data.n_classes == view.net.sizes[-1]
            self.weights.set_weights(view.net.W[0], self.images.shape, data.class_names if output else ())
        self.frame += 1

    def _plot_runs(self, update: Update) -> tuple[list[PlotRun], int]:
        """Every run's figures for the loss plot, each named and coloured by its place, and the
        place of the run shown among them."""
        runs, logs = update.runs, self.app.live.logs
        runs = [r for r in runs if r.run in logs]  # not one closed since this update
        if len(runs) < 2 or update.run not in logs:
            return [PlotRun(run_name(0), "", run_color(0), self.app.live.log)], 0
        return ([PlotRun(run_name(place), run_label(r, runs), run_color(place), logs[r.run]) for place, r in enumerate(runs)],
                run_place(update.run, runs))

    # ------------------------------------------------------------------ rewinding
    def show_epoch(self, view: EpochView) -> None:
        """Show a recorded epoch the training process sent (or live, if it is the latest)."""
        if view.epoch is None or self.latest is None or view.epoch >= self.latest.snapshot.epoch:
            self.view_epoch = None
            return
        self.viewed = view
        if self.view_epoch == view.epoch:  # the same epoch again: its watcher would not redraw it
            self._draw()
        self.view_epoch = view.epoch

    def watch_view_epoch(self, epoch: int | None) -> None:
        self.plot.marker_epoch = epoch
        self._draw()

    def shown_off(self) -> tuple[tuple[int, int], ...]:
        """The neurons switched off in the network shown (the rewound epoch's, or the latest)."""
        if self.view_epoch is not None and self.viewed is not None:
            return self.viewed.off
        return () if self.latest is None else self.latest.snapshot.off

    # ------------------------------------------------------------------ the probe
    def move_probe(self, dx: int, dy: int) -> None:
        """Move the probe by one heatmap cell."""
        if self.probe is None:
            return
        xmin, xmax, ymin, ymax = self.heatmap.bounds
        plane = self.heatmap.plane
        step_x = (xmax - xmin) / max(plane.width, 1)
        step_y = (ymax - ymin) / max(plane.height, 1)
        x, y = self.probe
        self.probe = (min(max(x + dx * step_x, xmin), xmax), min(max(y + dy * step_y, ymin), ymax))

    def on_heatmap_clicked(self, message: Heatmap.Clicked) -> None:
        self.probe = (message.x, message.y)

    def watch_probe(self, probe: tuple[float, float] | None) -> None:
        self.heatmap.probe = probe
        self._show_probe()

    def _show_probe(self) -> None:
        """Every neuron's activation for the probe point on the diagram, and its prediction."""
        data, view = self.app.session.dataset, self.app.view
        if self.probe is None or not data.is_2d or not self.drawn:
            self.diagram.set_activations(None)
            self.heatmap.border_subtitle = ""
            return
        point = np.array([self.probe])
        activations = view.activations(data.inputs(point))
        self.diagram.set_activations([a[0] for a in activations])
        output = activations[-1][0]
        if data.task == "regression":
            said = f"output {output[0]:+.3f}"
        else:
            label = data.class_names[int(view.predict(data.inputs(point))[0])]
            said = f"class {label} (output {', '.join(f'{v:+.2f}' for v in output[:4])})"
        self.heatmap.border_subtitle = f"probe {xy(self.probe)} → {said}"
