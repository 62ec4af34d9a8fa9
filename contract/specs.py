"""The VMSS contract as data: operations, api-versions and compiled schemas.

`specs/vmss.openapi.yaml` is the single source of truth; this module loads it
once, compiles every validator once, and answers the questions the proxy,
replay server, emulator, checker and strategies ask on their hot paths
(`match`, `validate_*`) cheaply.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "ApiVersion",
    "Operation",
    "OperationMatch",
    "SchemaError",
    "Spec",
    "SpecError",
    "UnknownApiVersion",
    "load_spec",
    "specs_dir",
]


class SpecError(Exception):
    """The spec file is missing or malformed."""


class UnknownApiVersion(ValueError):
    """An api-version that is unparsable or older than every known version."""


@dataclass(frozen=True)
class Operation:
    """One documented operation: `statuses` are the success codes (no `default`)."""

    operation_id: str
    method: str  # upper case
    path: str  # template, e.g. /subscriptions/{subscriptionId}/...
    api_versions: tuple[str, ...]
    statuses: tuple[int, ...]
    long_running: bool


@dataclass(frozen=True)
class OperationMatch:
    operation: Operation
    params: dict[str, str]


@dataclass(frozen=True)
class ApiVersion:
    """`effective` is the known version whose contract applies to `requested`."""

    requested: str
    effective: str
    known: bool
    warning: str | None = None


@dataclass(frozen=True)
class SchemaError:
    """One schema violation; `path` is a JSON path like `$.properties.sku.capacity`."""

    path: str
    message: str
    keyword: str


@dataclass
class Spec:
    """The loaded OpenAPI document plus precompiled matchers and validators."""

    document: dict[str, Any]
    operations: dict[str, Operation] = field(default_factory=dict)
    api_versions: tuple[str, ...] = ()

    def match(self, method: str, path: str) -> OperationMatch | None:
        """The operation a request hits (path without query; case-insensitive; trailing '/' ok)."""
        raise NotImplementedError

    def resolve_api_version(self, version: str) -> ApiVersion:
        """Map a requested api-version to a known one; newer unknown -> nearest older, with warning."""
        raise NotImplementedError

    def validate_request(
        self, operation_id: str, body: Any, api_version: str | None = None
    ) -> list[SchemaError]:
        """Errors of a request body against the operation's (strict) request schema."""
        raise NotImplementedError

    def validate_response(self, operation_id: str, status: int, body: Any) -> list[SchemaError]:
        """Errors of a response body against the schema for `status` (or `default`)."""
        raise NotImplementedError

    def secret_paths(self, body: Any) -> list[str]:
        """JSON paths of writeOnly/secret fields present in `body` (responses must have none)."""
        raise NotImplementedError

    def request_schema(self, operation_id: str) -> dict[str, Any]:
        """A self-contained JSON Schema (refs resolved) for the request body, for hypothesis."""
        raise NotImplementedError


def specs_dir() -> Path:
    """`$VMSS_CONTRACT_SPECS`, else the `specs/` folder next to the package."""
    env = os.environ.get("VMSS_CONTRACT_SPECS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "specs"


@lru_cache(maxsize=4)
def load_spec(path: str | os.PathLike[str] | None = None) -> Spec:
    """Load and compile the spec once per path (cached)."""
    raise NotImplementedError
