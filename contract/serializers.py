"""Text <-> plain data for cassette files: YAML (vcrpy's default) and JSON.

Only this module knows which YAML library parses; everyone else calls
`deserialize(text, fmt)` / `serialize(data, fmt)`.
"""
from __future__ import annotations

import json
from typing import Any

import yaml

try:  # libyaml when present: the same safe loader vcrpy uses, 10x faster than pure Python
    from yaml import CSafeDumper as _SafeDumper
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _SafeDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class SerializerError(ValueError):
    """The text is not valid YAML/JSON; `line` (1-based) is set when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class _Loader(_SafeLoader):
    """Safe loader that also accepts the harmless python tags old vcrpy cassettes hold."""


def _construct_str(loader: _Loader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _construct_tuple(loader: _Loader, node: yaml.Node) -> list[Any]:
    return list(loader.construct_sequence(node))  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:python/str", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:python/unicode", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:python/tuple", _construct_tuple)


def format_for(path: str) -> str:
    """`json` for *.json files, else `yaml` (vcrpy's default)."""
    return "json" if str(path).lower().endswith(".json") else "yaml"


def pyyaml_load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - safe loader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SerializerError(f"{exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise SerializerError(str(exc)) from None


def pyyaml_dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_SafeDumper, allow_unicode=False, sort_keys=False, default_flow_style=False)


def deserialize(text: str, fmt: str = "yaml") -> Any:
    """Parse cassette text into plain dicts/lists/str/bytes."""
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SerializerError(exc.msg, exc.lineno) from None
    return pyyaml_load(text)


def serialize(data: Any, fmt: str = "yaml") -> str:
    """Render plain data as cassette text vcrpy can read back."""
    if fmt == "json":
        return json.dumps(data, indent=4) + "\n"
    return pyyaml_dump(data)
