"""Build the name gazetteers the screen uses to find people's names in free text.

Run from the repository (the ``dev`` extra installs the sources)::

    python -m circles.ingest.screening.build_gazetteer

It writes ``circles/ingest/screening/data/given_names.txt`` and ``surnames.txt`` (one lower-case name a line,
Latin script only) and ``ordinary_words.txt.gz``, and records each source, its licence and every file's sha256
in ``data/README.md`` between the ``<!-- files -->`` markers. Nothing is fetched: the sources are PyPI packages.

Sources
-------
* **Faker** (MIT licence), its person providers for the locales in :data:`LOCALES`: names chosen for the UK
  (``en_GB``, whose given names follow the ONS baby-name lists), Ireland, Pakistan and India (the heritage of
  much of Blackburn with Darwen), Poland, Romania, Slovakia, Lithuania and Nigeria.
* **names** 0.3.0 (MIT licence): the US Census Bureau's 1990 frequency lists of first names (all) and surnames
  (the :data:`CENSUS_SURNAMES` commonest), which are in the public domain.
* **english-words** (MIT licence): the ``web2`` list (Webster's Second International, 1934, public domain); its
  lower-case entries are the ordinary words written ``ordinary_words.txt.gz``. A capitalised word inside a
  sentence that is an ordinary word ("Tier", "Recovery") is not taken for a name.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib
import importlib.metadata
import re
from collections.abc import Iterable
from pathlib import Path

#: Faker locales whose given names and surnames are taken.
LOCALES = ("en_GB", "en_IE", "en_US", "en_PK", "en_IN", "pl_PL", "ro_RO", "sk_SK", "lt_LT", "en_NG")
#: How many of the 1990 US Census surnames (commonest first) are kept: beyond this they are mostly rare.
CENSUS_SURNAMES = 20_000

DATA = Path(__file__).with_name("data")
_LATIN = re.compile(r"^[a-zà-öø-ÿāăąćčďđēėęěğīįıķļľłńņňōőœŕřśşšţťūůűųźżžß' -]+$")
_MARKERS = ("<!-- files -->", "<!-- /files -->")


def _clean(names: Iterable[str]) -> set[str]:
    out = set()
    for name in names:
        key = " ".join(str(name).split()).casefold()
        if len(key) >= 2 and _LATIN.match(key):
            out.add(key)
    return out


def _faker(attribute_groups: tuple[str, ...]) -> set[str]:
    names: set[str] = set()
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in attribute_groups:
            values = getattr(provider, attribute, None) or ()
            names |= _clean(values.keys() if isinstance(values, dict) else values)
    return names


def _census(file: str, limit: int | None = None) -> set[str]:
    package = Path(importlib.import_module("names").__file__).parent
    lines = (package / file).read_text(encoding="ascii").splitlines()[:limit]
    return _clean(line.split()[0] for line in lines if line.strip())


def build(out: Path = DATA) -> dict[str, str]:
    """Write the two gazetteers into ``out``; return each file's sha256."""
    given = _faker(("first_names", "first_names_male", "first_names_female"))
    given |= _census("dist.male.first") | _census("dist.female.first")
    surnames = _faker(("last_names",)) | _census("dist.all.last", CENSUS_SURNAMES)
    from english_words import get_english_words_set

    ordinary = {w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower() and len(w) > 1}
    out.mkdir(parents=True, exist_ok=True)
    digests = {}
    for file, names in (("given_names.txt", given), ("surnames.txt", surnames), ("ordinary_words.txt.gz", ordinary)):
        data = ("\n".join(sorted(names)) + "\n").encode("utf-8")
        if file.endswith(".gz"):
            data = gzip.compress(data, mtime=0)
        (out / file).write_bytes(data)
        digests[file] = hashlib.sha256(data).hexdigest()
    return digests


def _table(digests: dict[str, str], out: Path) -> str:
    versions = {p: importlib.metadata.version(p) for p in ("faker", "names", "english-words")}
    rows = [
        "| file | names | sha256 |",
        "|---|---|---|",
        *(f"| `{file}` | {_count(out / file):,} | `{digest}` |" for file, digest in digests.items()),
        "",
        f"Built from Faker {versions['faker']} (locales {', '.join(LOCALES)}) and names {versions['names']} "
        f"(1990 US Census first names, and the {CENSUS_SURNAMES:,} commonest surnames); ordinary words from "
        f"english-words {versions['english-words']} (web2, lower-case entries).",
    ]
    return "\n".join(rows)


def _count(path: Path) -> int:
    data = path.read_bytes()
    return len((gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8").splitlines())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA, help="folder to write (default: the package's data/)")
    args = parser.parse_args(argv)
    digests = build(args.out)
    readme = args.out / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else f"{_MARKERS[0]}\n{_MARKERS[1]}\n"
    head, rest = text.split(_MARKERS[0], 1)
    _, tail = rest.split(_MARKERS[1], 1)
    readme.write_text(f"{head}{_MARKERS[0]}\n{_table(digests, args.out)}\n{_MARKERS[1]}{tail}", encoding="utf-8")
    for file, digest in digests.items():
        print(f"{file}: sha256 {digest}")


if __name__ == "__main__":
    main()
