"""Writing a run's queued outputs into its staging folder, on every core where the platform allows.

A run queues its outputs as writers (:meth:`circles.pipeline.stages.base.RunState.publish`): closures over the
run's tables and figures, most of them cheap (a CSV), some of them most of a run's time (a print map drawn as a
vector PDF with its fonts embedded, and as a 300 dpi PNG). :func:`write_outputs` runs them all and says which
files each one wrote.

With more than one worker, the writers are shared out by their expected cost (the longest first, each to the
least loaded worker) and all but the first share run in forked child processes. A fork inherits the writers as
they are (closures cannot be pickled, and need not be), writes into a folder of its own beside the staging
folder, and reports the files each writer made; the parent then moves those files into the staging folder. A
writer's error in a child is raised in the parent as it would have been in one process. Forks are used only
where :func:`circles.parallel.fork_is_safe` says so; anywhere else the writers run one after another, as they
always did, with the same result.

:class:`EarlyWriting` starts some writers sooner: the print maps, in a forked child, as soon as their stage has
run, while the run's later stages go on in the parent on the other core. The child writes into a folder of its own
(``.<report>.staging-early-*``, which the next run sweeps away if this one is killed). Each writer is claimed
before it is written (a file created exclusively in that folder), so once the parent has written everything else
it takes the early writers the child has not reached yet, and neither waits for the other; the child's files then
join the staging folder. A writer published again after its child started is written again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from circles.errors import CirclesError
from circles.parallel import Forked, fork_is_safe, share_out

__all__ = ["EarlyWriting", "write_outputs"]

Writer = Callable[[Path], Any]

#: The expected cost of a writer, by what it writes (relative units: a CSV is 1).
_COSTS = ((".pdf", 40.0), (".svg", 4.0), (".png", 4.0), (".html", 3.0), (".gpkg", 3.0), (".xlsx", 2.0))


def write_outputs(
    writers: Mapping[str, Writer], staging: Path, *, workers: int = 1, quiet: bool = True
) -> dict[str, list[str]]:
    """Run every writer into ``staging``; return each output's files (a print map's PNG beside its PDF).

    Parameters
    ----------
    writers : mapping
        Relative path → a function writing that output at ``staging / relative``.
    staging : pathlib.Path
        The staging folder (it exists).
    workers : int
        Processes to write in; more than one only where :func:`circles.parallel.fork_is_safe`.
    quiet : bool
        No progress bar.

    Returns
    -------
    dict
        Relative path → the files (relative to ``staging``, sorted) its writer added.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_outputs({"a.txt": lambda p: p.write_text("a"), "b.txt": lambda p: p.write_text("b")},
    ...                         Path(folder), workers=2)
    >>> out
    {'a.txt': ['a.txt'], 'b.txt': ['b.txt']}
    """
    order = sorted(writers)
    if workers > 1 and len(order) > 1 and fork_is_safe():
        return _write_forked(writers, staging, _share_out(order, workers))
    return _write_all(writers, order, staging, quiet=quiet)


def _write_all(writers: Mapping[str, Writer], order: list[str], folder: Path, *, quiet: bool) -> dict[str, list[str]]:
    """The writers of ``order``, one after another, into ``folder``; what each added."""
    produced: dict[str, list[str]] = {}
    for relative in tqdm(order, desc="writing", unit="file", leave=False, disable=quiet):
        before = _files_under(folder, relative)
        writers[relative](folder / relative)
        produced[relative] = sorted(_files_under(folder, relative) - before)
    return produced


def _files_under(folder: Path, relative: str) -> set[str]:
    """The files in the top folder of ``relative`` (or that file, at the top): what a writer may have added."""
    top = folder / Path(relative).parts[0]
    if top.is_dir():
        return {p.relative_to(folder).as_posix() for p in top.rglob("*") if p.is_file()}
    return {top.relative_to(folder).as_posix()} if top.is_file() else set()


def _cost(relative: str) -> float:
    return next((cost for suffix, cost in _COSTS if relative.endswith(suffix)), 1.0)


def _share_out(order: list[str], workers: int) -> list[list[str]]:
    """The writers in ``workers`` shares of about equal expected cost (longest first, to the least loaded)."""
    return [sorted(share) for share in share_out(sorted(order), workers, _cost)]


def _write_forked(writers: Mapping[str, Writer], staging: Path, shares: list[list[str]]) -> dict[str, list[str]]:
    """The first share here, the others in forked children each writing into a folder of its own; merged."""
    children: list[tuple[Forked, Path]] = []
    try:
        for share in shares[1:]:
            folder = Path(tempfile.mkdtemp(prefix=f"{staging.name}.part-", dir=staging.parent))
            children.append((Forked(lambda s=share, f=folder: _write_all(writers, s, f, quiet=True)), folder))
        produced = _write_all(writers, shares[0], staging, quiet=True)
        outcomes = [_outcome(child) for child, _ in children]  # every child ends before an error is raised
        for (_, folder), outcome in zip(children, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                raise outcome
            _merge(folder, staging, outcome)
            produced |= outcome
        return produced
    finally:
        for child, folder in children:
            child.close()
            shutil.rmtree(folder, ignore_errors=True)


def _outcome(child: Forked) -> dict[str, list[str]] | BaseException:
    """What a child's writers made, or the error that stopped it."""
    try:
        return child.result()
    except BaseException as error:  # raised by the caller once every child has ended
        return error


def _merge(folder: Path, staging: Path, produced: dict[str, list[str]]) -> None:
    """Move the files a child wrote into the staging folder (same file system: renames)."""
    for files in produced.values():
        for relative in files:
            target = staging / relative
            if target.exists():
                raise CirclesError(f"two outputs of the run wrote {relative}: a circles bug")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(folder / relative, target)


#: The folder of claims in an early child's folder: one empty file per writer taken, by its place in the order.
_CLAIMS = ".claims"


def _write_claimed(
    writers: Mapping[str, Writer], claims: Path, folder: Path, only: set[str] | None = None
) -> dict[str, list[str]]:
    """Write into ``folder`` each writer (longest first) this process claims first in ``claims``; what each made.

    A claim is a file created exclusively (``O_EXCL``): of the processes sharing ``claims``, one only writes each.
    Writers not in ``only`` (when given) are claimed, so no one writes them, but not written.
    """
    produced: dict[str, list[str]] = {}
    for place, relative in enumerate(sorted(writers, key=lambda r: (-_cost(r), r))):
        try:
            os.close(os.open(claims / _CLAIMS / str(place), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue
        if only is None or relative in only:
            produced |= _write_all(writers, [relative], folder, quiet=True)
    return produced


class EarlyWriting:
    """Writers started in forked children while the run goes on; merged into the staging folder at the end.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     writers = {"a.txt": lambda p: p.write_text("a")}
    ...     early = EarlyWriting()
    ...     started = early.start(writers, Path(folder), ".report.staging-early-")
    ...     writers["b.txt"] = lambda p: p.write_text("b")
    ...     later = {k: w for k, w in writers.items() if k not in early.written(writers)}
    ...     (Path(folder) / "staging").mkdir()
    ...     produced = write_outputs(later, Path(folder) / "staging") | early.finish(Path(folder) / "staging", writers)
    ...     early.close()
    ...     sorted(p.name for p in (Path(folder) / "staging").iterdir()), sorted(produced)
    (['a.txt', 'b.txt'], ['a.txt', 'b.txt'])
    """

    def __init__(self) -> None:
        self._children: list[tuple[Forked, Path, dict[str, Writer]]] = []

    def start(self, writers: Mapping[str, Writer], beside: Path, prefix: str) -> bool:
        """Write ``writers`` in a forked child, into a new folder ``beside/prefix*``; whether a child was started.

        Nothing is started where :func:`circles.parallel.fork_is_safe` says no: those writers are then written
        with the others, at the end.
        """
        if not writers or not fork_is_safe():
            return False
        beside.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=beside))
        (folder / _CLAIMS).mkdir()
        child = Forked(lambda: _write_claimed(writers, folder, folder))  # writes what it claims first
        self._children.append((child, folder, dict(writers)))
        return True

    def written(self, writers: Mapping[str, Writer]) -> set[str]:
        """The outputs of ``writers`` a child is writing (those published again since are not among them)."""
        return {key for *_, started in self._children for key, w in started.items() if writers.get(key) is w}

    def finish(self, staging: Path, writers: Mapping[str, Writer]) -> dict[str, list[str]]:
        """Wait for every child, move the files of :meth:`written` outputs into ``staging``; what each made."""
        keep = self.written(writers)
        produced: dict[str, list[str]] = {}
        for _, folder, started in self._children:  # what no child has reached yet is written here
            produced |= _write_claimed(started, folder, staging, only=keep)
        for child, folder, _ in self._children:
            outcome = {key: files for key, files in child.result().items() if key in keep}
            _merge(folder, staging, outcome)
            produced |= outcome
        return produced

    def close(self) -> None:
        """Stop any child still writing (the run failed first: its outputs are not wanted) and remove the
        children's folders."""
        for child, folder, _ in self._children:
            child.close(stop=True)
            shutil.rmtree(folder, ignore_errors=True)
        self._children = []
