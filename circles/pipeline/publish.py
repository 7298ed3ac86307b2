"""Publishing a report folder safely: what may be replaced, leftovers of killed runs, and one run at a time.

A run writes its report into a staging folder beside the output (``.<name>.staging-*``), moves the previous
report aside (``.<name>.old-<pid>``), renames the staging folder into place and then deletes the previous
report. Three rules keep that from ever losing a file circles did not write:

* :func:`check_output` -- an existing output folder is replaced only when it is a report circles wrote for
  the same pipeline (its ``manifest.json`` names circles and the pipeline) and holds no file that manifest
  does not list. Anything else stops the run before it reads an input.
* :func:`sweep_leftovers` -- staging and moved-aside folders left by a killed run of this output are removed
  by the next run (a moved-aside report whose output is missing is put back), and reported.
* :func:`output_lock` -- a lock file ``.<name>.lock`` beside the output (pid, host, start time) lets one run
  at a time write it; a lock whose process is gone from this host is taken over.

``CIRCLES_TEST_KILL_AT`` is a **test hook only** (``tests/pipeline/test_faults.py``): when it names a stage,
``staging`` (the staging folder is complete) or ``swap`` (the old report has been moved aside), the process
kills itself with SIGKILL at that point, as a power cut or ``kill -9`` would.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from circles.errors import PublishError
from circles.io.readers import sha256_file
from circles.io.writers import write_json

__all__ = [
    "real_output",
    "check_output",
    "check_report",
    "snapshot",
    "record_outputs",
    "sweep_leftovers",
    "output_lock",
    "swap_in",
    "publish_error",
    "kill_point",
]

_KILL_HOOK = "CIRCLES_TEST_KILL_AT"


def kill_point(point: str) -> None:
    """Test hook: SIGKILL this process when ``CIRCLES_TEST_KILL_AT`` names ``point`` (unset in normal use)."""
    if os.environ.get(_KILL_HOOK) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def real_output(path: Path) -> Path:
    """The output folder with every symlink resolved: the folder that will really be replaced."""
    return Path(os.path.realpath(Path(path).expanduser()))


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's ``manifest.json`` when it is a circles manifest (names ``circles_version``), else None."""
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "circles_version" not in data or not isinstance(data.get("outputs"), list):
        return None
    return data


def _files(folder: Path) -> list[str]:
    """Every file (and symlink) under ``folder``, relative and sorted; empty folders are not files."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_symlink() or not p.is_dir())


def _unlisted(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Files in ``folder`` the manifest does not list (``manifest.json`` itself excepted)."""
    listed = {str(o.get("path")) for o in manifest["outputs"] if isinstance(o, dict)} | {"manifest.json"}
    return [f for f in _files(folder) if f not in listed]


def _some(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_output(out_dir: Path, pipeline: str) -> None:
    """Refuse an output folder the run may not replace; an absent or empty folder is fine.

    Raises
    ------
    PublishError
        The path is not a folder, the folder is not a circles report of ``pipeline``, or it holds files the
        report's manifest does not list. Nothing has been read or written.
    """
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if not out_dir.is_dir():
        raise PublishError(f"Output {out_dir} exists and is not a folder. Choose another output (-o).")
    files = _files(out_dir)
    if not files:
        return
    manifest = _read_manifest(out_dir)
    advice = "Choose another output folder (-o), or move those files somewhere else first."
    if manifest is None:
        raise PublishError(
            f"Output folder {out_dir} is not a report circles wrote (no circles manifest.json): it holds "
            f"{len(files)} file{'s' * (len(files) != 1)} circles did not write: {_some(files)}. "
            f"circles replaces only its own report folders. {advice}"
        )
    if manifest.get("pipeline") != pipeline:
        raise PublishError(
            f"Output folder {out_dir} holds the report of pipeline {manifest.get('pipeline')!r}, not "
            f"{pipeline!r}; circles will not replace another pipeline's report. Choose another output folder (-o)."
        )
    extra = _unlisted(out_dir, manifest)
    if extra:
        raise PublishError(
            f"Output folder {out_dir} is a report of {pipeline!r} but it holds {len(extra)} "
            f"file{'s' * (len(extra) != 1)} circles did not write: {_some(extra)}. {advice}"
        )


def check_report(folder: Path) -> None:
    """Refuse to write into ``folder`` (``circles pack``) unless it is a report folder circles wrote.

    Raises
    ------
    PublishError
        The folder is missing or has no circles ``manifest.json``.
    """
    if not folder.is_dir():
        raise PublishError(f"Report folder {folder} does not exist. Run `circles run SPEC` first.")
    if _read_manifest(folder) is None:
        raise PublishError(
            f"{folder} is not a report folder circles wrote (no circles manifest.json); circles pack writes into "
            "its packs/ folder only in a circles report. Run `circles run SPEC` first, or check the spec's output."
        )


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime in ns) of every file under ``folder``, to tell afterwards what a command wrote."""
    if not folder.is_dir():
        return {}
    return {f: ((folder / f).stat().st_size, (folder / f).stat().st_mtime_ns) for f in _files(folder)}


def record_outputs(report: Path, before: dict[str, tuple[int, int]], under: str = "packs") -> None:
    """List in the report's manifest the files written under ``report/under`` since ``before`` (``circles pack``).

    A report whose manifest lists everything it holds stays one the next run may replace; a file that was there
    before and was not touched stays unlisted.
    """
    manifest = _read_manifest(report)
    if manifest is None:
        return
    folder = report / under
    changed = {f"{under}/{f}" for f, stat in snapshot(folder).items() if before.get(f) != stat}
    if not changed:
        return
    kept = [o for o in manifest["outputs"] if not (isinstance(o, dict) and o.get("path") in changed)]
    added = [
        {"path": f, "sha256": sha256_file(report / f), "bytes": (report / f).stat().st_size} for f in sorted(changed)
    ]
    manifest["outputs"] = sorted(kept + added, key=lambda o: str(o.get("path", "")) if isinstance(o, dict) else "")
    write_json(manifest, report / "manifest.json")


def _remove_report(folder: Path) -> list[str]:
    """Delete the files a report's manifest lists, then its empty folders; return what had to be left."""
    manifest = _read_manifest(folder)
    if manifest is None:
        return _files(folder)
    for entry in manifest["outputs"]:
        target = Path(os.path.normpath(folder / str(entry.get("path", "")))) if isinstance(entry, dict) else folder
        if target != folder and folder in target.parents and (target.is_file() or target.is_symlink()):
            target.unlink()
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir() and not p.is_symlink()), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()
    left = [f for f in _files(folder) if f != "manifest.json"]
    if not left:
        (folder / "manifest.json").unlink(missing_ok=True)
        folder.rmdir()
    return left


def sweep_leftovers(out_dir: Path, pipeline: str) -> list[str]:
    """Remove the staging and moved-aside folders a killed run of this output left; return warnings.

    Only ``.<name>.staging-*`` folders (holding no manifest, or one of ``pipeline``) and ``.<name>.old-*``
    folders holding a report of ``pipeline`` are touched. When the output folder itself is missing, the newest
    moved-aside report is put back instead of deleted.
    """
    notes: list[str] = []
    parent, name = out_dir.parent, out_dir.name
    if not parent.is_dir():
        return notes
    olds = sorted(parent.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in olds:
        manifest = _read_manifest(old) if old.is_dir() and not old.is_symlink() else None
        if manifest is None or manifest.get("pipeline") != pipeline or _unlisted(old, manifest):
            notes.append(f"left {old} in place: it is not a complete report of {pipeline!r}; check it by hand")
        elif not out_dir.exists() and not out_dir.is_symlink():
            old.rename(out_dir)
            notes.append(f"an interrupted run had moved the previous report aside to {old.name}; put it back")
        else:
            left = _remove_report(old)
            notes.append(f"removed {old.name}, the previous report an interrupted run had moved aside")
            if left:
                notes[-1] += f" (kept {_some(left)}, which it did not list)"
    for staging in sorted(parent.glob(f".{name}.staging-*")):
        if not staging.is_dir() or staging.is_symlink():
            continue
        manifest = _read_manifest(staging)
        if (staging / "manifest.json").exists() and (manifest is None or manifest.get("pipeline") != pipeline):
            notes.append(f"left {staging} in place: its manifest is not one of {pipeline!r}; check it by hand")
            continue
        shutil.rmtree(staging)
        notes.append(f"removed {staging.name}, the unfinished report of an interrupted run")
    return notes


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _take(lock: Path, mine: dict[str, Any]) -> bool:
    """Create the lock file exclusively; False when it exists already."""
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(mine, handle)
    return True


@contextmanager
def output_lock(out_dir: Path) -> Iterator[list[str]]:
    """Hold ``.<name>.lock`` beside the output for the run; yields warnings (a stale lock taken over).

    Raises
    ------
    PublishError
        Another live run holds the lock, or the lock cannot be created.
    """
    lock = out_dir.with_name(f".{out_dir.name}.lock")
    host = socket.gethostname()
    mine = {"pid": os.getpid(), "host": host, "started_utc": datetime.now(UTC).isoformat(timespec="seconds")}
    notes: list[str] = []
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        taken = _take(lock, mine)
        if not taken:
            owner = _owner(lock)
            pid = owner.get("pid")
            if owner.get("host") != host or not isinstance(pid, int) or _alive(pid):
                raise PublishError(
                    f"Another circles run is writing {out_dir}: lock {lock} is held by pid {owner.get('pid', '?')} "
                    f"on host {owner.get('host', '?')}, started {owner.get('started_utc', '?')}. Wait for it to "
                    f"finish, or choose another output folder (-o); if no such run exists, delete {lock}."
                )
            lock.unlink(missing_ok=True)
            notes.append(
                f"took over the lock of pid {pid} on {host} (started {owner.get('started_utc', '?')}), "
                "which is no longer running: that run was interrupted"
            )
            if not _take(lock, mine):
                raise PublishError(f"Another circles run took the lock {lock} at the same moment; try again.")
    except OSError as error:
        raise publish_error(error, f"cannot create the lock file {lock}") from error
    try:
        yield notes
    finally:
        if _owner(lock).get("pid") == mine["pid"]:
            lock.unlink(missing_ok=True)


def _owner(lock: Path) -> dict[str, Any]:
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def swap_in(staging: Path, out_dir: Path, pipeline: str) -> list[str]:
    """Put the finished staging folder in place of the output; remove only the previous report's own files.

    The output is checked again first (a file added by hand during the run stops the swap). Returns warnings.
    """
    check_output(out_dir, pipeline)
    notes: list[str] = []
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        if not any(out_dir.iterdir()):
            out_dir.rmdir()  # an empty folder: nothing to keep
            old = None
        else:
            out_dir.rename(old)
    kill_point("swap")
    try:
        staging.rename(out_dir)
    except OSError:
        if old is not None:
            old.rename(out_dir)
        raise
    if old is not None:
        left = _remove_report(old)
        if left:
            notes.append(f"kept {old}: it held {_some(left)}, which the previous manifest did not list")
    return notes


def publish_error(error: OSError, doing: str) -> PublishError:
    """A :class:`PublishError` for an operating-system error while ``doing`` something, disk full named."""
    if error.errno == errno.ENOSPC:
        return PublishError(
            f"The disk is full: {doing} failed ({error}). Free some space and run again; the previous report "
            "is unchanged."
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PublishError(
            f"Permission denied: {doing} failed ({error}). Choose an output folder you can write to (-o); the "
            "previous report is unchanged."
        )
    return PublishError(f"{doing} failed: {error}. The previous report is unchanged.")
