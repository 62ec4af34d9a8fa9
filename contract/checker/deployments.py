"""What the checker learns from a template deployment in the traffic.

`az vmss create` (and Bicep, the portal) create a scale set through a deployment, so the
scale set's create request is the deployment's evaluated template resource. The same
template engine as the emulator's (contract/templates) evaluates it here; once the deployment
has succeeded, that body is the scale set's baseline model, so the first later GET is held to
the transition rules (immutable properties...) exactly as after a direct PUT. The deployment's
secure parameter values (secureString / secureObject) must never come back in a deployment
answer: finding one is `secret-echoed`.

Nothing here reads HTTP: the state machine (`state.World`) hands over parsed bodies.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from contract.checker.classify import target
from contract.templates import DeploymentContext, TemplateError, prepare

SCALE_SET_TYPE = "microsoft.compute/virtualmachinescalesets"
# Operations of specs/deployments.openapi.yaml the state machines follow (PUT, polls, GETs of a deployment).
_RG_SCOPE_OPERATIONS = (
    "Deployments_CreateOrUpdate", "Deployments_Get", "Deployments_Delete", "Deployments_Cancel",
    "DeploymentOperationStatus_Get", "Deployments_Validate", "Deployments_WhatIf", "Deployments_ExportTemplate",
    "DeploymentOperations_List", "DeploymentOperations_Get")
DEPLOYMENT_OPERATIONS = frozenset({*_RG_SCOPE_OPERATIONS, "Deployments_ListByResourceGroup",
                                   *(f"{op}AtSubscriptionScope" for op in _RG_SCOPE_OPERATIONS),
                                   "Deployments_ListAtSubscriptionScope"})
EXPORT_TEMPLATE = frozenset({"Deployments_ExportTemplate", "Deployments_ExportTemplateAtSubscriptionScope"})
_PARAMETERS = re.compile(r"\.properties\.parameters\.")
_SCOPE = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/", re.IGNORECASE)
_SECURE = ("securestring", "secureobject")
_MIN_SECRET = 6  # shorter values would match by chance


@dataclass
class Deployed:
    """One deployment PUT as the checker keeps it."""

    secrets: tuple[tuple[str, str], ...]  # (parameter name, value) no answer may contain
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)  # scale set key -> evaluated body
    applied: bool = False


def _secret_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if len(value) >= _MIN_SECRET else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _secret_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _secret_strings(v)]
    return []


def _unknown(resource_id: str, api_version: str | None) -> Any:
    raise TemplateError(f"'{resource_id}' is not known from the traffic", code="ResourceNotFound")


def learn_text(path: str, text: str | bytes | None) -> Deployed | None:
    """`learn` from the request text, judged once per distinct (path, text): a cassette checked again (or the
    same deployment in many cassettes) does not evaluate its template again. Models are shared, never changed."""
    if not text:
        return None
    found = _learned(path, text if isinstance(text, str) else bytes(text).decode("utf-8", "replace"))
    return None if found is None else Deployed(found.secrets, found.baselines)


@lru_cache(maxsize=256)
def _learned(path: str, text: str) -> Deployed | None:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return learn(path, body)


def learn(path: str, body: Any) -> Deployed | None:
    """The secure values and the scale set bodies of a deployment PUT's request (None if it has no template)."""
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict) or not isinstance(props.get("template"), dict):
        return None
    template, given = props["template"], props.get("parameters")
    given = given if isinstance(given, dict) else {}
    declared = template.get("parameters") if isinstance(template.get("parameters"), dict) else {}
    secrets: list[tuple[str, str]] = []
    for name, decl in declared.items():
        kind = decl.get("type") if isinstance(decl, dict) else None
        supplied = next((v for k, v in given.items() if k.lower() == name.lower()), None)
        if isinstance(kind, str) and kind.lower() in _SECURE and isinstance(supplied, dict):
            secrets.extend((name, s) for s in _secret_strings(supplied.get("value")))
    deployed = Deployed(tuple(secrets))
    scope = _SCOPE.match(path)
    if scope is None:
        return deployed
    name = path.rstrip("/").rsplit("/", 1)[-1]
    try:
        plan = prepare(template, given, DeploymentContext(scope.group(1), scope.group(2), "", name),
                       reference=_unknown)
    except TemplateError:
        return deployed  # a template ARM refuses creates nothing; the emulator/checker judge the answer
    for instance in plan.instances:
        if instance.type.lower() != SCALE_SET_TYPE:
            continue
        try:
            evaluated = plan.evaluate(instance)
        except TemplateError:
            continue  # needs reference() to something the traffic does not show
        if evaluated.get("location") == "":
            evaluated.pop("location")  # resourceGroup().location: not known from the traffic
        where = target(instance.id)
        if where is not None:
            deployed.baselines[where.scale_set] = evaluated
    return deployed


def secret_names_echoed(operation_id: str | None, paths: list[str]) -> list[str]:
    """The writeOnly-name findings that mean something in this answer: in a deployment answer,
    `properties.parameters.<name>` is a template parameter (`adminPassword: {"type": "SecureString"}` names
    it, echoes nothing), and an exported template is the client's own text; whether a secure value came
    back is `echoed`'s question."""
    if operation_id not in DEPLOYMENT_OPERATIONS:
        return paths
    if operation_id in EXPORT_TEMPLATE:
        return []  # the template as the client wrote it: `"adminPassword": "[parameters('pw')]"` is no echo
    return [p for p in paths if not _PARAMETERS.search(p)]


def echoed(deployed: Deployed, text: str | None) -> str | None:
    """The name of a secure parameter whose value appears in `text`, if any."""
    if not text:
        return None
    for name, value in deployed.secrets:
        if value in text or _escaped(value) in text:
            return name
    return None


@lru_cache(maxsize=1024)
def _escaped(value: str) -> str:
    """A secret as it appears inside a JSON string (worked out once, not per answer)."""
    return json.dumps(value)[1:-1]
