"""Running work on every core: how many there are, whether this process may fork, and work in forked children.

A fork copies the calling thread only; a lock another thread held at that moment stays locked in the child for
ever. So circles forks (:mod:`circles.pipeline.writing`, the audit, :func:`circles.packs.render.build_all`) only
on Linux (where fork is the platform's own way) and only while no other Python thread runs. tqdm's monitor
thread, which only tunes how often a progress bar redraws, is stopped for this and not started again.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from circles.errors import CirclesError

__all__ = ["Forked", "forked_map", "fork_is_safe", "share_out", "usable_cores"]

T = TypeVar("T")
R = TypeVar("R")


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


class Forked:
    """Work running in a forked child (see :func:`fork_is_safe`); its result comes back pickled through a pipe.

    The child inherits the parent's memory as it is (closures need not be pickled), runs ``work`` and leaves
    without running the parent's exit code. :meth:`result` waits for it and returns what ``work`` returned, or
    raises the exception that stopped it; :meth:`close` waits for a child nobody asked (an error came first).

    Examples
    --------
    >>> child = Forked(lambda: sum(range(10)))
    >>> child.result()
    45
    >>> child.close()
    """

    def __init__(self, work: Callable[[], Any]) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: work, report, leave
            os.close(read)
            _child(work, write)
        os.close(write)
        self.pid, self._read, self._waited = pid, read, False

    def result(self) -> Any:
        """Wait for the child: what its work returned, or raise the exception that stopped it."""
        with os.fdopen(self._read, "rb", closefd=False) as handle:
            data = handle.read()
        _, status = os.waitpid(self.pid, 0)
        self._waited = True
        if not data:
            raise CirclesError(
                f"a worker process ended without a report (status {status}); run again with CIRCLES_WORKERS=1"
            )
        outcome, value = pickle.loads(data)
        if outcome == "error":
            raise value
        return value

    def close(self, *, stop: bool = False) -> None:
        """Close the pipe and wait for the child, if nobody has yet; with ``stop``, end it first (its work is
        not wanted: the run failed)."""
        try:
            os.close(self._read)
        except OSError:
            pass
        if stop and not self._waited:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if not self._waited:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self._waited = True


def _child(work: Callable[[], Any], pipe: int) -> None:
    """Run ``work`` and send back what it returned, or the error that stopped it; then leave at once."""
    code = 0
    try:
        try:
            message: Any = ("ok", work())
        except BaseException as error:  # every failure goes back to the parent, raised there
            message = ("error", portable(error))
        with os.fdopen(pipe, "wb") as out:
            out.write(pickle.dumps(message))
    except BaseException:  # nothing may escape a forked child
        code = 1
    finally:
        os._exit(code)


def portable(error: BaseException) -> BaseException:
    """``error`` if it survives pickling, else a :class:`~circles.errors.CirclesError` saying what it was."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # an exception pickle cannot carry is described instead
        return CirclesError(f"{type(error).__name__}: {error}")


def share_out(items: Sequence[T], workers: int, weight: Callable[[T], float]) -> list[list[T]]:
    """``items`` in at most ``workers`` shares of about equal weight, each in the items' order; none empty.

    The heaviest item goes first, each to the least loaded share (ties keep the items' order).

    Examples
    --------
    >>> share_out(["a", "bbb", "cc", "dddd"], 2, len)
    [['a', 'dddd'], ['bbb', 'cc']]
    """
    shares: list[list[int]] = [[] for _ in range(max(1, workers))]
    loads = [0.0] * len(shares)
    for place in sorted(range(len(items)), key=lambda i: -weight(items[i])):
        least = loads.index(min(loads))
        shares[least].append(place)
        loads[least] += weight(items[place])
    return [[items[i] for i in sorted(share)] for share in shares if share]


def forked_map(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[function(item) for item in items]``, the first item here and every other in a forked child at once.

    Where :func:`fork_is_safe` says no, the items are done one after another here, with the same result. Each
    result must pickle. The first error (in item order) is raised, once every child has ended.

    Examples
    --------
    >>> forked_map(lambda n: n * n, [1, 2, 3])
    [1, 4, 9]
    """
    if len(items) < 2 or not fork_is_safe():
        return [function(item) for item in items]
    children: list[Forked] = []
    try:
        for item in items[1:]:
            children.append(Forked(lambda item=item: function(item)))
        results = [function(items[0])]
        results += [child.result() for child in children]
        return results
    finally:
        for child in children:
            child.close()
