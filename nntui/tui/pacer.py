"""How often to redraw while training.

Training runs in a process of its own, so drawing never slows it down; but the UI process has
one core too, and a frame that costs more than the time between frames would make the UI fall
behind its keys.  So frames are spaced so that drawing takes at most ``budget`` of the UI
thread's wall time: a frame that cost 20 ms of CPU, all told (the panels, Textual's compositor,
the messages since the last frame), is followed by the next one after at least 20 ms / 0.5 =
40 ms.  While training runs flat out the picture changes with every frame, so frames come at
most every ``full_speed_interval``; slowed down, paused or stepped, every ``min_interval``.
A slow machine or a huge terminal gets fewer frames (down to one every ``max_interval``).
"""

from __future__ import annotations

import time
from typing import Callable


class FramePacer:
    """Spaces frames so that drawing takes about ``budget`` of the wall time."""

    def __init__(
        self,
        min_interval: float = 0.05,
        max_interval: float = 0.5,
        budget: float = 0.5,
        full_speed_interval: float | None = None,  # default: min_interval
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.thread_time,  # CPU time of the thread that draws
    ):
        self.min_interval, self.max_interval, self.budget = min_interval, max_interval, budget
        self.full_speed_interval = min_interval if full_speed_interval is None else full_speed_interval
        self._clock, self._cpu_clock = clock, cpu_clock
        self._last_frame = -float("inf")
        self._last_cpu = 0.0
        self.cost = 0.0  # smoothed CPU seconds of the UI thread per frame

    def frame(self) -> None:
        """Call when a frame is drawn: measures what the UI thread used since the last one."""
        now, cpu = self._clock(), self._cpu_clock()
        if self._last_frame > -float("inf"):
            used = cpu - self._last_cpu
            self.cost = used if self.cost == 0.0 else 0.7 * self.cost + 0.3 * used
        self._last_frame, self._last_cpu = now, cpu

    def interval(self, full_speed: bool) -> float:
        """Seconds from one frame to the next."""
        shortest = self.full_speed_interval if full_speed else self.min_interval
        return min(self.max_interval, max(shortest, self.cost / self.budget))

    def wait(self, full_speed: bool) -> float:
        """Seconds until the next frame is due (0 or less: now)."""
        return self._last_frame + self.interval(full_speed) - self._clock()
