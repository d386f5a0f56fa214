"""The path dialog, the settings form, and the app's save / load / export / edit keys."""

from __future__ import annotations

import json

from pathlib import Path

import numpy as np
import pytest
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Button, Input, Select, SelectionList

from nntui.settings import Settings, SettingsError
from nntui.tui.path_dialog import PathDialog, check_path
from nntui.tui.settings_form import SettingsForm, changed_options, edit_layers, needs_reset
from tests.tui.helpers import epoch, make_app, step_to, type_path, wait_for


class Host(App):
    """An app that opens one dialog and keeps what it returns."""

    def __init__(self, screen) -> None:
        super().__init__()
        self.dialog, self.results = screen, []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


def message(app) -> str:
    """The dialog's one-line status message."""
    return str(app.screen.query_one("#message").render())


# ---------------------------------------------------------------------------- the path dialog
def test_check_path(tmp_path):
    (tmp_path / "a.npz").write_bytes(b"")
    assert check_path(" ", must_exist=False) == (None, "type a file name")
    assert "must end in .npz" in check_path(str(tmp_path / "a.txt"), must_exist=False, suffixes=(".npz",))[1]
    assert check_path(str(tmp_path / "A.NPZ"), must_exist=False, suffixes=(".npz",))[1] == ""
    assert "no such folder" in check_path(str(tmp_path / "no" / "a.npz"), must_exist=False)[1]
    assert "is a folder" in check_path(str(tmp_path), must_exist=False)[1]
    assert "no such file" in check_path(str(tmp_path / "b.npz"), must_exist=True)[1]
    assert check_path(str(tmp_path / "a.npz"), must_exist=True) == (tmp_path / "a.npz", "")
    assert check_path("~/x.npz", must_exist=False)[0] == Path("~/x.npz").expanduser()


async def test_path_dialog_returns_the_default_on_enter(tmp_path):
    target = tmp_path / "m.npz"
    app = Host(PathDialog("Save", str(target), suffixes=(".npz",)))
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.screen.query_one(Input).value == str(target)
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [str(target)] and not target.exists()


async def test_path_dialog_ok_button_and_typing(tmp_path):
    app = Host(PathDialog("Save", "", suffixes=(".npz",)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#ok")
        await pilot.pause()
        assert "type a file name" in message(app) and app.results == []
        field = app.screen.query_one(Input)
        field.value = str(tmp_path / "x")
        await pilot.press("end", "y", "n")  # y and n are text while not asking about overwriting
        assert field.value.endswith("xyn")
        field.value += ".npz"
        await pilot.click("#ok")
        await pilot.pause()
    assert app.results == [str(tmp_path / "xyn.npz")]


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
        assert "must end in .npz" in message(app)
        await type_path(pilot, str(tmp_path / "nowhere" / "m.npz"))
        assert "no such folder" in message(app)
        assert app.results == [] and isinstance(app.screen, PathDialog)


async def test_path_dialog_asks_before_overwriting(tmp_path):
    existing = tmp_path / "m.npz"
    existing.write_bytes(b"keep me")
    app = Host(PathDialog("Save", str(existing)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert f"{existing} exists — overwrite? (y/n)" in message(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.results == [] and existing.read_bytes() == b"keep me"
        assert app.screen.focused is app.screen.query_one(Input)  # back to editing
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # enter answers "no": the safe choice
        await pilot.pause()
        assert app.results == [] and isinstance(app.screen, PathDialog)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [str(existing)] and existing.read_bytes() == b"keep me"


async def test_path_dialog_for_loading_needs_an_existing_file(tmp_path):
    app = Host(PathDialog("Load", str(tmp_path / "none.npz"), must_exist=True, suffixes=(".npz",)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert "no such file" in message(app)
        assert app.results == []
        (tmp_path / "none.npz").write_bytes(b"")
        await pilot.press("enter")  # an existing file loads without asking
        await pilot.pause()
    assert app.results == [str(tmp_path / "none.npz")]


# ---------------------------------------------------------------------------- the settings form
def test_changed_options_and_what_needs_a_reset():
    s = Settings()
    assert changed_options(s, {"lr": "0.1", "layers": "4,2"}) == {"lr": 0.1}
    assert not needs_reset({"lr": 0.1})
    assert not needs_reset({})
    changes = changed_options(s, {"layers": "8,8,4"})
    assert changes == {"layers": (8, 8, 4)} and needs_reset(changes)
    assert needs_reset({"lr": 0.1, "batch_size": 5})
    with pytest.raises(SettingsError, match="--lr"):
        changed_options(s, {"lr": "-1"})


def test_edit_layers():
    assert edit_layers("4,2", "add-layer") == "4,2,2"
    assert edit_layers("4,2", "remove-layer") == "4"
    assert edit_layers("", "add-layer") == "4"
    assert edit_layers("", "remove-layer") == ""
    assert edit_layers("4,2", "add-neuron") == "4,3"
    assert edit_layers("4,1", "remove-neuron") == "4,1"
    with pytest.raises(SettingsError):
        edit_layers("8,x", "add-layer")


async def test_settings_form_lr_only_keeps_the_weights():
    app = Host(SettingsForm(Settings(), ["circle", "xor"]))
    async with app.run_test(size=(100, 30)) as pilot:
        app.screen.query_one("#lr", Input).value = "0.1"
        await pilot.pause()
        assert "keeps the weights" in message(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [{"lr": 0.1}] and not needs_reset(app.results[0])


async def test_settings_form_layers_and_their_buttons():
    app = Host(SettingsForm(Settings(), ["circle"]))
    async with app.run_test(size=(100, 30)) as pilot:
        form = app.screen
        form.query_one("#layers", Input).value = "8,8"
        await pilot.pause()
        await pilot.click("#add-layer")
        for _ in range(2):
            form.query_one("#remove-neuron", Button).press()  # (a second click within 0.2 s is ignored)
        await pilot.pause()
        assert form.query_one("#layers", Input).value == "8,8,6"
        form.query_one("#remove-neuron", Button).press()
        form.query_one("#remove-neuron", Button).press()
        await pilot.pause()
        assert "resets the weights" in message(app)
        await pilot.click("#save")
        await pilot.pause()
    assert app.results == [{"layers": (8, 8, 4)}] and needs_reset(app.results[0])


async def test_settings_form_returns_only_changes_and_refuses_bad_values():
    app = Host(SettingsForm(Settings(), ["circle", "xor"]))
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.screen
        form.query_one("#layers", Input).value = "8,x"
        await pilot.pause()
        assert "--layers" in message(app) and "--layers" in str(form.query_one("#error-layers").render())
        assert form.query_one("#save", Button).disabled and form.query_one("#add-layer", Button).disabled
        form.action_save()
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [] and isinstance(app.screen, SettingsForm)  # not dismissed
        form.query_one("#layers", Input).value = "4,2"
        form.query_one("#lr", Input).value = "-1"
        await pilot.pause()
        assert "--lr" in message(app) and form.query_one("#lr", Input).has_class("-invalid")
        form.action_save()
        await pilot.pause()
        assert app.results == []
        form.query_one("#lr", Input).value = "0.1"
        await pilot.pause()
        assert not form.query_one("#save", Button).disabled
        form.action_save()
        await pilot.pause()
    assert app.results == [{"lr": 0.1}]


async def test_settings_form_features_apply_to_2d_data_only():
    app = Host(SettingsForm(Settings(features=("x1", "x2", "x1x2")), ["circle", "digits"]))
    async with app.run_test(size=(100, 30)) as pilot:
        form = app.screen
        features = form.query_one("#features", SelectionList)
        assert features.selected == ["x1", "x2", "x1x2"]
        features.deselect_all()
        await pilot.pause()
        assert "no input features" in message(app) and form.query_one("#save", Button).disabled
        features.select("sinx1")
        await pilot.pause()
        assert form.values()["features"] == ("sinx1",)
        form.query_one("#dataset", Select).value = "digits"
        await pilot.pause()
        assert form.query_one("#row-features").disabled and form.query_one("#row-noise").disabled
        form.action_save()
        await pilot.pause()
    assert app.results == [{"dataset": "digits", "features": ("x1", "x2")}]  # digits takes the plain inputs


async def test_settings_form_keeps_a_file_dataset_and_escape_is_none():
    form = SettingsForm(Settings(dataset="my[data].csv"), ["circle", "digits"])
    app = Host(form)
    async with app.run_test(size=(100, 30)) as pilot:
        assert form.query_one("#dataset", Select).value == "my[data].csv"
        assert form.query_one("#row-samples").disabled and not form.query_one("#row-features").disabled
        form.query_one("#lr", Input).value = "0.3"
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_settings_form_fits_and_scrolls_at_80x24():
    app = Host(SettingsForm(Settings(reg="l2"), ["circle"]))
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.screen
        for name in ("layers", "batch_size", "reg_rate"):
            form.query_one(f"#{name}", Input).value = "x"  # three error lines: more than fits
        await pilot.pause()
        fields = form.query_one("#fields", VerticalScroll)
        screen = form.region
        for widget in (fields, form.query_one("#message"), form.query_one("#save"), form.query_one("#cancel")):
            assert screen.contains_region(widget.region), widget
        assert fields.max_scroll_y > 0
        assert not fields.region.contains_region(form.query_one("#lr").region)
        fields.scroll_end(animate=False)
        await pilot.pause()
        assert fields.region.contains_region(form.query_one("#lr").region)
        await pilot.click("#cancel")
        await pilot.pause()
    assert app.results == [None]


# ---------------------------------------------------------------------------- the app's keys
async def test_e_edits_layers_and_resets_but_lr_alone_does_not():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await step_to(pilot, app, 1)
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
        await step_to(pilot, app, 3)
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


async def test_rewind_past_a_change_of_rate_restores_it_for_the_ladder_and_the_saved_model(tmp_path):
    """+, train, rewind to before the press and train on; + again and ctrl+s: the ladder steps from
    the rewound rate (0.03 → 0.1, not 0.1 → 0.3) and the model file holds the rate the trainer uses."""
    path = tmp_path / "model.npz"
    app = make_app()  # lr 0.03
    async with app.run_test(size=(120, 40)) as pilot:
        await step_to(pilot, app, 1)
        await pilot.press("plus")
        await wait_for(pilot, lambda: app.latest.snapshot.lr == 0.1)
        await step_to(pilot, app, 3)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 2)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 1)  # recorded before the + press
        await pilot.press("s")  # train on from epoch 1: the later epochs are dropped
        await wait_for(pilot, lambda: app.latest.generation == 1 and epoch(app) == 2)
        assert app.latest.snapshot.lr == 0.03 and app.settings.lr == 0.03
        assert app.live.log.last().lr == 0.03  # epoch 2 trained again, at epoch 1's rate
        await pilot.press("plus")
        await wait_for(pilot, lambda: app.latest.snapshot.lr != 0.03)
        assert app.latest.snapshot.lr == 0.1 and app.settings.lr == 0.1
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        await type_path(pilot, str(path))
        await wait_for(pilot, lambda: path.exists())
        with np.load(path, allow_pickle=False) as z:
            assert json.loads(str(z["settings"]))["lr"] == 0.1


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
