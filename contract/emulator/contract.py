"""The emulator's view of the contract: specs and rules turned into ARM refusals.

The checker reads the same `specs/` and `rules.yaml`; nothing here restates a
rule, it only decides how a found problem is answered (status, code, target).
"""
from __future__ import annotations

import copy
import re
from typing import Any

from aiohttp import web

from contract import jsonpath
from contract.rules import Rules, load_rules, merge_patch
from contract.servers import arm_error
from contract.specs import ApiVersion, SchemaError, Spec, UnknownApiVersion, load_spec

_REQUIRED = re.compile(r"""["']([^"']+)["'] is a required property""")


class Contract:
    """Lazily loads the spec and rules once per app; every method is pure."""

    def __init__(self, spec: Spec | None = None, rules: Rules | None = None) -> None:
        self._spec = spec
        self._rules = rules

    @property
    def spec(self) -> Spec:
        if self._spec is None:
            self._spec = load_spec()
        return self._spec

    @property
    def rules(self) -> Rules:
        if self._rules is None:
            self._rules = load_rules()
        return self._rules

    # ---------------------------------------------------------------- api-versions

    def api_version(self, requested: str, operation_id: str | None = None) -> ApiVersion | web.Response:
        """The version whose contract applies to the operation, or ARM's 400 for one its provider does not serve."""
        try:
            return self.spec.resolve_api_version(requested, operation_id)
        except UnknownApiVersion as exc:
            versions = self.spec.operation(operation_id).api_versions if operation_id else self.spec.api_versions
            return arm_error(400, "InvalidApiVersionParameter",
                             f"The api-version '{requested}' is invalid. {exc} "
                             f"The supported versions are '{', '.join(versions)}'.")

    # ---------------------------------------------------------------- refusals

    def refuse(self, operation_id: str, body: Any, api_version: str,
               current: dict[str, Any] | None = None) -> web.Response | None:
        """ARM's answer to the first schema or rule problem of a write, or None when it is accepted.

        A missing body is the spec's call too: actions like reimage take none, manualupgrade needs one.
        """
        if operation_id in self.spec.operations:
            errors = self.spec.validate_request(operation_id, body, api_version)
            if errors:
                return schema_refusal(errors[0])
        violations = self.rules.check_request(operation_id, body, api_version, current=current)
        if violations:
            v = violations[0]
            return arm_error(v.status, v.code, v.message, target=v.target)
        return None

    # ---------------------------------------------------------------- bodies

    def without_secrets(self, body: Any) -> Any:
        """A copy of `body` with every writeOnly/secret field the spec names removed."""
        clean = copy.deepcopy(body)
        # Deepest first, so removing an array element's field never shifts a later path.
        for path in sorted(self.spec.secret_paths(clean), key=len, reverse=True):
            jsonpath.delete(clean, path)
        return clean

    @staticmethod
    def merge(model: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = merge_patch(model, patch)
        return merged


def schema_refusal(error: SchemaError) -> web.Response:
    """Unknown top-level members are InvalidRequestContent; any other problem is InvalidParameter."""
    target = error.path[2:] if error.path.startswith("$.") else error.path.lstrip("$") or None
    if error.keyword == "additionalProperties" and error.path in ("$", ""):
        return arm_error(400, "InvalidRequestContent",
                         f"The request content was invalid and could not be deserialized: {error.message}")
    if error.keyword == "required" and error.path in ("$", "") and "body" in error.message:
        return arm_error(400, "InvalidRequestContent", f"The request content was invalid: {error.message}.")
    missing = _REQUIRED.search(error.message) if error.keyword == "required" else None
    if missing is not None:
        target = f"{target}.{missing.group(1)}" if target else missing.group(1)
    if error.keyword == "type" and error.path in ("$", ""):
        return arm_error(400, "InvalidRequestContent",
                         f"The request content was invalid and could not be deserialized: {error.message}")
    return arm_error(400, "InvalidParameter", f"{error.message}", target=target)
