"""Tiny random-weight checkpoints of the neural catalog's real architectures, built from a
config and saved the way their hubs publish them, so tests load them through the same code
users run; one module per family. Built once per machine into .cache/test-models (git
ignores it)."""
