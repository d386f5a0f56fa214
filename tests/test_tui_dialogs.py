"""The path dialog, the settings form, and the app's save / load / export / edit keys."""

from __future__ import annotations

import json

import numpy as np
from textual.app import App

from nntui.settings import Settings
from nntui.tui.path_dialog import PathDialog
from nntui.tui.settings_form import SettingsForm, changed_options, needs_reset
from test_tui_app import epoch, make_app, wait_for


class Host(App):
    """An app that opens one dialog and keeps what it returns."""

    def __init__(self, screen) -> None:
        super().__init__()
        self.dialog, self.results = screen, []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


async def type_path(pilot, text: str) -> None:
    field = pilot.app.screen.query_one("Input")
    field.value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_path_dialog_returns_the_default_on_enter(tmp_path):
    target = tmp_path / "m.npz"
    app = Host(PathDialog("Save", str(target), suffixes=(".npz",)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [str(target)]


async def test_path_dialog_escape_cancels(tmp_path):
    app = Host(PathDialog("Save", str(tmp_path / "m.npz")))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_path_dialog_refuses_bad_suffix_and_missing_folder(tmp_path):
    app = Host(PathDialog("Save", "", suffixes=(".npz",)))
    async with app.run_test(size=(100, 30)) as pilot:
        await type_path(pilot, str(tmp_path / "m.txt"))
        assert "must end in .npz" in str(app.screen.query_one("#message").render())
        await type_path(pilot, str(tmp_path / "nowhere" / "m.npz"))
        assert "no such folder" in str(app.screen.query_one("#message").render())
        assert app.results == []


async def test_path_dialog_asks_before_overwriting(tmp_path):
    existing = tmp_path / "m.npz"
    existing.write_bytes(b"keep me")
    app = Host(PathDialog("Save", str(existing)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert "overwrite" in str(app.screen.query_one("#message").render())
        await pilot.press("n")
        await pilot.pause()
        assert app.results == [] and existing.read_bytes() == b"keep me"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [str(existing)]


async def test_path_dialog_for_loading_needs_an_existing_file(tmp_path):
    app = Host(PathDialog("Load", str(tmp_path / "none.npz"), must_exist=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert "no such file" in str(app.screen.query_one("#message").render())
    assert app.results == []


def test_changed_options_and_what_needs_a_reset():
    s = Settings()
    assert changed_options(s, {"lr": "0.1", "layers": "4,2"}) == {"lr": 0.1}
    assert not needs_reset({"lr": 0.1})
    changes = changed_options(s, {"layers": "8,8,4"})
    assert changes == {"layers": (8, 8, 4)} and needs_reset(changes)


async def test_settings_form_returns_only_changes_and_refuses_bad_values():
    app = Host(SettingsForm(Settings(), ["circle", "xor"]))
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.screen
        form.query_one("#layers").value = "8,x"
        await pilot.pause()
        assert "--layers" in str(form.query_one("#message").render())
        form.action_save()
        await pilot.pause()
        assert app.results == []  # not dismissed
        form.query_one("#layers").value = "4,2"
        form.query_one("#lr").value = "0.1"
        await pilot.pause()
        form.action_save()
        await pilot.pause()
    assert app.results == [{"lr": 0.1}]


async def test_settings_form_escape_is_none():
    app = Host(SettingsForm(Settings(), ["circle"]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


# ---------------------------------------------------------------------------- the app's keys
async def test_e_edits_layers_and_resets_but_lr_alone_does_not():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_for(pilot, lambda: epoch(app) == 1)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsForm))
        app.screen.query_one("#lr").value = "0.3"
        app.screen.action_save()
        await wait_for(pilot, lambda: app.latest.snapshot.lr == 0.3)
        assert epoch(app) == 1 and app.latest.generation == 0  # no reset
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsForm))
        app.screen.query_one("#layers").value = "6,3,2"
        app.screen.action_save()
        await wait_for(pilot, lambda: app.latest.generation == 1)
        assert app.session.net.sizes == (2, 6, 3, 2, 1) and epoch(app) == 0


async def test_ctrl_s_saves_and_ctrl_o_loads_the_same_model(tmp_path):
    path = tmp_path / "model.npz"
    app = make_app(dataset="xor", layers="5")
    async with app.run_test(size=(120, 40)) as pilot:
        for i in (1, 2, 3):
            await pilot.press("s")
            await wait_for(pilot, lambda i=i: epoch(app) == i)
        saved_W = [w.copy() for w in app.latest.snapshot.W]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        await type_path(pilot, str(path))
        await wait_for(pilot, lambda: path.exists())
        with np.load(path, allow_pickle=False) as z:
            assert np.array_equal(z["W0"], saved_W[0])
            assert json.loads(str(z["settings"]))["layers"] == [5]
        await pilot.press("r")
        await wait_for(pilot, lambda: app.latest.generation == 1)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        await type_path(pilot, str(path))
        await wait_for(pilot, lambda: app.latest.generation == 2)
        assert all(np.array_equal(a, b) for a, b in zip(app.latest.snapshot.W, saved_W))


async def test_x_exports_metrics_and_a_screenshot(tmp_path):
    metrics, shot = tmp_path / "m.jsonl", tmp_path / "s.svg"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s", "s")
        await wait_for(pilot, lambda: epoch(app) == 2)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        await type_path(pilot, str(metrics))
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog) and "screenshot" in app.screen.title_text)
        await type_path(pilot, str(shot))
        await wait_for(pilot, lambda: shot.exists())
    assert [json.loads(x)["epoch"] for x in metrics.read_text().splitlines()] == [0, 1, 2]
    assert shot.read_text().lstrip().startswith("<svg")
