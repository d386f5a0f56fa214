"""The live session: training in its own process, its history and metrics; no Textual."""
