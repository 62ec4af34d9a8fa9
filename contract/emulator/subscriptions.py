"""What every real client asks ARM first: its subscriptions, the resource providers, the cloud's endpoints.

`az login` lists subscriptions (and fails on a 404), SDKs and az read `providers/{namespace}` for the
api-versions a type supports, and `az cloud register` reads `/metadata/endpoints`. The emulator has one
subscription per id it has seen plus the default one, a provider catalog worked out from the spec (the
resource types and api-versions the emulator really serves), and the cloud metadata of
`contract.identity`, which points every endpoint at the emulator itself.
"""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from contract.emulator import query
from contract.emulator.http import Call, answer
from contract.identity import cloud_metadata
from contract.servers import arm_error
from contract.specs import Spec

DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
DEFAULT_TENANT = "00000000-0000-0000-0000-000000000000"
DISPLAY_NAME = "vmss-contract emulator"
_PARAM = re.compile(r"^\{[^}]+\}$")

Catalog = dict[str, dict[str, tuple[str, ...]]]  # namespace -> resource type -> api-versions, newest first


def _resource_type(path: str) -> tuple[str, str] | None:
    """(namespace, resource type) of a path template, or None for a path that names no resource.

    Below the last `providers/{Namespace}`, every literal followed by a `{name}` is a type level:
    `.../virtualMachineScaleSets/{n}/virtualMachines/{i}` is `virtualMachineScaleSets/virtualMachines`.
    A trailing literal without a name (a list or an action) names the same type as its item path does.
    ARM's own paths (`/subscriptions/{s}/resourcegroups/{g}`) belong to Microsoft.Resources.
    """
    segments = [s for s in path.split("/") if s]
    namespace = "Microsoft.Resources"
    start = 0
    for index in range(len(segments) - 1):
        if segments[index].lower() == "providers" and not _PARAM.match(segments[index + 1]):
            namespace, start = segments[index + 1], index + 2
    levels = [segments[i] for i in range(start, len(segments) - 1)
              if not _PARAM.match(segments[i]) and _PARAM.match(segments[i + 1])]
    if not levels:
        return None
    return namespace, "/".join(levels)


def _newest_first(versions: set[str]) -> tuple[str, ...]:
    return tuple(sorted(versions, reverse=True))


_CATALOGS: dict[int, tuple[Spec, Catalog]] = {}  # by spec identity (a Spec is not hashable)


def provider_catalog(spec: Spec) -> Catalog:
    """The resource types and api-versions the spec (so the emulator) serves, per provider namespace."""
    cached = _CATALOGS.get(id(spec))
    if cached is not None and cached[0] is spec:
        return cached[1]
    # Paths spell a type in more than one case (`virtualmachines`): fold them, keep the camelCase spelling.
    found: dict[str, dict[str, tuple[str, set[str]]]] = {}
    spelling: dict[str, str] = {}
    for operation in spec.operations.values():
        located = _resource_type(operation.path)
        if located is None:
            continue
        namespace, resource_type = located
        namespace = spelling.setdefault(namespace.lower(), namespace)
        types = found.setdefault(namespace, {})
        name, versions = types.get(resource_type.lower(), (resource_type, set()))
        if sum(c.isupper() for c in resource_type) > sum(c.isupper() for c in name):
            name = resource_type
        types[resource_type.lower()] = (name, versions | set(operation.api_versions))
    catalog = {namespace: {name: _newest_first(v) for name, v in sorted(types.values(), key=lambda t: t[0].lower())}
               for namespace, types in sorted(found.items())}
    _CATALOGS[id(spec)] = (spec, catalog)
    return catalog


def provider_view(subscription: str, namespace: str, types: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """A Provider as ARM answers it (shape: the GetProvider example of Microsoft.Resources 2022-12-01)."""
    return {
        "id": f"/subscriptions/{subscription}/providers/{namespace}",
        "namespace": namespace,
        "registrationState": "Registered",
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [{"resourceType": rt, "locations": [], "apiVersions": list(versions),
                           "defaultApiVersion": versions[0] if versions else None,
                           "capabilities": "None"} for rt, versions in types.items()],
    }


def subscription_view(subscription: str) -> dict[str, Any]:
    """A Subscription (shape: GetSubscriptions example, Microsoft.Resources subscriptions 2022-12-01)."""
    return {
        "id": f"/subscriptions/{subscription}",
        "subscriptionId": subscription,
        "tenantId": DEFAULT_TENANT,
        "displayName": DISPLAY_NAME,
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                 "spendingLimit": "Off"},
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": {},
    }


def known_subscriptions(call: Call) -> list[str]:
    """The default subscription and every one the emulator holds resources in (first spelling kept)."""
    seen: dict[str, str] = {DEFAULT_SUBSCRIPTION: DEFAULT_SUBSCRIPTION}
    for group in call.store.groups.values():
        seen.setdefault(group.subscription.lower(), group.subscription)
    return list(seen.values())


# --------------------------------------------------------------------------- handlers

def list_subscriptions(call: Call) -> web.Response:
    return answer(200, query.page(call, [subscription_view(s) for s in known_subscriptions(call)]))


def get_subscription(call: Call) -> web.Response:
    """Any well-formed subscription id exists here: the emulator creates groups in whichever one is used."""
    return answer(200, subscription_view(call.params["subscriptionId"]))


def list_providers(call: Call) -> web.Response:
    subscription = call.params["subscriptionId"]
    catalog = provider_catalog(call.contract.spec)
    return answer(200, query.page(call, [provider_view(subscription, ns, types) for ns, types in catalog.items()]))


def get_provider(call: Call) -> web.Response:
    subscription, wanted = call.params["subscriptionId"], call.params["resourceProviderNamespace"]
    for namespace, types in provider_catalog(call.contract.spec).items():
        if namespace.lower() == wanted.lower():
            return answer(200, provider_view(subscription, namespace, types))
    # ARM's words for a namespace it does not know (seen in Azure/aci-connector-k8s#13).
    return arm_error(404, "InvalidResourceNamespace", f"The resource namespace '{wanted}' is invalid.")


def get_cloud_metadata(call: Call) -> web.Response:
    """`GET /metadata/endpoints`: unauthenticated, every endpoint pointing here (see contract.identity)."""
    return answer(200, cloud_metadata(call.origin))


HANDLERS = {
    "Subscriptions_List": list_subscriptions,
    "Subscriptions_Get": get_subscription,
    "Providers_List": list_providers,
    "Providers_Get": get_provider,
    "MetadataEndpoints_Get": get_cloud_metadata,
}
