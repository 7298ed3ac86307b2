"""One place for input validation (after scikit-learn's ``utils/validation.py``).

Every check a user's input meets goes through here, so every message has the same shape: *what* is wrong,
*where* (file, line, key, column) and *what to do*, raised as the caller's member of the one exception family
(:mod:`circles.errors`).

``suggest``           a "Did you mean ...?" hint from the closest candidates
``require_columns``   a table has the columns a function needs
``key_lines``         the line of every key of a YAML document
``read_yaml``         a YAML file and the line of every key in it
``validate_model``    a YAML mapping checked against a pydantic model, every problem with its key and line
``error_at``          a validator's error that points at a key inside the value it checks
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

import pandas as pd
import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from circles.errors import CirclesError

__all__ = [
    "KeyLines",
    "key_lines",
    "suggest",
    "require_columns",
    "read_yaml",
    "validate_model",
    "line_for",
    "error_at",
]

#: The 1-based line of every key path of a YAML document (:func:`key_lines`).
KeyLines = dict[tuple[Any, ...], int]
Model = TypeVar("Model", bound=BaseModel)


def key_lines(text: str, loader: type = yaml.SafeLoader) -> dict[tuple[Any, ...], int]:
    """Map every key path of a YAML document to the 1-based line where it appears.

    Mapping keys are found by their key's line; sequence items by the item's first line.

    Examples
    --------
    >>> key_lines("name: demo\\nsources:\\n  t:\\n    files: a.csv\\n")[("sources", "t", "files")]
    4
    """
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, key.value)
                lines[sub] = key.start_mark.line + 1
                walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    root = yaml.compose(text, Loader=loader)
    if root is not None:
        walk(root, ())
    return lines


def suggest(word: str, candidates: Iterable[str], n: int = 3) -> str:
    """Return a ``" Did you mean ...?"`` hint naming the closest candidates, or ``""``.

    Examples
    --------
    >>> suggest("postocde", ["postcode", "service", "provider"])
    " Did you mean 'postcode'?"
    """
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    if not close:
        return ""
    names = " or ".join(repr(lowered[c]) for c in close)
    return f" Did you mean {names}?"


def require_columns(
    frame: object, columns: Sequence[str], what: str, *, error: type[CirclesError] = CirclesError
) -> pd.DataFrame:
    """Check that ``frame`` is a DataFrame holding ``columns``; return it.

    Parameters
    ----------
    frame : object
        The table given by the caller.
    columns : sequence of str
        The columns the caller needs.
    what : str
        What the table is, as the user knows it ("the segment table", "items").
    error : type
        The member of the exception family to raise.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "the counts table")
    Traceback (most recent call last):
    ...
    circles.errors.CirclesError: the counts table lacks the column(s) 'b'; it needs a, b (it has a).
    """
    if not isinstance(frame, pd.DataFrame):
        raise error(f"{what} must be a pandas DataFrame, not {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        has = ", ".join(map(str, frame.columns)) or "none"
        raise error(
            f"{what} lacks the column(s) {', '.join(map(repr, missing))}; it needs {', '.join(columns)} (it has {has})."
        )
    return frame


def read_yaml(path: str | Path, what: str, *, error: type[CirclesError] = CirclesError) -> tuple[Any, KeyLines]:
    """Read a YAML file and the line of every key in it.

    Raises ``error`` naming the file (and the line, for a syntax error) when it cannot be read or parsed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"Cannot read {what} {path}: {exc}") from None
    try:
        return yaml.safe_load(text), key_lines(text)
    except yaml.YAMLError as exc:
        raise error(f"{path} is not valid YAML: {exc}") from None


def line_for(lines: KeyLines, loc: tuple[Any, ...]) -> int | None:
    """The line of ``loc``, or of its nearest enclosing key that has one."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def validate_model(
    model: type[Model],
    data: Any,
    *,
    path: str | Path,
    lines: KeyLines,
    what: str,
    error: type[CirclesError] = CirclesError,
    context: dict[str, Any] | None = None,
) -> Model:
    """Validate a YAML mapping against a pydantic model; one error listing every problem with its key and line.

    Unknown keys get a "Did you mean" hint and the list of the keys the model allows at that place.

    Examples
    --------
    >>> from pydantic import BaseModel, ConfigDict
    >>> class Costs(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     years: int
    >>> validate_model(Costs, {"yeras": 1}, path="costs.yaml", lines={("yeras",): 3}, what="cost model")
    Traceback (most recent call last):
    ...
    circles.errors.CirclesError: Invalid cost model:
      costs.yaml, years: required key is missing
      costs.yaml, line 3, yeras: unknown key. Did you mean 'years'? Allowed: years.
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise error(format_validation_errors(model, exc, path=path, lines=lines, what=what)) from None


def format_validation_errors(
    model: type[BaseModel], exc: ValidationError, *, path: str | Path, lines: KeyLines, what: str
) -> str:
    """pydantic's errors as one message: ``file, line N, key.path: problem`` per line, duplicates dropped."""
    messages = []
    for problem in exc.errors():
        at = (problem.get("ctx") or {}).get("at", ())
        loc = _yaml_path((*problem["loc"], *at), lines)
        line = line_for(lines, loc)
        key = ".".join(str(p) for p in loc) or "(top level)"
        where = f"{path}, line {line}" if line else str(path)
        if problem["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc)
            text = f"unknown key.{suggest(str(loc[-1]), allowed)}" + (
                f" Allowed: {', '.join(allowed)}." if allowed else ""
            )
        elif problem["type"] == "missing":
            text = "required key is missing"
        else:
            text = problem["msg"].removeprefix("Value error, ")
        messages.append(f"{where}, {key}: {text}")
    return f"Invalid {what}:\n  " + "\n  ".join(dict.fromkeys(messages))


def error_at(keys: Sequence[Any], message: str) -> PydanticCustomError:
    """An error a model validator raises to point at a key *inside* the value it checks.

    pydantic places a validator's error at the model (or field) it validates; :func:`format_validation_errors`
    adds ``keys`` to that place, so the message names the key and line the problem is on.

    Examples
    --------
    >>> from pydantic import BaseModel, model_validator
    >>> class Source(BaseModel):
    ...     columns: dict[str, str]
    ...     @model_validator(mode="after")
    ...     def _check(self):
    ...         raise error_at(("columns", "b"), "'a' and 'b' read one column")
    >>> validate_model(Source, {"columns": {"a": "x", "b": "x"}}, path="s.yaml",
    ...                lines={("columns",): 1, ("columns", "a"): 2, ("columns", "b"): 3}, what="spec")
    Traceback (most recent call last):
    ...
    circles.errors.CirclesError: Invalid spec:
      s.yaml, line 3, columns.b: 'a' and 'b' read one column
    """
    # the template is filled from the context by name only ({at}), so braces in a YAML example stay as written
    return PydanticCustomError("value_error", message, {"at": tuple(keys)})


_UNION_TAG = re.compile(r"^(?:str|int|float|bool|[A-Z]\w*)$|[^\w\-]")


def _yaml_path(loc: tuple[Any, ...], lines: KeyLines) -> tuple[Any, ...]:
    """Drop pydantic's union-member tags (``'str'``, ``'ColumnSpec'``, ``"literal['x']"``) from an error path."""
    kept: tuple[Any, ...] = ()
    for part in loc:
        if isinstance(part, str) and (*kept, part) not in lines and _UNION_TAG.search(part):
            continue
        kept = (*kept, part)
    return kept


def _unwrap(annotation: Any) -> Any:
    """The model or container inside an annotation such as ``X | None`` or ``str | ColumnSpec``."""
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            inner = _unwrap(arg)
            if get_origin(inner) in (dict, list) or (isinstance(inner, type) and issubclass(inner, BaseModel)):
                return inner
        return None
    return annotation


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Keys allowed in the mapping that holds ``loc[-1]`` (for 'did you mean')."""
    node: Any = model
    for part in loc[:-1]:
        node = _unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(part)
            node = field.annotation if field else None
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        elif get_origin(node) is list:
            node = get_args(node)[0]
        else:
            return []
    node = _unwrap(node)
    if not (isinstance(node, type) and issubclass(node, BaseModel)):
        return []
    return [field.alias or name for name, field in node.model_fields.items() if not field.exclude]
