"""A template with its parameters, made into a deployment plan: what ARM validates before it deploys.

`prepare(template, parameters, context)` checks the structure, binds and checks the
parameters (types, allowedValues, min/max, secure ones remembered), expands resource
`copy` loops, drops resources whose `condition` is false, resolves `dependsOn` and orders
the resources topologically (a cycle is InvalidTemplate). Every problem is a
`TemplateError` naming the JSON path, before anything is deployed.

Resource bodies are evaluated one at a time, when the deployment reaches them
(`Plan.evaluate(instance)`), because `reference()` reads resources deployed earlier; the
caller gives `reference` (and optionally `providers`) as callbacks, so this module never
touches HTTP or the emulator. `Plan.outputs()` evaluates `outputs` last.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from contract.templates import functions  # noqa: F401  (registers the built-in functions)
from contract.templates.errors import TemplateError
from contract.templates.expressions import (compile_expression, evaluate_string, is_expression, reader_targets,
                                           type_name)

ReferenceFn = Callable[[str, "str | None"], Any]  # (resource id, api-version or None) -> the resource's GET body
ProvidersFn = Callable[[str, "str | None"], Any]
ListFn = Callable[[str, str, str, Any], Any]  # (function name e.g. listKeys, resource id, api-version, body) -> answer

# ARM's parameter and output types (case-insensitive), with the spelling ARM answers with.
TYPES = {"string": "String", "securestring": "SecureString", "int": "Int", "bool": "Bool",
         "object": "Object", "secureobject": "SecureObject", "array": "Array"}
SECURE_TYPES = frozenset({"securestring", "secureobject"})
# Members of a template resource that steer the deployment rather than describe the resource.
TEMPLATE_ONLY = frozenset({"type", "name", "apiversion", "dependson", "condition", "copy", "comments",
                           "resources", "metadata", "scope", "resourcegroup", "subscriptionid"})
DEPLOYMENTS = "microsoft.resources/deployments"
RESOURCE_GROUPS = "microsoft.resources/resourcegroups"
MAX_COPY = 800  # ARM's documented ceiling for one copy loop


@dataclass(frozen=True)
class DeploymentContext:
    """Where the deployment runs: what resourceGroup(), subscription() and deployment() answer."""

    subscription_id: str
    resource_group: str
    location: str
    name: str
    tenant_id: str = "00000000-0000-0000-0000-000000000000"
    mode: str = "Incremental"
    group_tags: dict[str, Any] = field(default_factory=dict)
    management_group: str = ""  # a management-group scope deployment's group id
    tenant_scope: bool = False  # a tenant scope deployment

    @property
    def scope_prefix(self) -> str | None:
        """The id a management-group ('/providers/Microsoft.Management/managementGroups/{id}') or tenant ('')
        deployment's resources live under; None in a subscription or resource group."""
        if self.management_group:
            return f"/providers/Microsoft.Management/managementGroups/{self.management_group}"
        return "" if self.tenant_scope else None


@dataclass
class ResourceInstance:
    """One resource the deployment will PUT (one per copy index)."""

    path: str  # JSON path in the template, e.g. resources[2] or resources[2][copy 3]
    raw: dict[str, Any]
    type: str
    name: str
    api_version: str
    id: str
    loops: dict[str, int]
    copy_name: str | None
    depends_on: list[str] = field(default_factory=list)  # resource ids, resolved

    @property
    def namespace(self) -> str:
        return self.type.split("/")[0]


@lru_cache(maxsize=4096)
def camel_case(name: str) -> str:
    """Output names as ARM answers them: Newtonsoft's camel case ('VMSS' -> 'vmss', 'MyOut' -> 'myOut').

    Seen in the corpus: test_vmss_create_and_modify.yaml's template declares output 'VMSS', the
    deployment GET answers 'vmss'.
    """
    chars = list(name)
    for i, char in enumerate(chars):
        if i == 1 and not char.isupper():
            break
        has_next = i + 1 < len(chars)
        if i > 0 and has_next and not chars[i + 1].isupper():
            if chars[i + 1] == " ":
                chars[i] = char.lower()
            break
        chars[i] = char.lower()
    return "".join(chars)


def _ci_get(mapping: dict[str, Any], name: str) -> tuple[str, Any] | None:
    if name in mapping:
        return name, mapping[name]
    lowered = name.lower()
    for key, value in mapping.items():
        if key.lower() == lowered:
            return key, value
    return None


class Scope:
    """What expressions see: parameters, variables, loops, the deployment's place, callbacks."""

    def __init__(self, plan: "Plan", loops: dict[str, int] | None = None, current: str | None = None) -> None:
        self.plan = plan
        self.loops = loops or {}
        self.current = current
        self.subscription_id = plan.context.subscription_id
        self.resource_group_name = plan.context.resource_group
        self.in_default = False  # newGuid() is allowed only in a parameter's defaultValue

    def within(self, loop: str, index: int) -> "Scope":
        return Scope(self.plan, {**self.loops, loop.lower(): index}, loop.lower())

    def parameter(self, name: str) -> Any:
        return self.plan.parameter(name)

    def variable(self, name: str) -> Any:
        return self.plan.variable(name)

    def copy_index(self, loop: str | None) -> int:
        if loop is None:
            if self.current is None:
                raise TemplateError("The template function 'copyIndex' is not expected at this location. The "
                                    "function can only be used in a resource with copy specified.")
            return self.loops[self.current]
        index = self.loops.get(loop.lower())
        if index is None:
            raise TemplateError(f"The template function 'copyIndex' has an invalid copy loop name '{loop}'.")
        return index

    def resource_group(self) -> dict[str, Any]:
        c = self.plan.context
        if not c.resource_group:
            raise TemplateError("The template function 'resourceGroup' is not expected at this location: the "
                                "deployment is at subscription scope. Please see https://aka.ms/arm-functions for "
                                "usage details.")
        return {"id": f"/subscriptions/{c.subscription_id}/resourceGroups/{c.resource_group}",
                "name": c.resource_group, "type": "Microsoft.Resources/resourceGroups", "location": c.location,
                "tags": dict(c.group_tags), "properties": {"provisioningState": "Succeeded"}}

    def subscription(self) -> dict[str, Any]:
        c = self.plan.context
        if c.scope_prefix is not None:
            raise TemplateError("The template function 'subscription' is not expected at this location: the "
                                f"deployment is at {'management group' if c.management_group else 'tenant'} scope. "
                                "Please see https://aka.ms/arm-functions for usage details.")
        return {"id": f"/subscriptions/{c.subscription_id}", "subscriptionId": c.subscription_id,
                "tenantId": c.tenant_id, "displayName": "vmss-contract emulator"}

    def management_group(self) -> dict[str, Any]:
        """managementGroup(): the management group of a management-group scope deployment (id, name, type,
        properties; learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-scope
        #managementgroup); anywhere else ARM refuses it."""
        c = self.plan.context
        if not c.management_group:
            raise TemplateError("The template function 'managementGroup' is not expected at this location: the "
                                "deployment is not at management group scope. Please see "
                                "https://aka.ms/arm-functions for usage details.")
        return {"id": c.scope_prefix, "name": c.management_group, "type": "Microsoft.Management/managementGroups",
                "properties": {"displayName": c.management_group, "tenantId": c.tenant_id,
                               "details": {"parent": {"id": f"/providers/Microsoft.Management/managementGroups/"
                                                            f"{c.tenant_id}", "name": c.tenant_id,
                                                      "displayName": "Tenant Root Group"}}}}

    def tenant(self) -> dict[str, Any]:
        """tenant(): the caller's tenant, at every scope (template-functions-scope#tenant)."""
        c = self.plan.context
        return {"countryCode": "US", "displayName": "vmss-contract emulator", "id": f"/tenants/{c.tenant_id}",
                "tenantId": c.tenant_id}

    def deployment(self) -> dict[str, Any]:
        """The deployment object; outside a resource group it carries the deployment's `location` ("When
        you deploy to an Azure subscription, management group, or tenant, the return object includes a
        location property", learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-deployment;
        `[deployment().location]` is how subscription templates place the groups they create)."""
        c = self.plan.context
        template = self.plan.template
        out: dict[str, Any] = {"name": c.name, "properties": {
            "template": {"contentVersion": template.get("contentVersion", "1.0.0.0")},
            "templateHash": self.plan.template_hash, "parameters": {}, "mode": c.mode,
            "provisioningState": "Accepted"}}
        if not c.resource_group:
            out["location"] = c.location
        return out

    def resolve_resource(self, name: str) -> str:
        return self.plan.resolve_name(name)

    def reference(self, resource_id: str, api_version: str | None, full: bool) -> Any:
        if self.plan.reference_fn is None:
            raise TemplateError(f"The template function 'reference' cannot read '{resource_id}': no deployed "
                                f"resources are available here.")
        body = self.plan.reference_fn(resource_id, api_version)
        if not isinstance(body, dict):
            return body
        if full:
            out = dict(body)
            out.setdefault("apiVersion", api_version)
            out.setdefault("resourceId", resource_id)
            return out
        return body.get("properties", {})

    def list_action(self, name: str, resource_id: str, api_version: str, values: Any) -> Any:
        if self.plan.list_fn is None:
            raise TemplateError(f"The template function '{name}' cannot read '{resource_id}': no deployed "
                                f"resources are available here.")
        return self.plan.list_fn(name, resource_id, api_version, values)

    def providers(self, namespace: str, resource_type: Any) -> Any:
        if self.plan.providers_fn is not None:
            return self.plan.providers_fn(namespace, resource_type if isinstance(resource_type, str) else None)
        return self.plan.default_providers(namespace, resource_type if isinstance(resource_type, str) else None)


class Plan:
    """A validated template bound to its parameters: deploy `instances` in order, then read `outputs()`."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, Any] | None, context: DeploymentContext, *,
                 reference: ReferenceFn | None = None, providers: ProvidersFn | None = None,
                 list_action: ListFn | None = None) -> None:
        if not isinstance(template, dict):
            raise TemplateError("The template must be a JSON object.", path="template")
        self.template = template
        self.context = context
        self.reference_fn = reference
        self.providers_fn = providers
        self.list_fn = list_action
        self._parameters: dict[str, Any] = {}
        self.parameter_types: dict[str, str] = {}
        self.secure_parameters: set[str] = set()
        self._variables: dict[str, Any] = {}
        self._evaluating: set[str] = set()
        self._raw_variables = self._collect_variables()
        _parse_all(template)
        self._bind_parameters(parameters or {})
        self.instances: list[ResourceInstance] = []
        self.skipped: list[ResourceInstance] = []  # condition false: named, not deployed
        self._plan_resources()

    @cached_property
    def template_hash(self) -> str:
        """A decimal 63-bit hash of the template, shaped like ARM's `templateHash` (ARM does not
        document its algorithm; ours is deterministic, not equal to Azure's)."""
        digest = hashlib.blake2b(json.dumps(self.template, sort_keys=True).encode(), digest_size=8).digest()
        return str(int.from_bytes(digest, "big") >> 1)

    # ------------------------------------------------------------------ parameters

    def parameter(self, name: str) -> Any:
        found = _ci_get(self._parameters, name)
        if found is None:
            raise TemplateError(f"The template parameter '{name}' is not found. Please see "
                                f"https://aka.ms/arm-syntax-parameters for usage details.")
        return found[1]

    def _bind_parameters(self, given: dict[str, Any]) -> None:
        declared = self.template.get("parameters") or {}
        if not isinstance(declared, dict):
            raise TemplateError("'parameters' must be a JSON object.", path="parameters")
        if not isinstance(given, dict):
            raise TemplateError("The deployment parameters must be a JSON object.", path="properties.parameters")
        for name in given:
            if _ci_get(declared, name) is None:
                raise TemplateError(
                    f"The template parameters '{name}' in the parameters file are not valid; they are not present in "
                    f"the original template and can therefore not be provided at deployment time. The only "
                    f"supported parameters for this template are '{', '.join(declared)}'.",
                    path=f"properties.parameters.{name}")
        scope = Scope(self)
        scope.in_default = True
        for name, decl in declared.items():
            path = f"parameters.{name}"
            if not isinstance(decl, dict) or not isinstance(decl.get("type"), str):
                raise TemplateError(f"The template parameter '{name}' must declare a 'type'.", path=path)
            kind = decl["type"].lower()
            if kind not in TYPES:
                raise TemplateError(f"The template parameter '{name}' has type '{decl['type']}', which is not one of "
                                    f"'{', '.join(TYPES.values())}'.", path=f"{path}.type")
            self.parameter_types[name] = TYPES[kind]
            if kind in SECURE_TYPES:
                self.secure_parameters.add(name)
            supplied = _ci_get(given, name)
            if supplied is not None:
                wrapper = supplied[1]
                if isinstance(wrapper, dict) and "reference" in wrapper and "value" not in wrapper:
                    raise TemplateError(f"The template parameter '{name}' is a Key Vault reference; the emulator "
                                        f"reaches no Key Vault, so give the value inline.",
                                        path=f"properties.parameters.{name}")
                if not isinstance(wrapper, dict) or "value" not in wrapper:
                    raise TemplateError(f"The template parameter '{name}' must be given as {{\"value\": ...}}.",
                                        path=f"properties.parameters.{name}")
                value = wrapper["value"]
            elif "defaultValue" in decl:
                value = self._walk(decl["defaultValue"], scope, f"{path}.defaultValue")
            else:
                raise TemplateError(f"The value for the template parameter '{name}' at '{path}' is not provided. "
                                    f"Please see https://aka.ms/arm-deploy/#parameter-file for usage details.",
                                    path=path)
            self._check_parameter(name, kind, decl, value, path)
            self._parameters[name] = value

    def _check_parameter(self, name: str, kind: str, decl: dict[str, Any], value: Any, path: str) -> None:
        expected = {"string": str, "securestring": str, "int": int, "bool": bool, "object": dict,
                    "secureobject": dict, "array": list}[kind]
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if not ok and not (value is None and kind in ("object", "secureobject", "array")):
            raise TemplateError(f"Template parameter JToken type is not valid. Expected '{TYPES[kind]}'. Actual "
                                f"'{type_name(value)}'. Please see https://aka.ms/arm-deploy/#parameter-file for "
                                f"usage details.", path=path)
        allowed = decl.get("allowedValues")
        if isinstance(allowed, list) and value not in allowed:
            shown = "" if kind in SECURE_TYPES else f" The value '{value}' is not part of the allowed value(s): " \
                                                    f"'{','.join(str(a) for a in allowed)}'."
            raise TemplateError(f"The provided value for the template parameter '{name}' is not valid.{shown}",
                                path=path)
        if kind == "int":
            low, high = decl.get("minValue"), decl.get("maxValue")
            if isinstance(low, int) and value < low:
                raise TemplateError(f"The provided value for the template parameter '{name}' is not valid. The "
                                    f"parameter value is less than the min value '{low}'.", path=path)
            if isinstance(high, int) and value > high:
                raise TemplateError(f"The provided value for the template parameter '{name}' is not valid. The "
                                    f"parameter value is greater than the max value '{high}'.", path=path)
        if isinstance(value, (str, list)):
            low, high = decl.get("minLength"), decl.get("maxLength")
            if isinstance(low, int) and len(value) < low:
                raise TemplateError(f"The provided value for the template parameter '{name}' is not valid. Length of "
                                    f"the value should be greater than or equal to '{low}'.", path=path)
            if isinstance(high, int) and len(value) > high:
                raise TemplateError(f"The provided value for the template parameter '{name}' is not valid. Length of "
                                    f"the value should be less than or equal to '{high}'.", path=path)

    def parameters_view(self) -> dict[str, Any]:
        """The deployment's `properties.parameters` as ARM answers it: secure ones carry only their type."""
        out: dict[str, Any] = {}
        for name, value in self._parameters.items():
            kind = self.parameter_types[name]
            out[name] = {"type": kind} if name in self.secure_parameters else {"type": kind, "value": value}
        return out

    def secret_values(self) -> list[Any]:
        """The values of secure parameters (what an answer must never contain)."""
        return [self._parameters[n] for n in self.secure_parameters if self._parameters.get(n) not in (None, "")]

    # ------------------------------------------------------------------ variables

    def _collect_variables(self) -> dict[str, tuple[str, Any]]:
        raw = self.template.get("variables") or {}
        if not isinstance(raw, dict):
            raise TemplateError("'variables' must be a JSON object.", path="variables")
        out: dict[str, tuple[str, Any]] = {}
        for name, value in raw.items():
            if name.lower() == "copy" and isinstance(value, list):
                for i, loop in enumerate(value):
                    if not isinstance(loop, dict) or not isinstance(loop.get("name"), str):
                        raise TemplateError("A variable copy loop needs a 'name', a 'count' and an 'input'.",
                                            path=f"variables.copy[{i}]")
                    out[loop["name"].lower()] = (loop["name"], {"__copy__": loop, "__path__": f"variables.copy[{i}]"})
            else:
                out[name.lower()] = (name, value)
        return out

    def variable(self, name: str) -> Any:
        key = name.lower()
        if key in self._variables:
            return self._variables[key]
        found = self._raw_variables.get(key)
        if found is None:
            raise TemplateError(f"The template variable '{name}' is not found. Please see "
                                f"https://aka.ms/arm-syntax-variables for usage details.")
        if key in self._evaluating:
            raise TemplateError(f"The template variable '{name}' refers to itself (a circular reference).")
        self._evaluating.add(key)
        try:
            original, raw = found
            if isinstance(raw, dict) and "__copy__" in raw:
                value = self._expand_copy(raw["__copy__"], Scope(self), raw["__path__"])
            else:
                value = self._walk(raw, Scope(self), f"variables.{original}")
        finally:
            self._evaluating.discard(key)
        self._variables[key] = value
        return value

    # ------------------------------------------------------------------ values

    def _walk(self, value: Any, scope: Scope, path: str) -> Any:
        """Evaluate every expression inside `value`; an error is placed at `path` plus where inside it."""
        try:
            return self._value(value, scope)
        except TemplateError as exc:
            raise exc.place(path) from None

    def _value(self, value: Any, scope: Scope) -> Any:
        """The evaluated copy of `value` (property `copy` loops expand into arrays).

        No paths are built on the way down; an error collects its path segments on the way up
        (`TemplateError.trail`), so the common case pays nothing for good messages. Plain leaves
        are copied inline (no call per leaf): this walk is the evaluator's hot path.
        """
        kind = type(value)
        if kind is str:
            if not value or value[0] != "[":
                return value
            try:
                return evaluate_string(value, scope)
            except TemplateError as exc:
                if exc.expression is None:
                    exc.expression = value
                raise
        if kind is dict:
            out: dict[str, Any] = {}
            loops = value.get("copy")
            expand = type(loops) is list and loops and all(isinstance(x, dict) and "input" in x for x in loops)
            if expand:
                for i, loop in enumerate(loops):
                    try:
                        name = loop.get("name")
                        if not isinstance(name, str):
                            raise TemplateError("A property copy loop needs a 'name'.")
                        out[name] = self._copies(loop, scope)
                    except TemplateError as exc:
                        exc.trail.append(f".copy[{i}]")
                        raise
            for key, item in value.items():
                leaf = type(item)
                if leaf is str and (not item or item[0] != "["):
                    out[key] = item
                elif leaf is int or leaf is bool or item is None:
                    out[key] = item
                elif expand and key == "copy":
                    continue
                else:
                    try:
                        out[key] = self._value(item, scope)
                    except TemplateError as exc:
                        exc.trail.append(f".{key}")
                        raise
            return out
        if kind is list:
            result = []
            for i, item in enumerate(value):
                leaf = type(item)
                if leaf is str and (not item or item[0] != "["):
                    result.append(item)
                    continue
                try:
                    result.append(self._value(item, scope))
                except TemplateError as exc:
                    exc.trail.append(f"[{i}]")
                    raise
            return result
        return value

    def _loop_count(self, loop: dict[str, Any], scope: Scope) -> int:
        try:
            count = self._value(loop.get("count"), scope)
            if isinstance(count, bool) or not isinstance(count, int):
                raise TemplateError(f"The copy count must be an integer; it is '{type_name(count)}'.")
            if not 0 <= count <= MAX_COPY:
                raise TemplateError(f"The copy count '{count}' is not valid: it must be between 0 and {MAX_COPY}.")
        except TemplateError as exc:
            exc.trail.append(".count")
            raise
        return count

    def _copies(self, loop: dict[str, Any], scope: Scope) -> list[Any]:
        name = str(loop.get("name", ""))
        count = self._loop_count(loop, scope)
        if "input" not in loop:
            raise TemplateError(f"The copy loop '{name}' needs an 'input'.")
        try:
            return [self._value(loop["input"], scope.within(name, i)) for i in range(count)]
        except TemplateError as exc:
            exc.trail.append(".input")
            raise

    def _count(self, loop: dict[str, Any], scope: Scope, path: str) -> int:
        try:
            return self._loop_count(loop, scope)
        except TemplateError as exc:
            raise exc.place(path) from None

    def _expand_copy(self, loop: dict[str, Any], scope: Scope, path: str) -> list[Any]:
        try:
            return self._copies(loop, scope)
        except TemplateError as exc:
            raise exc.place(path) from None

    # ------------------------------------------------------------------ resources

    def _flatten(self) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None]]:
        resources = self.template.get("resources")
        if isinstance(resources, dict):
            raise TemplateError("Symbolic-name resources (languageVersion 2.0) are not supported here; give "
                                "'resources' as an array.", path="resources")
        if not isinstance(resources, list):
            raise TemplateError("Required property 'resources' not found in the template (or is not an array).",
                                path="resources")

        def walk(items: list[Any], prefix: str, parent: dict[str, Any] | None) -> Iterator[Any]:
            for i, resource in enumerate(items):
                path = f"{prefix}[{i}]"
                if not isinstance(resource, dict):
                    raise TemplateError("A template resource must be a JSON object.", path=path)
                yield path, resource, parent
                children = resource.get("resources")
                if isinstance(children, list):
                    yield from walk(children, f"{path}.resources", resource)
        yield from walk(resources, "resources", None)

    def _plan_resources(self) -> None:
        ordered: list[ResourceInstance] = []
        parents: dict[int, list[ResourceInstance]] = {}
        deps_raw: dict[int, list[str]] = {}
        for path, raw, parent in self._flatten():
            for member in ("type", "name", "apiVersion"):
                if _ci_get(raw, member) is None:
                    raise TemplateError(f"The template resource at '{path}' is missing required property '{member}'.",
                                        path=path)
            copy = raw.get("copy")
            if copy is not None and not isinstance(copy, dict):
                raise TemplateError("A resource's 'copy' must be an object with 'name' and 'count'.",
                                    path=f"{path}.copy")
            scopes: list[tuple[str, Scope, str | None]]
            if copy is not None:
                name = copy.get("name")
                if not isinstance(name, str) or not name:
                    raise TemplateError("A resource copy loop needs a 'name'.", path=f"{path}.copy.name")
                count = self._count(copy, Scope(self), f"{path}.copy")
                scopes = [(f"{path}[copy {i}]", Scope(self).within(name, i), name) for i in range(count)]
            else:
                scopes = [(path, Scope(self), None)]
            parent_instances = parents.get(id(parent), []) if parent is not None else [None]
            for where, scope, copy_name in scopes:
                for parent_instance in parent_instances:
                    instance = self._instance(raw, where, scope, copy_name, parent_instance)
                    parents.setdefault(id(raw), []).append(instance)
                    condition = raw.get("condition", True)
                    if condition is not True:
                        condition = self._walk(condition, scope, f"{where}.condition")
                        if not isinstance(condition, bool):
                            raise TemplateError(f"The template resource condition must be a boolean; it is "
                                                f"'{type_name(condition)}'.", path=f"{where}.condition")
                    if not condition:
                        self.skipped.append(instance)
                        continue
                    deps = self._walk(raw.get("dependsOn") or [], scope, f"{where}.dependsOn")
                    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
                        raise TemplateError("'dependsOn' must be an array of strings.", path=f"{where}.dependsOn")
                    if parent_instance is not None:
                        deps = [*deps, parent_instance.id]
                    deps_raw[id(instance)] = deps
                    ordered.append(instance)
        self._implicit_dependencies(ordered, deps_raw)
        self._resolve_dependencies(ordered, deps_raw)
        self.instances = _topological(ordered)

    def _instance(self, raw: dict[str, Any], where: str, scope: Scope, copy_name: str | None,
                  parent: ResourceInstance | None) -> ResourceInstance:
        values = {}
        for member in ("type", "name", "apiVersion"):
            key, value = _ci_get(raw, member)  # type: ignore[misc]
            value = self._walk(value, scope, f"{where}.{key}")
            if not isinstance(value, str) or not value:
                raise TemplateError(f"The template resource property '{member}' must be a non-empty string.",
                                    path=f"{where}.{key}")
            values[member] = value
        rtype, name = values["type"], values["name"]
        if parent is not None and "/" not in rtype.split("/", 1)[-1] and not rtype.lower().startswith(
                parent.type.lower() + "/"):
            rtype = f"{parent.type}/{rtype}"
            name = f"{parent.name}/{name}"
        type_segments, name_segments = rtype.split("/"), name.split("/")
        if len(type_segments) != len(name_segments) + 1:
            raise TemplateError(f"The template resource '{name}' for type '{rtype}' has incorrect segment lengths. A "
                                f"nested resource type must have identical number of segments as its resource name. "
                                f"A root resource type must have segment length one greater than its resource name.",
                                path=where)
        rid = self._scope_id(raw, scope, where, rtype) + f"/providers/{type_segments[0]}"
        for kind, part in zip(type_segments[1:], name_segments):
            rid += f"/{kind}/{part}"
        if rtype.lower() == RESOURCE_GROUPS and not self.context.resource_group:
            rid = f"/subscriptions/{self.context.subscription_id}/resourceGroups/{name}"  # what its PUT addresses
        return ResourceInstance(path=where, raw=raw, type=rtype, name=name, api_version=values["apiVersion"], id=rid,
                                loops=dict(scope.loops), copy_name=copy_name)

    def _implicit_dependencies(self, instances: list[ResourceInstance], deps_raw: dict[int, list[str]]) -> None:
        """reference('name') and list*('name', ...) in a resource's body order it after the resource of that
        name in this template, as dependsOn would. ARM (template-functions-resource, "Implicit dependency";
        resource-dependency, "Reference and list functions"): the dependency is implicit only when the
        referenced resource is in the same template and named by its name, not its resource ID."""
        known = {}
        for inst in instances:
            known.setdefault(inst.name.lower(), inst)
            known.setdefault(f"{inst.type}/{inst.name}".lower(), inst)
        for inst in instances:
            scope = self._scope_of(inst)
            found: list[str] = []
            inner = self.inner_template(inst)
            for key, value in inst.raw.items():
                if key.lower() in TEMPLATE_ONLY:
                    continue
                if inner is not None and key == inner[0]:
                    value = {k: v for k, v in value.items() if k != inner[1]}  # the nested deployment's own
                _reader_names(value, scope, found)
            for name in found:
                target = known.get(name.lower().rstrip("/"))
                if target is not None and target is not inst and name not in deps_raw[id(inst)]:
                    deps_raw[id(inst)].append(name)

    def _scope_of(self, instance: ResourceInstance) -> Scope:
        scope = Scope(self)
        for loop, index in instance.loops.items():
            scope = scope.within(loop, index)
        return scope

    def _scope_id(self, raw: dict[str, Any], scope: Scope, where: str, rtype: str) -> str:
        """Where a resource lives: the deployment's group, its subscription (a subscription-scope deployment),
        or, for a nested deployment, the `resourceGroup` / `subscriptionId` it names (ARM's cross-scope
        deployments: learn.microsoft.com/azure/azure-resource-manager/templates/deploy-to-subscription,
        "Create resource group and resources")."""
        sub, group = self.context.subscription_id, self.context.resource_group
        outer = self.context.scope_prefix
        if rtype.lower() == DEPLOYMENTS:
            for member in ("subscriptionId", "resourceGroup"):
                found = _ci_get(raw, member)
                if found is None:
                    continue
                value = self._walk(found[1], scope, f"{where}.{found[0]}")
                if not isinstance(value, str) or not value:
                    raise TemplateError(f"The template resource property '{member}' must be a non-empty string.",
                                        path=f"{where}.{found[0]}")
                if member == "subscriptionId":
                    sub = value
                    outer = None  # a nested deployment into a subscription (from a management group or tenant)
                else:
                    group = value
        if outer is not None:
            if group:
                raise TemplateError("A nested deployment at management group or tenant scope that names a "
                                    "'resourceGroup' must also name its 'subscriptionId'.", path=where)
            return outer
        return f"/subscriptions/{sub}/resourceGroups/{group}" if group else f"/subscriptions/{sub}"

    def _resolve_dependencies(self, instances: list[ResourceInstance], deps_raw: dict[int, list[str]]) -> None:
        by_id: dict[str, ResourceInstance] = {}
        by_type_name: dict[str, list[ResourceInstance]] = {}
        by_name: dict[str, list[ResourceInstance]] = {}
        by_copy: dict[str, list[ResourceInstance]] = {}
        skipped_keys: set[str] = set()
        for s in self.skipped:
            skipped_keys.update({s.id.lower(), f"{s.type}/{s.name}".lower(), s.name.lower()})
            if s.copy_name:
                skipped_keys.add(s.copy_name.lower())
        for inst in instances:
            if inst.id.lower() in by_id:
                raise TemplateError(f"The resource '{inst.id}' is defined multiple times in a template. Please see "
                                    f"https://aka.ms/arm-syntax-resources for usage details.", path=inst.path)
            by_id[inst.id.lower()] = inst
            by_type_name.setdefault(f"{inst.type}/{inst.name}".lower(), []).append(inst)
            by_name.setdefault(inst.name.lower(), []).append(inst)
            if inst.copy_name:
                by_copy.setdefault(inst.copy_name.lower(), []).append(inst)
        for inst in instances:
            resolved: list[str] = []
            for dep in deps_raw.get(id(inst), []):
                key = _group_id(dep.lower().rstrip("/"))
                if key.startswith("/"):
                    targets = [by_id[key]] if key in by_id else []
                else:
                    targets = by_copy.get(key) or by_type_name.get(key) or by_name.get(key) or []
                if not targets:
                    if key in skipped_keys or (key.startswith("/") and key in skipped_keys):
                        continue  # ARM drops a dependency on a resource whose condition is false
                    raise TemplateError(f"The resource '{dep}' is not defined in the template. Please see "
                                        f"https://aka.ms/arm-syntax for usage details.", path=f"{inst.path}.dependsOn")
                for target in targets:
                    if target is not inst and target.id not in resolved:
                        resolved.append(target.id)
            inst.depends_on = resolved

    def resolve_name(self, name: str) -> str:
        """reference('name') of a resource in this template: its id."""
        matches = [i for i in self.instances + self.skipped if i.name.lower() == name.lower()
                   or f"{i.type}/{i.name}".lower() == name.lower()]
        if not matches:
            raise TemplateError(f"The template resource '{name}' is not found. Please see https://aka.ms/arm-syntax "
                                f"for usage details.")
        return matches[0].id

    def default_providers(self, namespace: str, resource_type: str | None) -> Any:
        """Without a providers callback: the api-versions this template itself uses for the type, newest first."""
        types: dict[str, set[str]] = {}
        for inst in self.instances + self.skipped:
            if inst.namespace.lower() == namespace.lower():
                types.setdefault(inst.type.split("/", 1)[1], set()).add(inst.api_version)
        entries = [{"resourceType": t, "locations": [self.context.location], "apiVersions": sorted(v, reverse=True)}
                   for t, v in types.items()]
        if resource_type is None:
            return {"namespace": namespace, "resourceTypes": entries}
        for entry in entries:
            if entry["resourceType"].lower() == resource_type.lower():
                return {"namespace": namespace, **entry}
        return {"namespace": namespace, "resourceType": resource_type, "locations": [self.context.location],
                "apiVersions": []}

    def evaluate(self, instance: ResourceInstance) -> dict[str, Any]:
        """The body to PUT for `instance` (template-only members dropped, expressions evaluated)."""
        scope = self._scope_of(instance)
        body: dict[str, Any] = {}
        inner = self.inner_template(instance)
        for key, value in instance.raw.items():
            if key.lower() in TEMPLATE_ONLY:
                continue
            if inner is not None and key == inner[0] and isinstance(value, dict):
                body[key] = {k: (v if k == inner[1] else self._walk(v, scope, f"{instance.path}.{key}.{k}"))
                             for k, v in value.items()}
                continue
            body[key] = self._walk(value, scope, f"{instance.path}.{key}")
        return body

    def inner_template(self, instance: ResourceInstance) -> tuple[str, str] | None:
        """(properties member, template member) of a nested deployment whose expressionEvaluationOptions.scope is
        'inner': its template's expressions are the nested deployment's own, evaluated when it runs (with the
        parameters the outer template passes it), never in the outer scope. None otherwise ('outer', the
        default, evaluates the nested template's expressions in the parent's scope, as ARM documents)."""
        if instance.type.lower() != DEPLOYMENTS:
            return None
        found = _ci_get(instance.raw, "properties")
        if found is None or not isinstance(found[1], dict):
            return None
        options = _ci_get(found[1], "expressionEvaluationOptions")
        template = _ci_get(found[1], "template")
        if options is None or template is None or not isinstance(options[1], dict):
            return None
        chosen = _ci_get(options[1], "scope")
        if chosen is None or not isinstance(chosen[1], str) or chosen[1].lower() != "inner":
            return None
        return found[0], template[0]

    def evaluate_lenient(self, instance: ResourceInstance) -> tuple[dict[str, Any], list[str]]:
        """What-if's view of a body before anything is deployed: each top-level member evaluated, and one
        whose expressions cannot be worked out yet (a reference() to a resource this deployment would create)
        kept as its template text, as ARM's what-if shows such members. Returns (body, unresolved members)."""
        scope = self._scope_of(instance)
        body: dict[str, Any] = {}
        unresolved: list[str] = []
        for key, value in instance.raw.items():
            if key.lower() in TEMPLATE_ONLY:
                continue
            try:
                inner = self.inner_template(instance)
                if inner is not None and key == inner[0] and isinstance(value, dict):
                    body[key] = {k: (v if k == inner[1] else self._walk(v, scope, f"{instance.path}.{key}.{k}"))
                                 for k, v in value.items()}
                else:
                    body[key] = self._walk(value, scope, f"{instance.path}.{key}")
            except TemplateError:
                body[key] = value
                unresolved.append(key)
        return body, unresolved

    # ------------------------------------------------------------------ outputs

    def outputs(self) -> dict[str, Any]:
        """`outputs` as the deployment answers them (camel-cased names; secure ones carry no value)."""
        raw = self.template.get("outputs") or {}
        if not isinstance(raw, dict):
            raise TemplateError("'outputs' must be a JSON object.", path="outputs")
        out: dict[str, Any] = {}
        scope = Scope(self)
        for name, decl in raw.items():
            path = f"outputs.{name}"
            if not isinstance(decl, dict) or not isinstance(decl.get("type"), str) \
                    or decl["type"].lower() not in TYPES:
                raise TemplateError(f"The template output '{name}' needs a 'type' among "
                                    f"'{', '.join(TYPES.values())}'.", path=path)
            kind = decl["type"].lower()
            if "condition" in decl:
                condition = self._walk(decl["condition"], scope, f"{path}.condition")
                if condition is not True:
                    continue
            if "copy" in decl and isinstance(decl["copy"], dict):
                value = self._expand_copy({"name": name, **decl["copy"]}, scope, f"{path}.copy")
            else:
                value = self._walk(decl.get("value"), scope, f"{path}.value")
            self._check_output(name, kind, value, path)
            entry: dict[str, Any] = {"type": TYPES[kind]}
            if kind not in SECURE_TYPES:
                entry["value"] = value
            out[camel_case(name)] = entry
        return out

    @staticmethod
    def _check_output(name: str, kind: str, value: Any, path: str) -> None:
        expected = {"string": str, "securestring": str, "int": int, "bool": bool, "object": dict,
                    "secureobject": dict, "array": list}[kind]
        if value is None or (isinstance(value, expected) and not (expected is int and isinstance(value, bool))):
            return
        raise TemplateError(f"The template output '{name}' is not valid: Template output JToken type is not valid. "
                            f"Expected '{TYPES[kind]}'. Actual '{type_name(value)}'.", path=path)


def prepare(template: Any, parameters: Any, context: DeploymentContext, *, reference: ReferenceFn | None = None,
            providers: ProvidersFn | None = None, list_action: ListFn | None = None) -> Plan:
    """Validate `template` with `parameters` and plan its resources (raises TemplateError)."""
    return Plan(template, parameters, context, reference=reference, providers=providers, list_action=list_action)


def _reader_names(value: Any, scope: Scope, out: list[str]) -> None:
    """Names (not ids) that reference()/list*() calls inside `value` read, when their first argument can be
    worked out before anything is deployed (one that itself reads a resource, or a property loop's index,
    cannot: it orders nothing)."""
    kind = type(value)
    if kind is str:
        if len(value) > 1 and value[0] == "[":
            for target in reader_targets(value):
                try:
                    name = target(scope)
                except TemplateError:
                    continue
                if isinstance(name, str) and name and not name.startswith("/") and name not in out:
                    out.append(name)
    elif kind is dict:
        for item in value.values():
            _reader_names(item, scope, out)
    elif kind is list:
        for item in value:
            _reader_names(item, scope, out)


def contains_expression(value: Any) -> bool:
    """Whether any string inside `value` is a template expression."""
    if isinstance(value, str):
        return is_expression(value)
    if isinstance(value, dict):
        return any(contains_expression(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_expression(v) for v in value)
    return False


def _parse_all(template: dict[str, Any]) -> None:
    """Parse every expression in the template up front, as ARM's validation does: a syntax error or an
    unknown function anywhere (an output, an unused branch) refuses the deployment before it starts.
    (Parsing is cached per expression text; the path is only built for an error.)"""
    try:
        _parse_value(template)
    except TemplateError as exc:
        raise exc.place("") from None


def _parse_value(value: Any) -> None:
    kind = type(value)
    if kind is str:
        if len(value) > 1 and value[0] == "[" and value[-1] == "]" and value[1] != "[":
            try:
                compile_expression(value)
            except TemplateError as exc:
                exc.expression = value
                raise
    elif kind is dict:
        for key, item in value.items():
            if type(item) is str and (not item or item[0] != "["):
                continue
            try:
                _parse_value(item)
            except TemplateError as exc:
                exc.trail.append(f".{key}")
                raise
    elif kind is list:
        for i, item in enumerate(value):
            try:
                _parse_value(item)
            except TemplateError as exc:
                exc.trail.append(f"[{i}]")
                raise


def _group_id(key: str) -> str:
    """resourceId('Microsoft.Resources/resourceGroups', name) at subscription scope is
    /subscriptions/{sub}/providers/Microsoft.Resources/resourceGroups/{name} (ARM's documented dependsOn of a
    nested deployment on its group); the group itself is /subscriptions/{sub}/resourceGroups/{name}."""
    marker = "/providers/microsoft.resources/resourcegroups/"
    at = key.find(marker)
    if at < 0 or key.count("/") != 6:
        return key
    return key[:at] + "/resourcegroups/" + key[at + len(marker):]


def _topological(instances: list[ResourceInstance]) -> list[ResourceInstance]:
    """dependsOn order, otherwise template order; a cycle is ARM's InvalidTemplate."""
    position = {inst.id: i for i, inst in enumerate(instances)}
    by_id = {inst.id: inst for inst in instances}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    out: list[ResourceInstance] = []

    def visit(inst: ResourceInstance) -> None:
        mark = state.get(inst.id)
        if mark == 2:
            return
        if mark == 1:
            raise TemplateError(f"Circular dependency detected on resource: '{inst.id}'. Please see "
                                f"https://aka.ms/arm-template/#resources for usage details.", path=inst.path)
        state[inst.id] = 1
        for dep in sorted(inst.depends_on, key=lambda d: position[d]):
            visit(by_id[dep])
        state[inst.id] = 2
        out.append(inst)

    for inst in instances:
        visit(inst)
    return out
