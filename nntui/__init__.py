"""nntui: watch a neural network learn, in your terminal."""

__version__ = "0.1.0"
