"""Work in forked children (circles.parallel): the same results as one process, errors raised here, no child left."""

from __future__ import annotations

import os
import sys

import pytest

from circles import parallel
from circles.errors import CirclesError
from circles.parallel import Forked, forked_map, portable

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="circles forks on Linux only")


@pytest.fixture
def forking(monkeypatch):
    """Fork although the test runner may hold threads of its own (the children never touch them)."""
    monkeypatch.setattr(parallel, "fork_is_safe", lambda: True)


def test_forked_map_gives_what_one_process_gives_each_item_in_its_own_process(forking):
    results = forked_map(lambda n: (n * n, os.getpid()), [1, 2, 3, 4])
    assert [square for square, _ in results] == [1, 4, 9, 16]
    pids = [pid for _, pid in results]
    assert pids[0] == os.getpid() and len(set(pids)) == 4  # the first here, every other in a child


def test_without_a_safe_fork_the_items_are_done_here(monkeypatch):
    monkeypatch.setattr(parallel, "fork_is_safe", lambda: False)
    assert {pid for pid in forked_map(lambda _: os.getpid(), [1, 2, 3])} == {os.getpid()}


def test_a_childs_error_is_raised_here_once_every_child_has_ended(forking, monkeypatch):
    started: list[Forked] = []

    class Recorded(Forked):
        def __init__(self, work):
            super().__init__(work)
            started.append(self)

    monkeypatch.setattr(parallel, "Forked", Recorded)

    def work(n: int) -> int:
        if n == 2:
            raise OSError(28, "No space left on device")
        return n

    with pytest.raises(OSError, match="No space left on device"):
        forked_map(work, [1, 2, 3])
    assert len(started) == 2
    for child in started:  # each child was waited for: none is left running or unreaped
        with pytest.raises(ChildProcessError):
            os.waitpid(child.pid, os.WNOHANG)


def test_a_child_that_dies_is_an_error_that_says_what_to_do():
    child = Forked(lambda: os._exit(3))
    with pytest.raises(CirclesError, match="ended without a report .* CIRCLES_WORKERS=1"):
        child.result()
    child.close()


def test_an_error_pickle_cannot_carry_is_described():
    class Local(Exception):  # defined in a function: pickle cannot find it again
        pass

    error = portable(Local("disk gone"))
    assert isinstance(error, CirclesError) and str(error) == "Local: disk gone"
    assert portable(OSError(28, "full")).args == (28, "full")
