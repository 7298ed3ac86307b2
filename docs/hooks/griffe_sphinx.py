"""A griffe extension: read the Sphinx conventions of circles' docstrings for mkdocstrings.

The docstrings are numpy style written for Sphinx (reStructuredText). These habits would be lost in Markdown:

* ``#:`` comments above a constant are its documentation; griffe only reads a string after the assignment,
  so the comments become the attribute's docstring (and the constants a package re-exports are shown);
* roles such as :func:`name`, :class:`~a.b.Name` and :math:`O \\ge 10` become inline code (``name``, ``Name``,
  ``O \\ge 10``); the ``.. math::`` directive leaves its formula as an indented code block; ``text::`` before a
  literal block becomes ``text:``;
* simple tables (columns under ``====  ====`` rules) become Markdown tables, or a bullet list when they have no
  header row, and so do the two-column lists of modules in the package docstrings (``name``, spaces, what);
* definition lists whose terms are ``code`` become Markdown definition lists (the ``def_list`` extension).

Enabled in mkdocs.yml under the python handler's ``extensions``; nothing in circles is changed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|meth|attr|exc|obj|const|math):`(~?)([^`]+)`")
_MATH_DIRECTIVE = re.compile(r"^(\s*)\.\. math::\s*$", re.MULTILINE)
_LITERAL_MARKER = re.compile(r"(\S)::$", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*=+(\s+=+)+\s*$")
_NAME_COLUMN = re.compile(r"^(``[^`]+``)(\s+)(\S.*)$")
_CODE_TERM = re.compile(r"^(\s*)(``[^`]+``(?:\s*\([^)]*\))?)\s*$")


def markdown_from_sphinx(text: str) -> str:
    """Docstring text with Sphinx roles, directives, tables and definition lists made Markdown."""
    text = _ROLE.sub(lambda m: f"`{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}`", text)
    text = _MATH_DIRECTIVE.sub(r"\1", text)
    lines = _definition_lists(_name_lists(_simple_tables(text.split("\n"))))
    return _LITERAL_MARKER.sub(r"\1:", "\n".join(lines))


def _simple_tables(lines: list[str]) -> list[str]:
    """RST simple tables: a Markdown table when there is a header row, else one bullet per row."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _TABLE_RULE.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        starts = [m.start() for m in re.finditer(r"=+", lines[i])]
        rows: list[list[str]] = []
        header: list[str] | None = None
        i += 1
        while i < len(lines) and not _closing_rule(lines, i):
            if _TABLE_RULE.match(lines[i]) and rows:  # the rule under the header
                header, rows = rows[0], []
            elif rows and not lines[i][: starts[1]].strip():  # a continuation line: text for the last column
                rows[-1][-1] = f"{rows[-1][-1]} {lines[i].strip()}"
            elif lines[i].strip():  # columns are two or more spaces apart (a cell may overrun its rule)
                cells = re.split(r"\s{2,}", lines[i].strip(), maxsplit=len(starts) - 1)
                if len(cells) < len(starts):  # cells one space apart: cut at the rules' columns
                    cells = [lines[i][a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
                rows.append(cells)
            i += 1
        i += 1  # the closing rule
        if header is None:
            out += [f"- {row[0]}: {' '.join(row[1:])}" for row in rows]
        else:
            out += [_row(header), _row(["---"] * len(header)), *(_row(row) for row in rows)]
    return out


def _closing_rule(lines: list[str], i: int) -> bool:
    """A table's last rule: a rule followed by a blank line or by nothing."""
    return bool(_TABLE_RULE.match(lines[i])) and (i + 1 == len(lines) or not lines[i + 1].strip())


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _name_lists(lines: list[str]) -> list[str]:
    """``name``, two or more spaces, what it is: one bullet per name (a long name may have one space)."""
    out, in_list = [], False
    for line in lines:
        match = _NAME_COLUMN.match(line)
        if match and (len(match[2]) >= 2 or in_list):
            out.append(f"- {match[1]}: {match[3]}")
            in_list = True
        else:
            in_list = in_list and line.startswith(" ")  # an indented line continues the item
            out.append(line)
    return out


def _definition_lists(lines: list[str]) -> list[str]:
    """A ``code`` term on its own line, its definition indented below it: ``term`` then ``:   definition``."""
    out: list[str] = []
    skip = False
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        term = _CODE_TERM.match(line)
        if skip:
            skip = False
        elif term and following.strip() and following.startswith(term[1] + "    "):
            out += ["", line] if out and out[-1].strip() else [line]
            out.append(f"{term[1]}:   {following.strip()}")
            skip = True
        else:
            out.append(line)
    return out


@cache
def _source_lines(path: str) -> list[str]:
    return Path(path).read_text(encoding="utf-8").splitlines()


class SphinxDocstrings(griffe.Extension):
    def on_attribute_instance(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        if attr.docstring is not None or not attr.lineno or not isinstance(attr.filepath, Path):
            return
        lines = _source_lines(str(attr.filepath))
        comment: list[str] = []
        index = attr.lineno - 2  # the line above the assignment (lineno counts from 1)
        while index >= 0 and lines[index].lstrip().startswith("#:"):
            comment.insert(0, lines[index].lstrip()[2:].strip())
            index -= 1
        if comment:
            attr.docstring = griffe.Docstring(markdown_from_sphinx(" ".join(comment)), lineno=index + 2, parent=attr)

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_from_sphinx(obj.docstring.value)
