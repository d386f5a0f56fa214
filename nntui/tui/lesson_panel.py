"""The lesson panel: with ``--lesson``, the lesson's title and what to do, above the panels."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from nntui.lessons import Lesson

TOGGLE_KEY = "L"  # the key that folds the panel to one line and opens it again


class LessonPanel(Static):
    """The instructions of a lesson, wrapped to the panel's width; folds to its title line."""

    collapsed: reactive[bool] = reactive(False)

    def __init__(self, lesson: Lesson, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lesson = lesson
        self.border_title = f"lesson: {lesson.title} · {TOGGLE_KEY} folds"

    def watch_collapsed(self, collapsed: bool) -> None:
        self.set_class(collapsed, "-collapsed")
        self.update(f"lesson: {self.lesson.title} · {TOGGLE_KEY} shows what to do" if collapsed
                    else self.lesson.instructions)
