"""`audiogpt eval`: the paper's three axes, run against any planner and the installed models.

- consistency: fresh phrasings of every task, zero-shot, scored on task choice and arguments;
- capability: each installed backend on inputs made here, with a quality figure per task;
- robustness: long chains, unsupported requests, failing backends and breaks in context.

The case data ships in `evaluation/data/`; results go to a table, JSON, Markdown and a plot.
"""

from collections.abc import Callable

Tick = Callable[[int, int], None]  # a part's progress: cases done, cases in all


def quiet(done: int, total: int) -> None:
    """A Tick for callers that show no progress."""
