"""Editing the network by hand: a weight or bias set to a value, a neuron switched off (its
outgoing weights held at zero), in the trainer, the training process, the history and the
model file."""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest

from nntui.engine import ModelFileError, save_model
from nntui.live.protocol import EpochView, Update
from nntui.live.runner import Runner
from nntui.session import build_session, read_model
from nntui.settings import merge

SETTINGS = dict(dataset="xor", layers="4", seed=3)


def trainer_of(**changes):
    return build_session(merge({**SETTINGS, **changes})).trainer


def test_set_parameter_sets_a_weight_and_a_bias_and_evaluates_afresh():
    trainer = trainer_of()
    before = trainer.stats.train_loss
    trainer.set_parameter(0, 1, 2, 2.5)
    trainer.set_parameter(1, None, 0, -3.0)
    assert trainer.net.W[0][1, 2] == 2.5
    assert trainer.net.b[1][0] == -3.0
    assert trainer.stats.train_loss != before  # the figures show what the edit did
    assert trainer.stats.epoch == 0


@pytest.mark.parametrize("bad", [(5, 0, 0, 1.0), (0, 9, 0, 1.0), (0, 0, 9, 1.0), (1, None, 3, 1.0), (0, 0, 0, float("nan")),
                                 (0, 0, 0, float("inf"))])
def test_set_parameter_refuses_what_names_no_parameter_or_is_not_finite(bad):
    trainer = trainer_of()
    params = trainer.net.params.copy()
    with pytest.raises(ValueError):
        trainer.set_parameter(*bad)
    assert np.array_equal(trainer.net.params, params)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_a_switched_off_neuron_keeps_its_outgoing_weights_at_exactly_zero(optimizer):
    trainer = trainer_of(optimizer=optimizer, reg="l1", reg_rate=0.01)
    trainer.switch_neuron(1, 2, on=False)
    assert trainer.off == ((1, 2),)
    for _ in range(5):
        trainer.step_epoch()
        assert np.all(trainer.net.W[1][2] == 0.0)
    assert np.any(trainer.net.W[1][1] != 0.0)  # the others learn
    for v in trainer.optimizer.state().values():  # no memory of the held weights
        if isinstance(v, np.ndarray) and v.shape == trainer.net.params.shape:
            assert np.all(v[trainer._held] == 0.0)
    trainer.switch_neuron(1, 2, on=True)
    trainer.step_epoch()
    assert trainer.off == () and np.any(trainer.net.W[1][2] != 0.0)  # it learns again


def test_an_input_can_be_switched_off_but_not_an_output():
    trainer = trainer_of()
    trainer.switch_neuron(0, 1, on=False)
    trainer.step_epoch()
    assert np.all(trainer.net.W[0][1] == 0.0)
    with pytest.raises(ValueError):
        trainer.switch_neuron(2, 0, on=False)  # the output neuron has no weights out


def test_a_weight_out_of_a_switched_off_neuron_stays_zero():
    trainer = trainer_of()
    trainer.switch_neuron(1, 0, on=False)
    trainer.set_parameter(1, 0, 0, 4.0)
    assert trainer.net.W[1][0, 0] == 0.0


def test_the_mask_is_part_of_a_checkpoint_and_of_a_pickled_trainer():
    trainer = trainer_of(optimizer="adam")
    before = trainer.checkpoint()
    trainer.switch_neuron(1, 3, on=False)
    after = trainer.checkpoint()
    copy = pickle.loads(pickle.dumps(trainer))
    assert copy.off == ((1, 3),)
    copy.step_epoch()
    assert np.all(copy.net.W[1][3] == 0.0)
    trainer.restore(before)
    assert trainer.off == ()
    trainer.step_epoch()
    assert np.any(trainer.net.W[1][3] != 0.0)
    trainer.restore(after)
    trainer.step_epoch()
    assert trainer.off == ((1, 3),) and np.all(trainer.net.W[1][3] == 0.0)


class Harness:
    """A Runner on a thread, its messages collected."""

    def __init__(self, trainer, running: bool = False) -> None:
        self.messages: list[object] = []
        self.cond = threading.Condition()
        self.runner = Runner(trainer, self._put, running=running)
        self.thread = threading.Thread(target=self.runner.run, daemon=True)
        self.thread.start()

    def _put(self, message: object) -> None:
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def wait(self, predicate, kind=Update):
        with self.cond:
            assert self.cond.wait_for(lambda: any(isinstance(m, kind) and predicate(m) for m in self.messages), 60)
            return [m for m in self.messages if isinstance(m, kind) and predicate(m)][-1]

    def settle(self):
        """The update that answers every command sent so far."""
        done = threading.Event()
        self.runner.command(done.set)
        assert done.wait(60)
        with self.cond:
            return [m for m in self.messages if isinstance(m, Update)][-1]

    def close(self) -> None:
        self.runner.stop()
        self.thread.join(10)


def run_with_edits(optimizer: str) -> np.ndarray:
    """Two epochs, an edit, a switch-off, three epochs, all through the runner's commands."""
    h = Harness(trainer_of(optimizer=optimizer, batch_size=5))
    try:
        for _ in range(2):
            h.runner.step_epoch()
        h.runner.step_batch()  # part-way through an epoch
        h.runner.set_parameter(0, 0, 1, 1.5)
        h.runner.switch_neuron(1, 1, False)
        for _ in range(3):
            h.runner.step_epoch()
        update = h.settle()
        return np.concatenate([w.ravel() for w in (*update.snapshot.W, *update.snapshot.b)])
    finally:
        h.close()


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_the_same_edits_at_the_same_points_give_the_same_numbers(optimizer):
    first, second = run_with_edits(optimizer), run_with_edits(optimizer)
    assert np.array_equal(first, second)


def test_an_edit_is_published_at_once_when_paused_and_recorded_for_rewinding():
    h = Harness(trainer_of())
    try:
        for _ in range(3):
            h.runner.step_epoch()
        h.settle()
        h.runner.set_parameter(1, None, 0, 3.0)
        update = h.wait(lambda u: u.snapshot.b[1][0] == 3.0)
        assert update.snapshot.epoch == 3 and not update.running
        assert update.epochs[0, 0] == 3  # the log takes epoch 3's figures afresh
        h.runner.switch_neuron(1, 0, False)
        update = h.wait(lambda u: u.snapshot.off == ((1, 0),))
        assert np.all(update.snapshot.W[1][0] == 0.0)
        for _ in range(2):
            h.runner.step_epoch()
        h.runner.view(1, 5, -2)  # epoch 3: the edited weights, and the mask
        view = h.wait(lambda v: v.request == 1, EpochView)
        assert view.epoch == 3 and view.off == ((1, 0),)
        assert view.params[-1] == 3.0  # the output bias, last of the flat parameters
        h.runner.view(2, 3, -1)  # epoch 2: before the edits
        view = h.wait(lambda v: v.request == 2, EpochView)
        assert view.epoch == 2 and view.off == () and view.params[-1] != 3.0
        h.runner.rewind(2)
        h.runner.step_epoch()
        update = h.settle()
        assert update.snapshot.off == () and np.any(update.snapshot.W[1][0] != 0.0)
    finally:
        h.close()


def test_a_neuron_switched_off_while_running_stays_off():
    h = Harness(trainer_of(), running=True)
    try:
        h.runner.switch_neuron(1, 2, False)
        first = h.wait(lambda u: u.snapshot.off == ((1, 2),))
        later = h.wait(lambda u: u.snapshot.epoch >= first.snapshot.epoch + 20)
        assert np.all(later.snapshot.W[1][2] == 0.0) and later.running
    finally:
        h.close()


def test_the_mask_is_saved_with_the_model_and_loaded_back(tmp_path):
    session = build_session(merge(SETTINGS))
    session.trainer.switch_neuron(1, 1, on=False)
    snap = session.trainer.snapshot()
    path = tmp_path / "m.npz"
    save_model(path, snap.W, snap.b, session.settings.model_settings(), snap.off)
    saved, weights = read_model(str(path))
    assert weights.off == ((1, 1),) and "off" not in saved
    loaded = build_session(merge(saved), weights).trainer
    assert loaded.off == ((1, 1),)
    loaded.step_epoch()
    assert np.all(loaded.net.W[1][1] == 0.0)


@pytest.mark.parametrize("off", ["x", [[1]], [[1, 9]], [[7, 0]], [[1.0, 0]], [[-1, 0]]])
def test_a_model_file_whose_mask_does_not_fit_is_refused_in_one_line(tmp_path, off):
    session = build_session(merge(SETTINGS))
    snap = session.trainer.snapshot()
    path = tmp_path / "m.npz"
    save_model(path, snap.W, snap.b, {**session.settings.model_settings(), "off": off})
    with pytest.raises(ModelFileError) as e:
        read_model(str(path))
    assert "\n" not in str(e.value) and "off" in str(e.value)


def test_an_edit_judges_a_diverged_run_again():
    trainer = trainer_of()
    trainer.net.W[0][0, 0] = np.nan  # as a diverging step leaves it
    trainer.stats = trainer.evaluate()
    assert trainer.diverged
    trainer.set_parameter(0, 1, 0, 1.0)  # another weight: still not a finite network
    assert trainer.diverged
    trainer.set_parameter(0, 0, 0, 0.5)
    assert trainer.diverged is None and np.isfinite(trainer.stats.train_loss)


def test_headless_load_keeps_the_mask_and_save_writes_it(tmp_path, capsys):
    from nntui.cli import main

    session = build_session(merge(SETTINGS))
    session.trainer.switch_neuron(1, 0, on=False)
    snap = session.trainer.snapshot()
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    save_model(first, snap.W, snap.b, session.settings.model_settings(), snap.off)
    assert main(["--headless", "--epochs", "3", "--load", str(first), "--save", str(second)]) == 0
    saved, weights = read_model(str(second))
    assert weights.off == ((1, 0),) and np.all(weights.W[1][0] == 0.0) and np.any(weights.W[1][1] != 0.0)


def test_an_edit_that_fits_no_parameter_changes_nothing_and_training_goes_on():
    h = Harness(trainer_of())
    try:
        first = h.settle()
        h.runner.set_parameter(7, 0, 0, 1.0)
        h.runner.switch_neuron(2, 0, False)  # the output neuron has no weights out
        h.runner.step_epoch()
        update = h.settle()
        assert update.snapshot.epoch == 1 and update.snapshot.off == ()
        assert h.thread.is_alive() and first.snapshot.epoch == 0
    finally:
        h.close()


def test_a_mini_batch_stepped_phase_by_phase_keeps_a_switched_off_neuron_at_zero():
    h = Harness(trainer_of(optimizer="momentum"))
    try:
        h.runner.switch_neuron(1, 3, False)
        for request in range(1, 12):  # 2-4-1: forward, loss, two backward, update, and on into the next batch
            h.runner.phase(request)
        update = h.settle()
        assert update.snapshot.steps >= 1 and np.all(update.snapshot.W[1][3] == 0.0)
    finally:
        h.close()
