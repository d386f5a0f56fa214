"""The frame pacer: frames at full speed are spaced so that drawing takes about its budget."""

from __future__ import annotations

import pytest

from nntui.tui.pacer import FramePacer


class Clocks:
    """A wall clock and a CPU clock the test moves by hand."""

    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 5.0

    def pacer(self, **kwargs) -> FramePacer:
        return FramePacer(clock=lambda: self.wall, cpu_clock=lambda: self.cpu, **kwargs)

    def advance(self, wall: float, cpu: float) -> None:
        self.wall += wall
        self.cpu += cpu


def test_the_first_frame_is_due_at_once_and_the_next_after_the_minimum_interval():
    clocks = Clocks()
    pacer = clocks.pacer(min_interval=0.25, budget=0.05)
    assert pacer.wait(full_speed=True) <= 0
    pacer.frame()
    assert pacer.wait(full_speed=False) == pytest.approx(0.25)
    clocks.advance(0.1, 0.0)
    assert pacer.wait(full_speed=False) == pytest.approx(0.15)


def test_at_full_speed_frames_are_spaced_by_their_cpu_cost_over_the_budget():
    clocks = Clocks()
    pacer = clocks.pacer(min_interval=0.25, max_interval=1.0, budget=0.05)
    pacer.frame()
    clocks.advance(0.5, 0.02)  # the UI thread used 20 ms of CPU since the last frame
    pacer.frame()
    assert pacer.cost == pytest.approx(0.02)
    assert pacer.interval(full_speed=True) == pytest.approx(0.02 / 0.05)
    assert pacer.interval(full_speed=False) == pytest.approx(0.02 / 0.05)  # paused or slowed: the same budget


def test_at_full_speed_frames_come_at_most_every_full_speed_interval():
    clocks = Clocks()
    pacer = clocks.pacer(min_interval=0.05, max_interval=0.5, budget=0.5, full_speed_interval=0.1)
    pacer.frame()
    clocks.advance(0.1, 0.004)  # cheap frames
    pacer.frame()
    assert pacer.interval(full_speed=True) == pytest.approx(0.1)
    assert pacer.interval(full_speed=False) == pytest.approx(0.05)


def test_the_interval_stays_between_its_bounds_and_follows_the_cost_smoothly():
    clocks = Clocks()
    pacer = clocks.pacer(min_interval=0.25, max_interval=1.0, budget=0.05)
    pacer.frame()
    clocks.advance(0.3, 0.001)
    pacer.frame()
    assert pacer.interval(full_speed=True) == 0.25  # cheap frames: no faster than the minimum
    for _ in range(20):
        clocks.advance(1.0, 0.2)
        pacer.frame()
    assert pacer.interval(full_speed=True) == 1.0  # costly frames: never slower than the maximum
    clocks.advance(1.0, 0.001)
    pacer.frame()
    assert pacer.cost > 0.1  # one cheap frame moves the estimate only part of the way
