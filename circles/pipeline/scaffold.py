"""A new project for a council's own data: what ``circles init DIR`` makes.

:func:`scaffold_project` writes, into ``DIR``:

========================  ==================================================================================
``pipeline.yaml``         a commented spec for the council's own extracts, from ``pipelines/project_template.yaml``
``README.md``             the next steps: extracts in, ``circles inspect``, the mapping pasted, ``circles run``
``.gitignore``            ignores ``data/`` and ``reports/`` (their README files excepted): the data describes
                          vulnerable people and never enters a repository
``data/extracts/``        the agency extracts (with a README saying so)
``data/notes/``           workshop and interview notes (with a README)
``reports/``              the report folders ``circles run`` writes (with a README)
========================  ==================================================================================

and a pseudonymisation key *outside* ``DIR`` (default ``~/.config/circles/keys/<name>.key``, under
``$XDG_CONFIG_HOME`` when that is set), made with :func:`circles.ingest.pseudonyms.write_key_file`. An existing key
at that path is reused, never replaced: a new key would change every pseudonym.

Nothing is ever overwritten or deleted. Every check (the name, the local authority code, the key's place, the
files already in ``DIR``) runs before anything is written; each file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml

from circles.errors import CirclesError, PseudonymKeyError, SpecError
from circles.ingest.pseudonyms import PseudonymKey, load_key, write_key_file
from circles.io.writers import atomic_path
from circles.pipeline.spec import PipelineSpec, PseudonymisationSpec
from circles.resources import packaged
from circles.validation import key_lines, validate_model

__all__ = ["ScaffoldResult", "scaffold_project", "project_name", "default_key_path", "render_spec", "TEMPLATE"]

#: The spec template, in :func:`circles.resources.packaged` ``("pipelines")``.
TEMPLATE = "project_template.yaml"
#: The local authority whose postcodes and areas circles embeds (Blackburn with Darwen).
EMBEDDED_AUTHORITY = "E06000008"

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_AUTHORITY = re.compile(r"^[EWSN]\d{8}$")  # ONS GSS codes: E06/E07/E08/E09, W06, S12, N09

_GITIGNORE = """\
# circles project: data/ and reports/ describe vulnerable people and never enter a repository.
# Only their README files are kept. Reference data (ONSPD, boundaries, populations) goes in data/reference/:
# open data, but large, and downloaded again when needed.
/data/*
!/data/extracts/
!/data/notes/
/data/extracts/*
!/data/extracts/README.md
/data/notes/*
!/data/notes/README.md
/reports/*
!/reports/README.md
# a pseudonymisation key belongs outside the project (see pipeline.yaml); never commit one
*.key
"""

_README = """\
# {name}

A Circles of Need project made by `circles init`{authority}. `pipeline.yaml` is the analysis: which extracts to
read, how their columns map to circles' fields, which areas to count in, how small counts are protected, which
stages run. Its comments explain every section.

## Next steps

1. Put an agency extract in `data/extracts/` (CSV, Excel `.xlsx` or Parquet).
2. Propose the column mapping:

       circles inspect data/extracts/FILE.csv

3. Check what it proposes (especially `privacy:` on every identifier) and paste it under `sources:` in
   `pipeline.yaml`, replacing the example mapping.{geography}
4. Run it:

       circles run pipeline.yaml

   The report is written to `reports/{name}/` only after it has been audited for identifiers, pseudonyms,
   postcodes and small counts. Rows that fail a check are not lost: `reports/{name}/quarantine.csv` says why.

Later: notes in `data/notes/` and the `coding:` section for the qualitative side; `services:` for the circle and
challenge stages; populations under `rates:` for rates per 1,000.

## Keep the data safe

- `data/` and `reports/` are git-ignored (see `.gitignore`): never commit, email or upload them. Store the
  project on the drive your information governance approved.
- The pseudonymisation key is at `{key}`, outside this folder
  (fingerprint `{fingerprint}`). Back it up somewhere safe: without it, new extracts cannot be linked to earlier
  ones. Never put it in this folder or in any repository.
"""

_NON_EMBEDDED_STEP = """
   The embedded postcode directory covers Blackburn with Darwen only: download the ONS Postcode Directory,
   put it in `data/reference/` and name it under `geography: postcode_directory:`."""

_FOLDER_READMES = {
    "data/extracts/README.md": """\
# data/extracts: the agency extracts

Put the extracts from each agency here: CSV, Excel `.xlsx` or Parquet, one file per export. They hold personal
data about vulnerable people: this folder is git-ignored and its files are NEVER committed, emailed or copied
to shared drives outside the ones your information governance approved.

`circles inspect data/extracts/FILE.csv` proposes how their columns map to circles' fields; the mapping goes in
`../../pipeline.yaml` under `sources:`. Identifiers are pseudonymised when circles reads them; the files here
are never changed.
""",
    "data/notes/README.md": """\
# data/notes: workshop and interview notes

Notes from workshops, interviews and focus groups (`.txt`, `.md`, `.docx`), or a survey export (`.csv`,
`.xlsx`), for the `coding:` section of `../../pipeline.yaml`. They quote real people: this folder is
git-ignored and its files are NEVER committed. Remove names before coding where you can; published quotes name
speakers by role or as "Participant N" only.
""",
    "reports/README.md": """\
# reports: what circles writes

`circles run pipeline.yaml` writes `reports/<pipeline name>/` here: tables, maps, the coding analysis, the
quarantine and a manifest of the run. Counts are published through disclosure control, and the folder is
audited before it is written, but even aggregates about vulnerable families stay out of repositories: this
folder is git-ignored and NEVER committed. Share a report only as your information governance allows.
""",
}


@dataclass(frozen=True)
class ScaffoldResult:
    """What :func:`scaffold_project` made.

    Attributes
    ----------
    folder : pathlib.Path
        The project folder (absolute).
    spec_path : pathlib.Path
        Its ``pipeline.yaml``.
    key_path : pathlib.Path
        The pseudonymisation key (absolute; outside ``folder``).
    key_fingerprint : str
        The key's fingerprint (a hash of the key, never the key), as run manifests record it.
    key_created : bool
        True if a new key was written; False if the key already at ``key_path`` was reused unchanged.
    files : tuple of pathlib.Path
        The files written inside ``folder``, in the order they were written.
    notes : tuple of str
        Things the user should know (the key reused, a key readable by others, the geography to download).
    """

    folder: Path
    spec_path: Path
    key_path: Path
    key_fingerprint: str
    key_created: bool
    files: tuple[Path, ...]
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """Lines for the command line: what was written, the key, the notes and the next step."""
        lines = [f"made the circles project {self.folder}:"]
        lines += [f"  {p.relative_to(self.folder).as_posix()}" for p in self.files]
        lines += list(self.notes)
        lines.append(
            f"next: put an extract in {self.folder / 'data' / 'extracts'}, then "
            "`circles inspect data/extracts/FILE.csv` and paste the mapping into pipeline.yaml."
        )
        return "\n".join(lines)


def project_name(folder: str | Path) -> str:
    """The spec name for a folder: its name as a slug (lower case letters, digits, ``_`` and ``-``).

    Examples
    --------
    >>> project_name("/councils/BwD Family Insight 2025")
    'bwd-family-insight-2025'
    >>> project_name("2025_Café study"), project_name("2025")
    ('cafe-study', 'project')
    """
    text = unicodedata.normalize("NFKD", Path(folder).name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9_-]+", "-", text)
    slug = re.sub(r"([-_])[-_]+", r"\1", slug)
    slug = re.sub(r"^[^a-z]+", "", slug).rstrip("-_")
    return slug or "project"


def default_key_path(name: str) -> Path:
    """Where a project's key goes by default: ``$XDG_CONFIG_HOME/circles/keys/<name>.key``.

    ``$XDG_CONFIG_HOME`` is used when it is an absolute path (as the XDG Base Directory specification says);
    otherwise ``~/.config``.

    Examples
    --------
    >>> default_key_path("bwd").parts[-3:]
    ('circles', 'keys', 'bwd.key')
    """
    config = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(config) if config and Path(config).is_absolute() else Path("~/.config").expanduser()
    return base / "circles" / "keys" / f"{name}.key"


def scaffold_project(
    folder: str | Path,
    *,
    name: str | None = None,
    key_path: str | Path | None = None,
    local_authority: str | None = None,
) -> ScaffoldResult:
    """Make a project folder for a council's own data: a commented spec, the layout, a key outside it.

    Parameters
    ----------
    folder : path-like
        The project folder. It may exist (empty, or holding none of the files written here).
    name : str, optional
        The spec's name (lower case letters, digits, ``_`` or ``-``; it names the report folder and the
        pseudonymisation scope). Default: the folder's name as a slug (:func:`project_name`).
    key_path : path-like, optional
        The pseudonymisation key, outside ``folder`` and outside any git checkout. Default:
        :func:`default_key_path`. An existing key there is reused unchanged.
    local_authority : str, optional
        The ONS code of the council (e.g. ``"E06000008"``), the spec's study area.

    Returns
    -------
    ScaffoldResult

    Raises
    ------
    SpecError
        If the name or the local authority code is malformed, ``folder`` is a file, or it already holds any of
        the files this writes (they are named; nothing is changed).
    PseudonymKeyError
        If the key would be inside ``folder`` or a git checkout, or an existing key there cannot be read.
    CirclesError
        If a file cannot be written (the message lists what was written before).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     result = scaffold_project(
    ...         pathlib.Path(tmp) / "BwD Insight", key_path=pathlib.Path(tmp) / "keys" / "bwd.key",
    ...         local_authority="E06000008")
    ...     print(result.spec_path.name, result.key_created, len(result.key_fingerprint))
    ...     print(*(p.relative_to(result.folder).as_posix() for p in result.files))
    ...     print(yaml.safe_load(result.spec_path.read_text())["name"])
    pipeline.yaml True 16
    pipeline.yaml README.md .gitignore data/extracts/README.md data/notes/README.md reports/README.md
    bwd-insight
    """
    folder = Path(folder).expanduser().resolve()
    name = _checked_name(name if name is not None else project_name(folder))
    authority = _checked_authority(local_authority)
    key = Path(key_path).expanduser().resolve() if key_path is not None else default_key_path(name).resolve()

    # every check before anything is written
    _check_folder(folder)
    _check_key_place(key, folder, name=name)
    existing = _existing_key(key, scope=name)
    _contents(folder, name=name, key=key, authority=authority, fingerprint="")  # the rendered spec is checked

    notes: list[str] = []
    if existing is None:
        key.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fingerprint = write_key_file(key).fingerprint
        notes.append(
            f"wrote a new pseudonymisation key to {key} (fingerprint {fingerprint}), outside the project. "
            "Back it up somewhere safe; never commit or email it."
        )
    else:
        fingerprint = existing.fingerprint
        notes.append(f"reused the existing key at {key} (fingerprint {fingerprint}); it was not changed.")
        if stat.S_IMODE(key.stat().st_mode) & 0o077:
            notes.append(f"the key {key} can be read by other users: restrict it with `chmod 600 {key}`.")
    if authority != EMBEDDED_AUTHORITY:
        notes.append(
            "the embedded postcode directory and areas cover Blackburn with Darwen (E06000008) only: download the "
            "ONS Postcode Directory and name it under geography: postcode_directory: in pipeline.yaml."
        )

    contents = _contents(folder, name=name, key=key, authority=authority, fingerprint=fingerprint)
    written: list[Path] = []
    for relative, text in contents.items():
        target = folder / relative
        try:
            with atomic_path(target) as tmp:
                tmp.write_text(text, encoding="utf-8", newline="\n")
        except OSError as exc:
            done = ", ".join(p.relative_to(folder).as_posix() for p in written) or "nothing"
            raise CirclesError(
                f"Cannot write {target}: {exc}. Written before it: {done}; nothing that existed was changed."
            ) from None
        written.append(target)
    spec_path = folder / "pipeline.yaml"
    return ScaffoldResult(folder, spec_path, key, fingerprint, existing is None, tuple(written), tuple(notes))


def _checked_name(name: str) -> str:
    if not _NAME.match(name):
        raise SpecError(
            f"Project name {name!r}: use lower case letters, digits, '_' or '-', starting with a letter "
            f"(it names the report folder), e.g. {project_name(name)!r}."
        )
    return name


def _checked_authority(code: str | None) -> str | None:
    if code is None:
        return None
    code = code.strip().upper()
    if not _AUTHORITY.match(code):
        raise SpecError(
            f"Local authority {code!r} is not an ONS local authority code: a letter (E, W, S or N) and eight "
            "digits, e.g. E06000008 for Blackburn with Darwen."
        )
    return code


def _files() -> list[str]:
    """The files a project holds, relative to its folder, in the order they are written."""
    return ["pipeline.yaml", "README.md", ".gitignore", *_FOLDER_READMES]


def _check_folder(folder: Path) -> None:
    """Refuse a folder that is a file, or that already holds any file this would write (naming every one)."""
    if os.path.lexists(folder) and not folder.is_dir():
        raise SpecError(f"{folder} exists and is not a folder. Nothing was changed: choose another path.")
    clashes = [f for f in _files() if os.path.lexists(folder / f)]
    for sub in ("data", "data/extracts", "data/notes", "reports"):
        if os.path.lexists(folder / sub) and not (folder / sub).is_dir():
            clashes.append(f"{sub} (a file where a folder goes)")
    if clashes:
        raise SpecError(
            f"{folder} already holds {', '.join(clashes)}. Nothing was changed: circles init never overwrites. "
            "Choose a new or empty folder, or move those files away first."
        )


def _check_key_place(key: Path, folder: Path, *, name: str) -> None:
    """Refuse a key inside the project folder or inside a git checkout, before anything is written."""
    if key == folder or folder in key.parents:
        raise PseudonymKeyError(
            f"The key {key} would be inside the project folder {folder}, beside the data it protects. Keep it "
            f"outside: leave out the key path to use {default_key_path(name)}, or give another path. "
            "Nothing was changed."
        )
    if os.path.lexists(key) and not key.is_file():
        raise PseudonymKeyError(f"{key} exists and is not a key file. Nothing was changed: give another key path.")
    repo = _git_checkout_of(key)
    if repo is not None:
        raise PseudonymKeyError(
            f"The key {key} would be inside the git checkout {repo}; keep it outside any repository, e.g. "
            f"{default_key_path(name)}. Nothing was changed."
        )


def _git_checkout_of(path: Path) -> Path | None:
    """The git checkout holding ``path`` (asked from its nearest existing folder), or None."""
    anchor = path.parent
    while not anchor.exists() and anchor != anchor.parent:
        anchor = anchor.parent
    try:
        top = subprocess.run(
            ["git", "-C", str(anchor), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if top.returncode != 0 or not top.stdout.strip():
        return None
    root = Path(top.stdout.strip()).resolve()
    return root if root in path.parents else None


def _existing_key(key: Path, *, scope: str) -> PseudonymKey | None:
    """The key already at ``key`` (checked as a run would read it), or None when there is none."""
    if not key.exists():
        return None
    try:
        return load_key(PseudonymisationSpec(key="file", key_file=key, scope=scope))
    except OSError as exc:
        raise PseudonymKeyError(f"Cannot read the existing key {key}: {exc}. Nothing was changed.") from None
    except PseudonymKeyError as exc:
        raise PseudonymKeyError(
            f"{exc} circles init reuses an existing key and never replaces one; give another key path. "
            "Nothing was changed."
        ) from None


def _spec_value(value: str) -> str:
    """A YAML scalar for ``value``: plain when that reads back the same, quoted otherwise."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("...\n").strip()


def _key_for_spec(key: Path) -> str:
    """The key's path as the spec gives it: ``~/...`` under the home folder (no user name in a shared spec)."""
    home = Path("~").expanduser().resolve()
    try:
        return "~/" + key.relative_to(home).as_posix()
    except ValueError:
        return str(key)


def render_spec(*, name: str, key_file: str, local_authority: str | None, created: dt.date | None = None) -> str:
    """The project spec: ``pipelines/project_template.yaml`` rendered (jinja2) with these values.

    Examples
    --------
    >>> text = render_spec(name="bwd", key_file="~/.config/circles/keys/bwd.key", local_authority="E06000008")
    >>> spec = yaml.safe_load(text)
    >>> spec["pseudonymisation"], spec["geography"]["study_area"], spec["sources"]["extracts"]["files"]
    ({'key': 'file', 'key_file': '~/.config/circles/keys/bwd.key', 'scope': 'bwd'}, ['E06000008'], \
'data/extracts/*.csv')
    """
    source = (packaged("pipelines") / TEMPLATE).read_text(encoding="utf-8")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
    )
    return env.from_string(source).render(
        name=name,
        name_yaml=_spec_value(name),
        key_file=_spec_value(key_file),
        local_authority=local_authority,
        bwd=local_authority == EMBEDDED_AUTHORITY,
        created=(created or dt.date.today()).isoformat(),
    )


def _contents(folder: Path, *, name: str, key: Path, authority: str | None, fingerprint: str) -> dict[str, str]:
    """Every file to write, relative to the folder, in the order to write them; the spec checked by its model."""
    spec = render_spec(name=name, key_file=_key_for_spec(key), local_authority=authority)
    try:
        data = yaml.safe_load(spec)
        validate_model(
            PipelineSpec,
            {**data, "spec_path": folder / "pipeline.yaml"},
            path=TEMPLATE,
            lines=key_lines(spec),
            what="project spec",
            error=CirclesError,
        )
    except (yaml.YAMLError, TypeError, CirclesError) as exc:
        raise CirclesError(f"circles' project template is broken (a bug in circles; please report it): {exc}") from exc
    readme = _README.format(
        name=name,
        authority=f" for {authority}" if authority else "",
        geography="" if authority == EMBEDDED_AUTHORITY else _NON_EMBEDDED_STEP,
        key=_key_for_spec(key),
        fingerprint=fingerprint,
    )
    contents = {"pipeline.yaml": spec, "README.md": readme, ".gitignore": _GITIGNORE, **_FOLDER_READMES}
    assert list(contents) == _files()
    return contents
