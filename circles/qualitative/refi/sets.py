"""REFI-QDA ``Set`` elements that are not Circles dimensions: code groups and source groups.

A ``Set`` groups codes (``MemberCode``), sources (``MemberSource``) or notes (``MemberNote``). circles writes one
set per dimension (:mod:`circles.qualitative.refi.codebook`); the other tools use sets for anything else: NVivo's
and MAXQDA's code sets and document sets, ATLAS.ti's code groups and document groups. On import:

* a set that is a dimension (written by circles with a ``dimension`` in its circles block, or named after one,
  ``Needs`` -> ``need``, when all its member codes ended up in that dimension) gives the codes their dimension
  and is not kept again;
* the codes of any other set are a **code group**, its sources a **source group** (one set may give both), by the
  set's name (a name repeated among the code groups, or among the source groups, gets the first 8 characters
  of the set's GUID);
* what cannot be kept is said in :attr:`~circles.qualitative.refi.Project.warnings`: empty sets, sets of notes
  only, and members that are not among the codes or the sources read (e.g. a picture source).

On export the groups are written back as sets after the dimension sets, code groups first, each with a circles
block naming its kind (``group: "codes"`` or ``group: "sources"``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from xml.etree import ElementTree as ET

from circles.errors import RefiError
from circles.qualitative.model import Codebook
from circles.qualitative.refi.common import (
    _block,
    _child,
    _children,
    _dimension_of,
    _first,
    _guid,
    _norm_guid,
    _split_block,
    _text_of,
    _unique_ids,
    _xml_safe,
)
from circles.validation import suggest

Groups = dict[str, tuple[str, ...]]


def _sets_element(root: ET.Element) -> ET.Element:
    """The ``Sets`` child of ``root``, made when missing."""
    found = _first(root, "Sets")
    return found if found is not None else _child(root, "Sets")


def _group_sets(
    root: ET.Element,
    groups: Mapping[str, Sequence[str]],
    kind: str,
    guids: Mapping[str, str],
    namespace: uuid.UUID,
) -> None:
    """Write one ``Set`` per group (``kind`` "codes" or "sources"); ``guids`` maps member ids to GUIDs."""
    if not groups:
        return
    sets = _sets_element(root)
    member_tag = "MemberCode" if kind == "codes" else "MemberSource"
    for name, members in groups.items():
        for member in members:
            if member not in guids:
                what = "code" if kind == "codes" else "source"
                raise RefiError(
                    f"The {what} group {name!r} names {what} {member!r}, which is not among the {kind} exported."
                    + suggest(str(member), guids)
                )
        element = _child(
            sets, "Set", {"guid": _guid(namespace, f"{kind}-group", name), "name": _xml_safe(name, "A group name")}
        )
        _child(element, "Description", text=_block({"group": kind}))
        for member in dict.fromkeys(members):
            _child(element, member_tag, {"targetGUID": guids[member]})


def _is_dimension_set(set_xml: ET.Element, codes: tuple[str, ...], codebook: Codebook) -> bool:
    """True for a set named after a dimension (``Needs``) that all its codes have: it gave them that dimension."""
    dimension = _dimension_of(set_xml.get("name") or "", codebook.dimensions)
    return bool(dimension and codes) and all(codebook.code(c).dimension == dimension for c in codes)


def _read_groups(
    sets_xml: ET.Element | None,
    codebook: Codebook,
    code_ids: Mapping[str, str],
    source_ids: Mapping[str, str],
    warnings: list[str],
) -> tuple[Groups, Groups]:
    """The code groups and source groups of the project's ``Sets``; warns about everything not kept.

    ``code_ids`` and ``source_ids`` map the (normalised) GUIDs read to circles ids.
    """
    found: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {"codes": [], "sources": []}
    for element in _children(sets_xml, "Set") if sets_xml is not None else []:
        guid = _norm_guid(element.get("guid"))
        name = (element.get("name") or "").strip() or guid
        _, values, _ = _split_block(_text_of(_first(element, "Description")))
        if values and isinstance(values.get("dimension"), str):
            continue  # a dimension written by circles: read by the codebook
        code_refs = [_norm_guid(m.get("targetGUID")) for m in _children(element, "MemberCode")]
        source_refs = [_norm_guid(m.get("targetGUID")) for m in _children(element, "MemberSource")]
        notes = len(_children(element, "MemberNote"))
        lost = sum(g not in code_ids for g in code_refs) + sum(g not in source_ids for g in source_refs)
        if lost:
            warnings.append(
                f"Set {name!r}: {lost} member(s) are not among the codes and sources read (skipped sources, or "
                "GUIDs the project does not define); left out of the group."
            )
        if notes:
            warnings.append(f"Set {name!r}: {notes} note(s) left out (circles keeps sets of codes and sources).")
        if not code_refs and not source_refs and not notes:
            warnings.append(f"Set {name!r} has no members; skipped.")
        codes = tuple(dict.fromkeys(code_ids[g] for g in code_refs if g in code_ids))
        sources = tuple(dict.fromkeys(source_ids[g] for g in source_refs if g in source_ids))
        if codes and not _is_dimension_set(element, codes, codebook):
            found["codes"].append((name, guid, codes))
        if sources:
            found["sources"].append((name, guid, sources))
    groups = []
    for items in found.values():  # a name repeated within a kind gets the first 8 characters of its set's GUID
        names = _unique_ids([name for name, _, _ in items], [guid for _, guid, _ in items])
        groups.append({name: members for name, (_, _, members) in zip(names, items, strict=True)})
    return groups[0], groups[1]
