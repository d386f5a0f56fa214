"""How often to redraw while training runs at full speed.

The training thread and the UI thread share Python's global interpreter lock: every
millisecond the UI spends drawing is a millisecond training waits.  So while training runs
flat out, frames are spaced so that the UI thread's CPU time stays near a small share of
the wall time (``budget``): a frame that cost 20 ms of CPU, all told (the panels, Textual's
compositor, the messages since the last frame), is followed by the next one after
20 ms / 0.05 = 0.4 s.  A slower machine or a larger terminal gets fewer frames (down to
one every ``max_interval``) instead of slower training.  Paused, stepped or slowed down,
training does not compete for the CPU, and frames come every ``min_interval``.
"""

from __future__ import annotations

import time
from typing import Callable


class FramePacer:
    """Spaces frames so that drawing takes about ``budget`` of the wall time."""

    def __init__(
        self,
        min_interval: float = 0.25,
        max_interval: float = 1.0,
        budget: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.thread_time,  # CPU time of the thread that draws
    ):
        self.min_interval, self.max_interval, self.budget = min_interval, max_interval, budget
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
        if not full_speed:
            return self.min_interval
        return min(self.max_interval, max(self.min_interval, self.cost / self.budget))

    def wait(self, full_speed: bool) -> float:
        """Seconds until the next frame is due (0 or less: now)."""
        return self._last_frame + self.interval(full_speed) - self._clock()
