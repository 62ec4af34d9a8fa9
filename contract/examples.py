"""Documented examples (`parameters` + `responses`) turned into Interactions.

Each operation in the spec lists its documented example files under
`x-documented-examples` (from the swagger's `x-ms-examples`); that is how a
file finds its operation. An example becomes one Interaction per response
status: the request URI is the operation's path filled from the parameters.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from contract.cassette import Interaction, Request, Response
from contract.specs import Spec, load_spec

__all__ = ["Example", "ExampleError", "load_examples", "example_from_file", "ARM_BASE"]

ARM_BASE = "https://management.azure.com"

# Path parameters the spec names uniformly but documents/other RPs spell differently.
_ALIASES = {
    "vmScaleSetName": ("virtualMachineScaleSetName", "vmssName"),
    "virtualmachineIndex": ("instanceId",),
}


class ExampleError(ValueError):
    """An example file that cannot be read or turned into interactions (names the file)."""


@dataclass
class Example:
    """One documented example: where it came from, its operation, and its interactions."""

    path: Path
    operation_id: str
    api_version: str
    parameters: dict[str, Any]
    interactions: list[Interaction] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


def _param(parameters: dict[str, Any], name: str) -> Any:
    for key in (name, *(_ALIASES.get(name, ())), name.lstrip("$")):
        if key in parameters:
            return parameters[key]
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _example_index(spec: Spec) -> dict[str, str]:
    index: dict[str, str] = {}
    for path_item in spec.document.get("paths", {}).values():
        for op in path_item.values():
            if isinstance(op, dict):
                for name in op.get("x-documented-examples", ()):
                    index.setdefault(name, op["operationId"])
    return index


def _parameters_of(spec: Spec, operation_id: str) -> list[dict[str, Any]]:
    op = spec.operations[operation_id]
    raw = spec.document["paths"][op.path][op.method.lower()]
    out = []
    for p in raw.get("parameters", ()):
        if "$ref" in p:
            node: Any = spec.document
            for part in p["$ref"].lstrip("#/").split("/"):
                node = node[part]
            p = node
        out.append(p)
    return out


def example_from_file(path: str | os.PathLike[str], operation_id: str, spec: Spec | None = None) -> Example:
    """Build the Example of one file whose operation is known."""
    spec = spec or load_spec()
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ExampleError(f"{p}: cannot read example: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("parameters"), dict):
        raise ExampleError(f"{p}: an example needs a 'parameters' object")
    params: dict[str, Any] = data["parameters"]
    op = spec.operations[operation_id]
    api_version = _text(params.get("api-version", ""))
    uri_path = op.path
    query: list[tuple[str, str]] = []
    headers: dict[str, list[str]] = {}
    used = {"api-version"}
    for decl in _parameters_of(spec, operation_id):
        where, name = decl.get("in"), decl.get("name", "")
        value = _param(params, name)
        if where == "path":
            if value is None:
                raise ExampleError(f"{p}: path parameter {name} of {operation_id} is missing")
            uri_path = uri_path.replace("{" + name + "}", quote(_text(value), safe="-_.~"))
        elif value is not None and where == "query" and name != "api-version":
            query.append((name, _text(value)))
        elif value is not None and where == "header":
            headers[name] = [_text(value)]
        used.update({name, *(_ALIASES.get(name, ())), name.lstrip("$")})
    body = None
    if op.has_request_body:
        extra = [v for k, v in params.items() if k not in used and isinstance(v, (dict, list))]
        if extra:
            body = json.dumps(extra[0])
            headers["Content-Type"] = ["application/json"]
    query.append(("api-version", api_version))
    uri = f"{ARM_BASE}{uri_path}?{urlencode(query, quote_via=quote, safe='$')}"
    responses = data.get("responses")
    if not isinstance(responses, dict) or not responses:
        raise ExampleError(f"{p}: an example needs a 'responses' object")
    interactions = []
    for code, answer in responses.items():
        try:
            status = int(code)
        except ValueError:
            raise ExampleError(f"{p}: response status {code!r} is not a number") from None
        answer = answer if isinstance(answer, dict) else {}
        r_headers = {k: [_text(v)] for k, v in (answer.get("headers") or {}).items()}
        r_body = None
        if "body" in answer:
            r_body = json.dumps(answer["body"])
            r_headers.setdefault("Content-Type", ["application/json; charset=utf-8"])
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        interactions.append(
            Interaction(
                Request(op.method, uri, body, {k: list(v) for k, v in headers.items()}),
                Response(status, reason, r_headers, r_body),
            )
        )
    return Example(path=p, operation_id=operation_id, api_version=api_version, parameters=params,
                   interactions=interactions)


def load_examples(folder: str | os.PathLike[str], spec: Spec | None = None) -> list[Example]:
    """Every documented example under `folder` (recursively) that maps to an operation of the spec.

    Raises ExampleError naming a `*.json` file no operation claims, so a new example is never skipped silently.
    """
    spec = spec or load_spec()
    index = _example_index(spec)
    root = Path(folder)
    if not root.is_dir():
        raise ExampleError(f"{root}: not a folder of examples")
    examples = []
    for path in sorted(root.rglob("*.json")):
        operation_id = index.get(path.name)
        if operation_id is None:
            raise ExampleError(f"{path}: no operation in the spec lists this example (x-documented-examples)")
        examples.append(example_from_file(path, operation_id, spec))
    return examples
