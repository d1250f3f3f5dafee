"""YAML files read for people: YAML 1.2 (ruamel.yaml), positions kept, errors as file:line.

YAML 1.2 keeps `0441234567` a string-looking scalar (it becomes an int, which the models
reject with a "quote it" hint rather than silently reading octal), `NO` a string, and
rejects duplicate keys. The round-trip loader keeps each key's line and column, which
`Source.where` uses to point validation errors at the exact place in the file.

A document may be several files: `read_merged` lays overrides (`conf.d/*.yaml`) over a main
file, mappings merged key by key, lists and scalars replaced, and remembers which file wrote
each key, so a bad value is reported in the file where it is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode

from dialerd.errors import ConfigError, ConfigProblem
from dialerd.logs import redact

SECRET_KEYS = frozenset({"secret"})  # keys whose value an error message must not show


def read_yaml(path: Path) -> Any:
    """The document in `path`; ConfigError (with file:line) if it is not valid YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(path), 0, 0, "", f"cannot read: {exc}")]) from exc
    try:
        return _loader().load(text)
    except MarkedYAMLError as exc:
        raise ConfigError([_yaml_problem(path, exc)]) from exc
    except YAMLError as exc:
        raise ConfigError([ConfigProblem(str(path), 0, 0, "", str(exc))]) from exc


class _Constructor(RoundTripConstructor):
    """Round-trip constructor whose impossible dates are YAML errors with a line, not a crash."""

    def construct_checked_timestamp(self, node: ScalarNode) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError as exc:  # ruamel.yaml raises it bare for e.g. 2026-13-01
            raise ConstructorError(
                None, None, f"{node.value!r} is not a valid date: {exc}", node.start_mark
            ) from exc


_Constructor.add_constructor(
    "tag:yaml.org,2002:timestamp", _Constructor.construct_checked_timestamp
)


def _loader() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _Constructor
    return yaml


# ruamel.yaml's words for the mistakes people make, and what to tell them instead.
_SYNTAX_HINTS = {
    "expected <block end>": (
        "bad indentation: this line does not line up with the lines above it "
        "(keys of one mapping start in the same column; indent with spaces)"
    ),
    "that cannot start any token": "a tab character: YAML indents with spaces only",
    "mapping values are not allowed here": (
        "unexpected ':' (check the indentation, or quote a value that contains ': ')"
    ),
}


def _yaml_problem(path: Path, exc: MarkedYAMLError) -> ConfigProblem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = exc.problem or "invalid YAML"
    hint = next((text for words, text in _SYNTAX_HINTS.items() if words in problem), None)
    if hint is not None:
        return ConfigProblem(str(path), line, column, "", hint)
    if "duplicate key" in problem:
        problem = problem.split(" with value")[0] + ": each key may appear only once"
    context = f" ({exc.context})" if exc.context and "duplicate" not in problem else ""
    return ConfigProblem(str(path), line, column, "", f"{problem}{context}")


Loc = tuple[str | int, ...]


@dataclass
class Source:
    """A document read from `path`, with the keys that other files wrote over it."""

    path: Path
    data: Any
    origins: dict[Loc, Path] = field(default_factory=dict)  # key path -> the file that set it
    merged: dict[Loc, list[Path]] = field(default_factory=dict)  # mappings several files wrote

    def where(self, loc: Sequence[str | int]) -> tuple[str, int, int]:
        """(file, line, column) of the deepest key of `loc` present in the document."""
        line, column, depth = locate(self.data, loc)
        found = tuple(loc[:depth])
        prefixes = (found[:n] for n in range(depth, 0, -1))
        origin = next((self.origins[p] for p in prefixes if p in self.origins), self.path)
        return str(origin), line, column

    def writers(self, loc: Sequence[str | int]) -> list[Path]:
        """The files a mapping at `loc` was merged from; [] when one file wrote it."""
        return self.merged.get(tuple(loc), [])


def read_merged(path: Path, overrides: Sequence[Path]) -> Source:
    """`path` with each override laid over it in order; every file's YAML errors at once."""
    documents, problems = [], []
    for file in (path, *overrides):
        try:
            documents.append((file, read_yaml(file)))
        except ConfigError as exc:
            problems.extend(exc.problems)
    for file, document in documents[1:]:
        if document is not None and not isinstance(document, CommentedMap):
            problems.append(ConfigProblem(str(file), 1, 1, "", "expected a mapping of keys"))
    if problems:
        raise ConfigError(problems)
    source = Source(path, documents[0][1])
    for file, document in documents[1:]:
        if isinstance(source.data, CommentedMap) and document is not None:
            source.merged[()] = [*(source.writers(()) or [path]), file]
            source.data = _merge(source, source.data, document, file, ())
    return source


def _merge(
    source: Source, base: CommentedMap, over: CommentedMap, file: Path, at: Loc
) -> CommentedMap:
    merged = CommentedMap()
    merged.lc.line, merged.lc.col = base.lc.line, base.lc.col
    for key, value in base.items():
        merged[key] = value
        merged.lc.add_kv_line_col(key, base.lc.data[key])
    for key, value in over.items():
        loc = (*at, key)
        if isinstance(merged.get(key), CommentedMap) and isinstance(value, CommentedMap):
            first = source.merged.get(loc) or [Path(source.where(loc)[0])]
            source.merged[loc] = [*first, file]
            merged[key] = _merge(source, merged[key], value, file, loc)
            continue  # the mapping keeps its first position; its new keys are the override's
        for stale in [p for p in (*source.origins, *source.merged) if p[: len(loc)] == loc]:
            source.origins.pop(stale, None)
            source.merged.pop(stale, None)
        merged[key] = value
        merged.lc.add_kv_line_col(key, over.lc.data[key])
        source.origins[loc] = file
    return merged


def locate(document: Any, loc: Sequence[str | int]) -> tuple[int, int, int]:
    """1-based (line, column) of the deepest node of `loc` present, and how deep it is."""
    node, position, depth = document, (0, 0), 0
    for key in loc:
        found = _child_position(node, key)
        if found is None:
            break
        position, depth = found, depth + 1
        node = node[key]
    if position == (0, 0) and isinstance(document, CommentedMap):
        position = (document.lc.line + 1, document.lc.col + 1)
    return (*position, depth)


def _child_position(node: Any, key: str | int) -> tuple[int, int] | None:
    if isinstance(node, CommentedMap) and key in node:
        line, col = node.lc.key(key)
        return line + 1, col + 1
    if isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
        line, col = node.lc.item(key)
        return line + 1, col + 1
    return None


def validation_problems(source: Source, error: ValidationError) -> list[ConfigProblem]:
    """Each pydantic error as a ConfigProblem pointing at its key in the file that wrote it."""
    problems = []
    for item in error.errors(include_url=False):
        loc = item["loc"]
        file, line, column = source.where(loc)
        # a secret's value is never repeated; nor is the password of a URL
        message = item["msg"] if loc and loc[-1] in SECRET_KEYS else redact(_message(item))
        if writers := source.writers(loc):
            message += f" (merged from {', '.join(map(str, writers))})"
        field_name = ".".join(str(part) for part in loc)
        problems.append(ConfigProblem(file, line, column, field_name, message))
    return problems


def _message(item: Any) -> str:
    kind, value = item["type"], item.get("input")
    if kind in _FIXED_MESSAGES:
        return _FIXED_MESSAGES[kind]
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        return (
            f"expected text, got the number {_as_written(value)}: put it in quotes "
            "(unquoted digits are a number to YAML, which drops a leading 0 or +)"
        )
    if kind == "bool_type":
        return f"expected true or false, got {value!r} (YAML 1.2: yes/no/on/off are text)"
    if kind in _EXPECTED and not isinstance(value, dict | list):
        return f"expected {_EXPECTED[kind]}, got {value!r}"
    message: str = item["msg"]
    if kind == "string_pattern_mismatch":
        return f"{value!r}: does not match {item['ctx']['pattern']}"
    return message.removeprefix("Value error, ")


_FIXED_MESSAGES = {
    "extra_forbidden": "unknown key (check the spelling; see docs/campaigns.md)",
    "missing": "required key is missing",
}
_EXPECTED = {"int_type": "a whole number", "float_type": "a number"}


def _as_written(number: float) -> str:
    """`0441234567` as the file has it (ruamel.yaml keeps the width), not 441234567."""
    width = getattr(number, "_width", None)
    return f"{number:0{width}d}" if isinstance(number, int) and width else str(number)
