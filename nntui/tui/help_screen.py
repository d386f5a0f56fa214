"""The help screen: what each panel shows, in plain words, and the keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP_TEXT = """\
# How to read this screen

*`escape`, `?` or `q` closes this help; the arrow keys and PageUp/PageDown scroll it.*

A neural network is a stack of **neurons**. Each neuron adds up its inputs, each
multiplied by a **weight**, adds its own **bias**, and passes the sum through an
**activation** function (a gentle squashing curve such as tanh). Training means
nudging every weight and bias a little, over and over, so that the network's
answers get closer to the right ones. How wrong it still is gets measured by the
**loss**; how big each nudge is, is the **learning rate**.

## The network diagram

- Each **column of boxes** is a layer of neurons: the inputs on the left, the
  output on the right, the hidden layers in between.
- Each **link** between two neurons is one weight. Its **colour is the sign**:
  blue for positive (it pushes the next neuron up), orange for negative (it pushes
  it down). Its **thickness is the size**: thick links matter most, faint ones
  hardly at all.
- A neuron's **fill colour is its bias**, in the same blue/orange code.
- **Select a neuron** with `Tab` and the arrow keys, or click it, to see what that
  one neuron computes over the whole input plane.

## The heatmap

- This is the network's **output for every point of the input plane**: blue where
  it answers "positive / class 1", orange where it answers "negative / class 0",
  pale where it is unsure. With more than two classes each class has its own
  colour; for regression the colour shows the predicted number.
- The line where the colour flips is the **decision boundary**: the network's
  idea of where one class ends and the other begins.
- The dots are the data, coloured by their true class. **Training points** sit on a
  white square: the network learns from them. **Test points** sit on a black square:
  they are kept aside to check whether what the network learned also works on data
  it has never seen (`t` shows or hides them). Without colour, training points are
  filled shapes (● ■ ▲ …, one per class) and test points hollow ones (○ □ △ …).
- The numbers at the edges are the plane's coordinates; the legend under (or
  beside) the map says what each colour means. `v` shows only the decision: the
  winning class, no shades.
- When a neuron is selected, the heatmap shows **that neuron's output** instead of
  the network's (`escape` goes back to the network's output).

## The loss curves

- **Blue is the training loss, orange the test loss**, one point per epoch (one
  pass over all the training data). Lower is better.
- For classification the lighter lines, on the **right-hand axis from 0 to 1**,
  are the **accuracy**: the share of points put in the right class.
- **Overfitting** looks like this: the training loss keeps going down while the
  test loss levels off or climbs back up. The network is memorising the training
  points instead of learning the pattern.
- A **purple vertical line** marks an epoch where the learning rate was changed,
  labelled with the new rate when there is room.
- A loss that shoots up or disappears means training **diverged**: the steps were
  too big. Lower the learning rate and reset.

## The status line

Whether training is **running**, **paused** or has **diverged**, the epoch, the
training and test loss (blue / orange), the learning rate, the **pace** (`20 ep/s`:
the epochs per second `<` and `>` set; `full speed` with the rate it reaches), the
accuracy, the optimizer, the batch size (how many points are used for each nudge),
the data set and the layer sizes. It is one row: on a narrow terminal the last of
these are left out. A second row appears while there is more to say: why training
diverged or stopped (in red, with what to do about it), or which past epoch is shown.

## Keys

| Key | What it does |
|---|---|
| `space` | pause / resume training |
| `s` or `→` | one epoch forward (while paused) |
| `b` | one mini-batch forward: a single nudge |
| `+` / `-` | learning rate up / down, along 0.00001 … 10 (training goes on, no reset) |
| `r` | reset the weights: same data, same random seed, start again |
| `n` | new data with a new random seed |
| `t` | show / hide the test points |
| `v` | discretize the heatmap: only the decision, each class in its full colour (again: the shades) |
| `l` | loss curve on a log scale (log10 of the loss) and back |
| `<` / `>` | the **pace**: train slower / faster, along 1, 3, 10, 20, 60, 200 epochs per second and full speed. It starts at 20 (or `--speed N`, `--speed full`): one epoch per frame, slow enough to watch the boundary form. The status line shows the pace (`20 ep/s`, or `full speed` and the rate reached). The panels are redrawn up to 20 times a second (10 at full speed, the loss curve 5). Training runs in a process of its own, so drawing never slows it down |
| `Tab`, arrows, click | select a neuron: the heatmap shows what it computes; `escape` goes back |
| `d` / `a` / `o` | next data set / activation / optimizer (resets the network) |
| `e` | the settings form: data, noise, samples, features, layers, activation, optimizer, batch size, regularization, learning rate (all but the learning rate reset the weights) |
| `?` | this help |
| `q` | quit |
| `ctrl+p` | command palette: every command, searchable |

## Watching backprop, step by step

| Key | What it does |
|---|---|
| `p` | the next **phase** of the current mini-batch: forward → loss → backward (one layer per press, from the output down) → update. The inspector opens and follows; finishing the phases is exactly one `b` step; the status line counts the batches (`epoch 0 · batch 3/25`) |
| `i` | the **inspector** for one training sample (the next one each time): per layer z, a = f(z), the loss and ∂L/∂a, the deltas δ walking backwards, ∂L/∂W, ∂L/∂b and the update the optimizer would apply — a look only: the weights are not changed. `←`/`→` change the layer, which is highlighted on the diagram |
| `g` | in the inspector: **gradient check** — backprop's ∂L/∂w beside the numerical (central difference) one, with their relative error |
| `c` | the **probe**: a cross on the heatmap (arrows or a click move it) showing the point's prediction and every neuron's activation on the diagram; `enter` opens the inspector for that point (labelled like its nearest training point) |
| `0`–`9`, `Delete` | with the probe: add a training point of class 0–9 (in the legend's order: two classes, `0` orange −1, `1` blue +1; regression: `0` the lowest target, `1` the highest) at its cross; `Delete` removes the point nearest it. Training goes on from the next mini-batch with the new points (an outlier shows **overfitting**: the boundary bends around it); rewinding stops at the edit |

## Changing the network by hand

| Key | What it does |
|---|---|
| `w` | with a neuron selected: its **bias and weights** (in and out) with their values. `↑`/`↓` choose one (it stands out on the diagram), type a value, `enter` sets it: the heatmap and the tiles show what it does at once, paused or running. `escape` closes |
| `z` | switch the selected neuron **off** (its weights out are held at 0, whatever training does; its tile turns grey and says "off") or on again (they learn afresh from 0) |

Edits are part of the run: rewinding to the epoch of an edit shows it, and `ctrl+s` and `--save`
keep the weights and the switched-off neurons, which `--load` brings back.

## Going back in time

`[` / `]` one recorded epoch back / forward from the one on screen, `{` / `}` ten, `Home` the
first epoch, `End` back to live. Every panel shows that epoch; pressing `space`, `s`, `b` or `p` continues training from there, and the
later epochs are dropped. Memory stays bounded: every epoch of the last 1,000 is kept, and
older ones only on an even stride (1, 2, 4, … epochs apart), at most 1,000 of them — a few
MB for a small network, however long the run.

## Comparing runs

| Key | What it does |
|---|---|
| `f` | **fork** the run shown: a second run from the same initial weights, on the same data, with one setting changed (optimizer, learning rate, activation, batch size, regularization, …), chosen in a small dialog. Up to 4 runs train together, taking turns; the loss chart draws each run's training loss in its own colour, named in the legend (the run shown: the heavy line, with its test loss dotted) |
| `k` | show the **next run**: the diagram, the heatmap and the status line follow it (`run 2/3 optimizer=adam`) |
| `K` | **close** the run shown (the last one stays) |

Pausing, stepping and resuming act on every run; `r`, `n`, `d`, `a`, `o` and the settings form
start afresh with the run shown alone.

## Files

`ctrl+s` saves the model (weights and settings, `.npz`, the same file as `--save`),
`ctrl+o` loads one, `x` exports the metrics (`.csv` or `.jsonl`), then a screenshot
(`.svg`), then 2-D data's points (`.csv`: the training points, and the test points beside it
in `…-test.csv`; `--dataset FILE.csv --test-data FILE-test.csv` loads them back), then the model as
code (`.py`: NumPy, or PyTorch for a name ending in `torch.py`; `predict(x)` in it). An existing file is never
overwritten without asking.

## Lessons

`nntui --lesson NAME` opens a prepared classroom setup with a paragraph saying what to do above
the panels (`L` folds it to one line); `nntui --lesson list` names the lessons and what each sets.

Close this help with `escape`, `?` or `q`.
"""


class HelpScreen(ModalScreen[None]):
    """A scrollable explanation of the panels and keys, closed with escape, ? or q."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 90;
        max-width: 100%;
        height: 100%;
        max-height: 100%;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, extra: str = "") -> None:
        super().__init__()
        self.extra = extra

    def compose(self) -> ComposeResult:
        """A scrolling Markdown document, with the app's extra notes at the end."""
        text = HELP_TEXT if not self.extra else f"{HELP_TEXT}\n{self.extra}\n"
        with VerticalScroll(id="help-scroll"):
            yield Markdown(text, id="help-text")

    def on_mount(self) -> None:
        """Focus the scroll area so the arrow and page keys scroll the text."""
        self.query_one("#help-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
