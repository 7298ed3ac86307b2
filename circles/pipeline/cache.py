"""Reruns in seconds: the stage cache kept beside a report folder.

A stage is reused from the last run when its *key* is unchanged. A stage's key is a SHA-256 over

* the cache format, the code (every file of the installed ``circles`` package, and the embedded reference data
  in ``geo/``) and the versions of the packages the manifest lists;
* the key of the stage before it, so that a change re-runs every stage after the first one it touches;
* the spec sections the stage read the last time it ran (recorded while it runs: nothing to declare by
  hand), with the content of every file or folder those sections name (codebook, notes, directory...).

The record stages (``read`` to ``aggregate``) always run: they hold the records, and the cache never does.
The first key in the chain takes the input files' checksums and the sections those stages read.

What the cache holds, in ``.<report>.cache/`` beside the report folder:

* ``index.json`` -- each stage's key, the sections it read, and its outputs with their checksums; and the
  keys of the contents the last audit found clean (opaque hashes: see
  :func:`~circles.pipeline.audit.audit_report`), so an unchanged file is not read again;
* ``files/`` -- those outputs, named by checksum: the published, audited files (hard links to the report's
  own files where the disk allows; a file changed since is noticed by its checksum and its stage re-runs);
* ``state/`` -- what each stage added to the run (area tables, the coding result, the network...), pickled
  and encrypted with AES-GCM under a key derived (HKDF-SHA256) from the run's pseudonymisation key. Without
  that key it can be neither read nor altered unnoticed. Records, identifiers, pseudonyms, postcodes and
  quarantined rows are never stored. A spec without a pseudonymisation key keeps no cache.

Packs are reused when the code, the templates and every other output are unchanged: editing a pack's wording
re-renders the packs only. ``circles run --from STAGE`` runs ``STAGE`` and every stage after it again;
``--no-cache`` runs everything and keeps no cache. The cache folder holds a ``CACHEDIR.TAG`` so backup
tools skip it, and circles removes from it only files its own index lists.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from circles.io.readers import sha256_file
from circles.io.writers import atomic_path, write_json

if TYPE_CHECKING:
    from circles.pipeline.spec import PipelineSpec
    from circles.pipeline.stages.base import RunState

__all__ = ["StageCache", "cache_folder", "code_digest"]

#: Bump when the layout of the cache or of a stage's state changes: every key changes with it.
CACHE_FORMAT = "circles-stage-cache-1"

#: RunState fields the cache never stores: the records and everything that could name a person, the run's own
#: plumbing, and what the record stages (which always run) make. Every other field is a stage's state.
_NOT_STATE = frozenset(
    {
        "spec",
        "log",
        "quiet",
        "ledger",
        "quarantine",
        "records",
        "partitions",
        "read_ids",
        "read_files",
        "secrets_identifiers",
        "secrets_pseudonyms",
        "secrets_postcodes",
        "layers",
        "lookups",
        "writers",
        "manifest",
        "warnings",
    }
)
#: Manifest entries that differ between two runs of the same inputs (left out of the packs' key).
_VOLATILE = ("started_utc", "seconds", "stages", "outputs", "audit", "packs", "warnings", "cache")
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# circles stage cache: see circles/pipeline/cache.py\n"
_PATHLIKE = (".yaml", ".yml", ".csv", ".json", ".xlsx", ".xls", ".qdpx", ".qdc", ".txt", ".docx", ".gpkg", ".geojson")


def cache_folder(out_dir: Path) -> Path:
    """``reports/.demo.cache`` for ``reports/demo``: beside the report, never inside it."""
    return out_dir.parent / f".{out_dir.name}.cache"


@cache
def code_digest() -> str:
    """SHA-256 over every file of the installed ``circles`` package and of the reference data it embeds
    (``geo/``, outside the package in a checkout): the code version of every key."""
    import circles
    from circles.resources import packaged

    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for root in (Path(circles.__file__).parent, packaged("geo")):
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _sha(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _named_files(spec: PipelineSpec, value: Any) -> Iterator[str]:
    """``path:sha256`` for every existing file (or file in a folder, or glob match) a spec value names."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _named_files(spec, item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _named_files(spec, item)
    elif isinstance(value, str) and ("/" in value or value.lower().endswith(_PATHLIKE)):
        path = spec.resolve(value)
        matches = sorted(path.parent.glob(path.name)) if any(c in value for c in "*?[") else [path]
        for match in matches:
            files = sorted(p for p in match.rglob("*") if p.is_file()) if match.is_dir() else [match]
            for file in files:
                if file.is_file():
                    yield f"{file}:{sha256_file(file)}"


def _sections_digest(spec: PipelineSpec, names: list[str]) -> str:
    """The named spec sections, as JSON, with the checksum of every file they name."""
    dump = spec.model_dump(mode="json", include=set(names) - {"output", "spec_path"})  # where, not what: the
    # spec's folder reaches the key through the files its sections name
    return _sha(json.dumps(dump, sort_keys=True, default=str), *_named_files(spec, dump))


_READS: ContextVar[set[str] | None] = ContextVar("circles_spec_reads", default=None)


def _same(spec: Any) -> Any:
    """Unpickles a tracked spec as the spec itself (see :func:`_tracking_class`)."""
    return spec


@cache
def _tracking_class(spec_type: type) -> type:
    """A subclass of the spec's class that records which of its sections are read."""
    names = frozenset(spec_type.model_fields)

    def __getattribute__(self, name):
        if name in names and (seen := _READS.get()) is not None:
            seen.add(name)
        return spec_type.__getattribute__(self, name)

    def __reduce_ex__(self, protocol):
        plain = copy.copy(self)  # sent to a Dask worker or pickled: the spec itself, untracked
        object.__setattr__(plain, "__class__", spec_type)
        return _same, (plain,)

    namespace = {"__getattribute__": __getattribute__, "__reduce_ex__": __reduce_ex__}
    return type(f"Tracked{spec_type.__name__}", (spec_type,), namespace)


@contextmanager
def _tracking(run: RunState) -> Iterator[set[str]]:
    """Within the block, ``run.spec`` is the same spec recording the sections read into the yielded set."""
    original, seen = run.spec, set()
    view = copy.copy(original)
    object.__setattr__(view, "__class__", _tracking_class(type(original)))
    token = _READS.set(seen)
    run.spec = view
    try:
        yield seen
    finally:
        run.spec = original
        _READS.reset(token)


def _state_fields(run: RunState) -> dict[str, Any]:
    return {f.name: getattr(run, f.name) for f in fields(run) if f.name not in _NOT_STATE}


def _fingerprints(run: RunState) -> dict[str, str | None]:
    """A checksum of each state field's pickle (``None`` when a field cannot be pickled)."""
    out: dict[str, str | None] = {}
    for name, value in _state_fields(run).items():
        try:
            out[name] = hashlib.sha256(pickle.dumps(value, protocol=5)).hexdigest()
        except Exception:  # any pickling failure: not cacheable
            out[name] = None
    return out


def _records_shape(run: RunState) -> tuple[Any, ...]:
    records = run.records
    return (id(records), None if records is None else (len(records), tuple(records.columns)))


@dataclass
class _Entry:
    """One stage of this run, for the index: its key, the sections it read, its outputs and its state."""

    key: str
    reads: list[str]
    files: list[str] = field(default_factory=list)
    state: bytes | None = None
    note: str | None = None


@dataclass
class StageCache:
    """The cache of one report folder during one run (:meth:`open`, then per stage :meth:`reuse` or :meth:`watch`,
    then :meth:`save` once the report is published)."""

    folder: Path
    cipher: Any
    previous: dict[str, Any]
    force_from: str | None = None
    chain: str = ""
    entries: dict[str, _Entry] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    forced: bool = False
    #: contents the last audit found clean (:func:`~circles.pipeline.audit.audit_report`'s ``clean``)
    audit_clean: set[str] = field(default_factory=set)
    #: the files each queued output wrote (set by the runner as it writes them): a map's PNG beside its PDF
    produced: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def open(
        cls, out_dir: Path, run: RunState, *, versions: dict[str, str], from_stage: str | None = None
    ) -> StageCache | None:
        """The cache beside ``out_dir`` for this run; ``None`` (and a note) without a pseudonymisation key."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        from circles.pipeline.stages.ingest import pseudonym_key

        key, scope = pseudonym_key(run.spec)
        if key is None:
            run.log("stage cache: off (the spec has no pseudonymisation key to encrypt it with); every stage runs")
            return None
        info = f"circles stage cache\x1f{run.spec.name}\x1f{scope}".encode()
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key.secret)
        folder = cache_folder(out_dir)
        previous = _read_index(folder, run.spec.name)
        clean = set(previous.get("audit_clean", [])) if previous.get("code") == code_digest() else set()
        return cls(
            folder=folder,
            cipher=AESGCM(derived),
            previous=previous,
            force_from=from_stage,
            audit_clean=clean,
            chain=_sha(CACHE_FORMAT, code_digest(), json.dumps(versions, sort_keys=True)),
        )

    # -- per stage --------------------------------------------------------------------------------------------

    def _key(self, stage: str, reads: list[str], run: RunState) -> str:
        return _sha(self.chain, stage, _sections_digest(run.spec, reads))

    def reuse(self, stage: str, run: RunState) -> bool:
        """Restore ``stage`` from the last run when its key is unchanged; ``False`` when it must run."""
        if stage == self.force_from:
            self.forced = True
        old = self.previous.get("stages", {}).get(stage)
        if self.forced or not old or old.get("state") is None:
            return False
        key = self._key(stage, old["reads"], run)
        if key != old["key"]:
            return False
        files = {rel: self.folder / "files" / sha for rel, sha in old["files"].items()}
        if not _intact(files, old["files"]):
            return False
        try:
            state = self._decrypt(self.folder / "state" / old["state"], key)
        except Exception:  # unreadable or altered: run the stage
            return False
        for name, value in state["fields"].items():
            setattr(run, name, value)
        run.manifest.update(state["manifest"])
        run.warnings.extend(state["warnings"])
        for relative, source in files.items():
            run.publish(relative, lambda p, s=source, sha=old["files"][relative]: _link_or_copy(s, p, sha))
        self.entries[stage] = _Entry(key, old["reads"], sorted(files), state=None, note="reused")
        self.chain = key
        self.reused.append(stage)
        return True

    @contextmanager
    def watch(self, stage: str, run: RunState, *, keep_state: bool = True) -> Iterator[None]:
        """Run ``stage`` inside the block: record what it read, published, and added to the run."""
        if stage == self.force_from:
            self.forced = True
        writers = dict(run.writers)
        warnings = len(run.warnings)
        manifest = {k: json.dumps(v, sort_keys=True, default=str) for k, v in run.manifest.items()}
        before = _fingerprints(run) if keep_state else {}
        shape = _records_shape(run)
        with _tracking(run) as reads:
            yield
        names = sorted(reads | {"name"})
        entry = _Entry(self._key(stage, names, run), names)
        entry.files = sorted(r for r, w in run.writers.items() if writers.get(r) is not w)
        if keep_state:
            entry.state, entry.note = self._state(run, before, warnings, manifest, shape)
        self.entries[stage] = entry
        self.chain = entry.key

    def _state(self, run, before, warnings, manifest, shape) -> tuple[bytes | None, str | None]:
        if _records_shape(run) != shape:
            return None, "changed the records"
        after = _fingerprints(run)
        if any(v is None for v in after.values()):
            return None, "its state cannot be pickled"
        changed = {n: getattr(run, n) for n, v in after.items() if v != before.get(n)}
        delta = {k: v for k, v in run.manifest.items() if manifest.get(k) != json.dumps(v, sort_keys=True, default=str)}
        return pickle.dumps(
            {"fields": changed, "manifest": delta, "warnings": run.warnings[warnings:]}, protocol=5
        ), None

    # -- packs ------------------------------------------------------------------------------------------------

    def packs_key(self, staging: Path, manifest: dict[str, Any]) -> str:
        """The packs' key: the chain, the templates, every other output and the manifest's lasting entries."""
        from circles.packs.render import templates_dir

        outputs = sorted(
            f"{p.relative_to(staging)}:{sha256_file(p)}"
            for p in staging.rglob("*")
            if p.is_file()
            and p.name != "manifest.json"
            and p.suffix != ".gpkg"  # packs print no GeoPackage, and each one carries the time it was written
            and p.relative_to(staging).parts[0] != "packs"
        )
        templates = sorted(
            f"{p.relative_to(templates_dir())}:{sha256_file(p)}" for p in templates_dir().rglob("*") if p.is_file()
        )
        lasting = {k: v for k, v in manifest.items() if k not in _VOLATILE}
        lasting["warnings"] = [w for w in manifest.get("warnings", []) if not w.startswith("publish:")]
        return _sha(self.chain, "packs", *templates, *outputs, json.dumps(lasting, sort_keys=True, default=str))

    def reuse_packs(self, key: str, staging: Path) -> bool:
        """Copy the last run's packs into ``staging`` when their key is unchanged."""
        old = self.previous.get("packs")
        if self.forced or not old or old.get("key") != key:
            return False
        sources = {rel: self.folder / "files" / sha for rel, sha in old["files"].items()}
        if not _intact(sources, old["files"]):
            return False
        for relative, source in sources.items():
            _link_or_copy(source, staging / relative, old["files"][relative])
        self.entries["packs"] = _Entry(key, [], sorted(sources), note="reused")
        self.reused.append("packs")
        return True

    def packs_built(self, key: str, staging: Path) -> None:
        files = sorted(str(p.relative_to(staging)) for p in (staging / "packs").rglob("*") if p.is_file())
        self.entries["packs"] = _Entry(key, [], files)

    # -- after publishing --------------------------------------------------------------------------------------

    def save(self, out_dir: Path, spec_name: str) -> list[str]:
        """Keep this run's outputs and states in the cache (after the report is published); return notes."""
        folder = self.folder
        (folder / "files").mkdir(parents=True, exist_ok=True)
        (folder / "state").mkdir(exist_ok=True)
        tag = folder / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(_TAG, encoding="utf-8")
        index: dict[str, Any] = {
            "format": CACHE_FORMAT,
            "pipeline": spec_name,
            "code": code_digest(),
            "stages": {},
            "audit_clean": sorted(self.audit_clean),
        }
        old = self.previous.get("stages", {})
        for stage, entry in self.entries.items():
            files = {}
            written = sorted({f for relative in entry.files for f in self.produced.get(relative, [relative])})
            for relative in written:
                published = out_dir / relative
                if not published.is_file():
                    continue
                sha = sha256_file(published)
                _link_or_copy(published, folder / "files" / sha, sha)
                files[relative] = sha
            record: dict[str, Any] = {"key": entry.key, "reads": entry.reads, "files": files, "state": None}
            if entry.note == "reused" and stage != "packs":
                record["state"] = old[stage]["state"]
            elif entry.state is not None:
                record["state"] = f"{stage}-{entry.key[:16]}.bin"
                self._encrypt(entry.state, folder / "state" / record["state"], entry.key)
            elif entry.note:
                record["note"] = entry.note
            if stage == "packs":
                index["packs"] = record
            else:
                index["stages"][stage] = record
        with atomic_path(folder / "index.json") as tmp:
            write_json(index, tmp)
        return _forget(folder, self.previous, index)

    # -- encryption -------------------------------------------------------------------------------------------

    def _encrypt(self, data: bytes, path: Path, key: str) -> None:
        nonce = os.urandom(12)
        with atomic_path(path) as tmp:
            tmp.write_bytes(nonce + self.cipher.encrypt(nonce, data, key.encode()))

    def _decrypt(self, path: Path, key: str) -> dict[str, Any]:
        blob = path.read_bytes()
        return pickle.loads(
            self.cipher.decrypt(blob[:12], blob[12:], key.encode())
        )  # authenticated: written by this key


def _read_index(folder: Path, pipeline: str) -> dict[str, Any]:
    try:
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(index, dict) or index.get("format") != CACHE_FORMAT or index.get("pipeline") != pipeline:
        return {}
    return index


def _intact(files: dict[str, Path], checksums: dict[str, str]) -> bool:
    """Whether every cached file is there with the content it was kept with (a hard link shares the report's
    file: one edited in place since is noticed here, and its stage runs again)."""
    return all(path.is_file() and sha256_file(path) == checksums[rel] for rel, path in files.items())


def _link_or_copy(source: Path, target: Path, sha: str) -> None:
    """``target`` with ``source``'s content: a hard link where the disk allows, else an atomic copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.name == sha and target.is_file() and sha256_file(target) == sha:
        return  # the cache's copy of this content is already there (and unchanged)
    try:
        tmp = target.with_name(f".{target.name}.link-{os.getpid()}")
        os.link(source, tmp)
        os.replace(tmp, target)
    except OSError:
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)


def _forget(folder: Path, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Remove the files and states the old index listed and the new one does not (nothing else)."""

    def listed(index: dict[str, Any]) -> set[Path]:
        records = [*index.get("stages", {}).values(), *([index["packs"]] if index.get("packs") else [])]
        out = {folder / "files" / sha for r in records for sha in r.get("files", {}).values()}
        return out | {folder / "state" / r["state"] for r in records if r.get("state")}

    gone = listed(old) - listed(new)
    for path in gone:
        path.unlink(missing_ok=True)
    return [f"stage cache: removed {len(gone)} file(s) no stage uses any more"] if gone else []
