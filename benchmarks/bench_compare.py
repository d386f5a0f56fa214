"""Compared runs: the throughput of 4 runs trained side by side ÷ 4 × one run's (goal ≥ 0.9).

Side by side, the runs take turns an epoch at a time on one core, so 4 of them can at best
train as many epochs a second in all as one run alone; what is lost is the cost of switching
between their arrays.  Measured two ways, each against one run measured the same way in the
same rounds (alternated, so a slow moment of the machine hits both):

- ``nntui --headless --compare lr=0.01,0.03,0.1,0.3`` (4 runs of the same cost an epoch) against
  ``nntui --headless --lr 0.03``: the epochs per second of training its ``done`` event reports
  (training time only, not start-up or printing).
- the training process's loop (``Runner``, on a thread) with run 0 and 3 forks against run 0
  alone: epochs trained in all in the same wall time.

    .venv/bin/python benchmarks/bench_compare.py [--quick]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import threading
import time

from common import SETTINGS, SETTINGS_LABEL, Table, goal, nntui_command, run_alone

GOAL = 0.9
LRS = ("0.01", "0.03", "0.1", "0.3")
FLAGS = ["--dataset", SETTINGS["dataset"], "--layers", SETTINGS["layers"], "--optimizer", SETTINGS["optimizer"]]


def headless_rate(epochs: int, *args: str) -> float:
    """Epochs per second of training (all runs together) that ``nntui --headless --json`` reports."""
    out = subprocess.run([*nntui_command(), "--headless", "--json", "--epochs", str(epochs), *FLAGS, *args],
                         capture_output=True, text=True, check=True).stdout
    done = json.loads(out.splitlines()[-1])
    assert done["event"] == "done", done
    return done["epochs_per_second"]


def runner_rate(n_runs: int, seconds: float) -> float:
    """Epochs per second in all of a Runner training run 0 and ``n_runs`` − 1 forks of it for ``seconds``."""
    from nntui.live.runner import Runner
    from nntui.session import build_session
    from nntui.settings import merge

    session = build_session(merge({k: v for k, v in SETTINGS.items() if k != "speed"}))
    runner = Runner(session.trainer, lambda message: None, running=False, settings=session.settings)
    for request, lr in enumerate(LRS[: n_runs - 1], 1):
        runner.fork(request, {"lr": lr})
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    runner.resume()
    time.sleep(seconds)
    runner.pause()
    done = threading.Event()
    runner.command(done.set)  # after the pause: every run's epochs are final
    done.wait(30)
    epochs = sum(run.trainer.epoch for run in runner.runs.values())  # each from epoch 0
    runner.stop()
    thread.join(30)
    return epochs / seconds


def run(quick: bool = False) -> list[Table]:
    rounds = 3 if quick else 7
    epochs = 300 if quick else 1000
    seconds = 1.0 if quick else 3.0
    compare_args = ["--compare", "lr=" + ",".join(LRS)]
    measures = {
        "headless": (lambda: headless_rate(epochs, "--lr", "0.03"), lambda: headless_rate(epochs, *compare_args)),
        "training process (Runner)": (lambda: runner_rate(1, seconds), lambda: runner_rate(4, seconds)),
    }
    table = Table(f"compare: 4 runs side by side ÷ one run, epochs per second in all ({SETTINGS_LABEL})",
                  ["how", "one run ep/s", "4 runs ep/s in all", "ratio", "min", "max"])
    met = True
    for name, (one, four) in measures.items():
        ones, fours, ratios = [], [], []
        for _ in range(rounds):
            ones.append(one())
            fours.append(four())
            ratios.append(fours[-1] / ones[-1])
        ratio = statistics.median(ratios)
        met = met and ratio >= GOAL
        table.add(name, f"{statistics.median(ones):,.0f}", f"{statistics.median(fours):,.0f}", f"{ratio:.2f}",
                  f"{min(ratios):.2f}", f"{max(ratios):.2f}")
    table.notes += [
        f"{rounds} rounds, one run and 4 runs alternated; the ratio is the median of the rounds' ratios. 4 runs side "
        "by side share one core, each at a quarter of the pace; the ratio is the 4 runs' epochs per second in all ÷ "
        "one run's (= 4 × one run's time ÷ the 4 compared runs' time): 1 means switching between them costs nothing.",
        f"headless: {epochs} epochs a run, `--compare lr={','.join(LRS)}` against `--lr 0.03` (epochs/s of training "
        f"from the done event); Runner: {seconds:g} s of training, run 0 and 3 forks (lr {', '.join(LRS[:3])}) "
        "against run 0 alone.",
    ]
    table.goals.append(f"4 compared runs ÷ 4 × one run ≥ {GOAL}: {goal(met)} "
                       f"({', '.join(f'{r[0]} {r[3]}' for r in table.rows)})")
    return [table]


if __name__ == "__main__":
    run_alone(__doc__, run)
