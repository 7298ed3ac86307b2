"""Running work on every core: how many there are, and whether this process may fork.

A fork copies the calling thread only; a lock another thread held at that moment stays locked in the child for
ever. So circles forks (:mod:`circles.pipeline.writing`, :func:`circles.packs.render.build_all`) only on Linux
(where fork is the platform's own way) and only while no other Python thread runs. tqdm's monitor thread, which
only tunes how often a progress bar redraws, is stopped for this and not started again.
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["usable_cores", "fork_is_safe"]


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform says, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def fork_is_safe() -> bool:
    """Whether work may run in forked children: Linux, and no Python thread but this one (tqdm's monitor stopped).

    Examples
    --------
    >>> isinstance(fork_is_safe(), bool)
    True
    """
    if not sys.platform.startswith("linux"):
        return False
    _stop_tqdm_monitor()
    return threading.active_count() == 1


def _stop_tqdm_monitor() -> None:
    """Stop tqdm's monitor threads (they only tune how often a bar redraws) and start no other: a fork is safe."""
    from tqdm import std
    from tqdm._monitor import TMonitor

    std.tqdm.monitor_interval = 0  # every tqdm class (tqdm.auto's too) inherits it: no monitor is started again
    for thread in threading.enumerate():
        if isinstance(thread, TMonitor):
            thread.exit()
