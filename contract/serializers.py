"""Text <-> plain data for cassette files: YAML (vcrpy's default) and JSON.

Only this module knows which YAML library does the work:

* Reading: `yaml-rs` (Rust, YAML 1.2) parses a 38 MB cassette about 17x faster than PyYAML
  with libyaml (0.6 s vs 9.5 s, measured in bench/cassette_load.py).  PyYAML stays the
  reference: it is used whenever yaml-rs is missing, fails, meets a tag (`!!binary`,
  `!!python/...`) it would silently drop, or types a scalar that vcrpy's PyYAML would read
  as a string (YAML 1.1 vs 1.2 differences such as plain `0o17` or `1e3`).
* Writing: a small emitter for the fixed vcrpy shape (`emit_interaction`) that quotes
  every scalar so both PyYAML (what vcrpy uses) and yaml-rs read it back identically.
  yaml-rs' own dumper leaves `2023-01-01` or `0o17` unquoted, which PyYAML reads as
  date / string and yaml-rs as string / int, so it is not used for writing.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

try:  # libyaml when present: the same safe loader vcrpy uses, 10x faster than pure Python
    from yaml import CSafeDumper as _SafeDumper
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _SafeDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

try:
    import yaml_rs as _yaml_rs
except ImportError:  # pragma: no cover - optional speed-up
    _yaml_rs = None


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


# ---- reading -------------------------------------------------------------------

def pyyaml_load(text: str) -> Any:
    """The reference reader: what vcrpy itself would see."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - safe loader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SerializerError(f"{exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise SerializerError(str(exc)) from None


def fast_parse(text: str) -> Any | None:
    """yaml-rs parse without the type check (for callers that verify types while converting),
    or None when yaml-rs cannot be trusted with this text (tags, merge keys) or fails.

    Raises SerializerError for nesting deeper than yaml-rs allows: libyaml (PyYAML's C
    loader, the fallback) crashes the interpreter on ~100,000 nested brackets, so such a
    text must never reach it. Tagged texts are therefore parsed here too, as that check.
    (Parsing two halves on two threads was tried: yaml-rs releases the GIL, but on this
    shared 2-core machine it did not beat one thread, so the simple path stays.)
    """
    if _yaml_rs is None:
        return None
    untrusted = _may_hold_tag(text) or "<<" in text  # yaml-rs ignores tags and merge keys
    try:
        data = _yaml_rs.loads(text, parse_datetime=False)
    except Exception as exc:  # noqa: BLE001 - any other failure: PyYAML decides and explains
        message = str(exc)
        if "recursion limit" in message:
            line = re.search(r"at line (\d+)", message)
            raise SerializerError("nested too deeply", int(line.group(1)) if line else None) from None
        return None
    return None if untrusted else data


def fast_load(text: str) -> Any | None:
    """yaml-rs parse, or None when its answer might differ from PyYAML's."""
    data = fast_parse(text)
    return data if data is not None and _typed_like_pyyaml(data) else None


def _may_hold_tag(text: str) -> bool:
    """A `!` where a YAML tag could start (after a space or flow indicator).

    A `!` inside a string body after a space also counts; that only costs the slow path.
    (str.find is ~200x faster than a regex here on a 38 MB file.)
    """
    i = text.find("!")
    while i != -1:
        if i == 0 or text[i - 1] in " \t\r\n[{,":
            return True
        i = text.find("!", i + 1)
    return False


def _all_str(values: Any) -> bool:
    return all(type(v) is str for v in values)


def _typed_like_pyyaml(data: Any) -> bool:
    """True when every scalar vcrpy stores as a string came back as one."""
    if not isinstance(data, dict):
        return data is None
    interactions = data.get("interactions")
    if interactions is None:
        return True
    if not isinstance(interactions, list):
        return True  # malformed either way; cassette.py reports it
    for item in interactions:
        try:
            req, resp = item["request"], item["response"]
            if type(req["method"]) is not str or type(req["uri"]) is not str:
                return False
            body = req.get("body")
            if body is not None and type(body) is not str:
                return False
            rbody = resp.get("body")
            if isinstance(rbody, dict):
                rbody = rbody.get("string")
            if rbody is not None and type(rbody) is not str:
                return False
            status = resp.get("status")
            if isinstance(status, dict) and type(status.get("code")) is not int:
                return False
            if isinstance(status, dict) and type(status.get("message", "")) is not str:
                return False
            for headers in (req.get("headers"), resp.get("headers")):
                if headers:
                    for values in headers.values():
                        if type(values) is not list or not _all_str(values):
                            return False
        except (KeyError, TypeError, AttributeError):
            return False
    return True


def load_yaml(text: str) -> Any:
    """Fast path when it is provably equivalent, else PyYAML."""
    data = fast_load(text)
    if data is not None:
        return data
    return pyyaml_load(text)


def deserialize(text: str, fmt: str = "yaml") -> Any:
    """Parse cassette text into plain dicts/lists/str/bytes."""
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SerializerError(exc.msg, exc.lineno) from None
    return load_yaml(text)


# ---- writing -------------------------------------------------------------------

_SPECIAL_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_.+/=()-]*(?:,? [A-Za-z0-9_.+/=()-]+)*")
# Characters a single-quoted scalar may hold as they are (no breaks, tabs, BOM, controls).
_NOT_SINGLE = re.compile("[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
# What json.dumps(ensure_ascii=False) leaves raw but YAML readers refuse or fold.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _escape_unsafe(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _quote(value: str) -> str:
    if _PLAIN.fullmatch(value) and value.lower() not in _SPECIAL_WORDS:
        return value
    if not _NOT_SINGLE.search(value):
        return "'" + value.replace("'", "''") + "'"
    return _YAML_UNSAFE.sub(_escape_unsafe, json.dumps(value, ensure_ascii=False))


_QUOTED: dict[str, str] = {}  # header names and values repeat a lot: quote each once


def _str_scalar(value: str) -> str:
    quoted = _QUOTED.get(value)
    if quoted is None:
        quoted = _quote(value)
        if len(value) <= 256:
            if len(_QUOTED) > 50_000:
                _QUOTED.clear()
            _QUOTED[value] = quoted
    return quoted


def scalar(value: Any) -> str:
    """One YAML scalar that PyYAML and yaml-rs both read back as exactly `value`."""
    if type(value) is str:
        return _str_scalar(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "!!binary " + json.dumps(base64.b64encode(value).decode("ascii"))
    if isinstance(value, str):
        return _quote(value)
    raise TypeError(f"cannot write {type(value).__name__} in a cassette")


def _emit_headers(out: list[str], headers: Mapping[str, list[str]], indent: str) -> None:
    if not headers:
        out.append(" {}\n")
        return
    out.append("\n")
    item = indent + "- "
    for name, values in headers.items():
        if values:
            out.append(f"{indent}{scalar(name)}:\n")
            for v in values:
                out.append(item)
                out.append(_str_scalar(v) if type(v) is str else scalar(v))
                out.append("\n")
        else:
            out.append(f"{indent}{scalar(name)}: []\n")


def emit_interaction(item: Mapping[str, Any]) -> str:
    """One vcrpy interaction dict as a top-level block-sequence item (`- request: ...`)."""
    req, resp = item["request"], item["response"]
    status = resp["status"]
    out = ["- request:\n    body: ", scalar(req["body"]), "\n    headers:"]
    _emit_headers(out, req["headers"], "      ")
    out += ["    method: ", scalar(req["method"]), "\n    uri: ", scalar(req["uri"]), "\n",
            "  response:\n    body:\n      string: ", scalar(resp["body"]["string"]), "\n    headers:"]
    _emit_headers(out, resp["headers"], "      ")
    out += ["    status:\n      code: ", scalar(status["code"]),
            "\n      message: ", scalar(status["message"]), "\n"]
    return "".join(out)


def emit_head(metadata: Mapping[str, Any] | None) -> str:
    """`version: 1`, optional metadata, and the `interactions:` key the items follow."""
    head = "version: 1\n"
    if metadata:
        head += yaml.dump({"metadata": dict(metadata)}, Dumper=_SafeDumper,
                          sort_keys=False, default_flow_style=False)
    return head + "interactions:\n"


def dump_yaml(data: Mapping[str, Any]) -> str:
    """A whole cassette: head first, interactions as a block list at the end (appendable)."""
    interactions = data.get("interactions") or []
    if not interactions:
        head = emit_head(data.get("metadata"))
        return head[: -len("interactions:\n")] + "interactions: []\n"
    return emit_head(data.get("metadata")) + "".join(emit_interaction(i) for i in interactions)


def pyyaml_dump(data: Any) -> str:
    """vcrpy's own rendering (reference for tests and the fallback)."""
    return yaml.dump(data, Dumper=_SafeDumper, sort_keys=False, default_flow_style=False)


def serialize(data: Mapping[str, Any], fmt: str = "yaml") -> str:
    """Render a cassette's plain data as text vcrpy can read back."""
    if fmt == "json":
        return json.dumps(data, indent=4) + "\n"
    return dump_yaml(data)
