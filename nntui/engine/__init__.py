"""The NumPy training engine: network, activations, losses, optimizers, trainer.

It never imports Textual; the TUI reads its immutable snapshots.
"""

from nntui.engine.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, Activation, get_activation
from nntui.engine.gradcheck import gradient_check
from nntui.engine.losses import LOSSES, Loss, decode_outputs, encode_targets
from nntui.engine.model_file import ModelFileError, load_model, load_switched_off, save_model
from nntui.engine.network import INITS, Forward, Network
from nntui.engine.optimizers import OPTIMIZERS, Optimizer, make_optimizer
from nntui.engine.regularization import REGULARIZERS
from nntui.engine.schedules import SCHEDULES, Schedule, make_schedule
from nntui.engine.trainer import Checkpoint, EpochStats, Snapshot, Trainer

__all__ = [
    "ACTIVATIONS", "HIDDEN_ACTIVATIONS", "INITS", "LOSSES", "OPTIMIZERS", "REGULARIZERS", "SCHEDULES",
    "Activation", "Checkpoint", "EpochStats", "Forward", "Loss", "ModelFileError", "Network",
    "Optimizer", "Schedule", "Snapshot", "Trainer", "decode_outputs",
    "encode_targets", "get_activation", "gradient_check", "load_model", "load_switched_off", "make_optimizer",
    "make_schedule", "save_model",
]
