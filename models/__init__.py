"""Audio models: a folder per task family (its base in `base.py`, one module per backend,
whatever its tier), the neural catalog (`catalog/`), the hand-ported networks (`nets/`), the
registry by task id and the cache of loaded backends.

Knows audio and nothing about platforms or the agent.
"""
