"""The deployment engine beyond dependsOn (issue 12's rest): implicit dependencies from reference()/list*(),
WhatIf at resource-group scope, and deployments at subscription, management-group and tenant scope.
Real SDK (azure-mgmt-resource) over TLS against the emulator; the ordering cases also as raw HTTP."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web

from contract.emulator import create_app
from contract.servers import BackgroundServer
from support import Capture, assert_no_violations

SUB = "00000000-0000-0000-0000-0000000000de"
RG = "rg-engine"
HEADERS = {"Authorization": "Bearer x"}


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-tls")


@pytest.fixture
def capture() -> Capture:
    return Capture()


@pytest.fixture
def server(tls_dir: Path, capture: Capture) -> Iterator[BackgroundServer]:
    def factory() -> web.Application:
        app = create_app(lro_polls=1)
        app.middlewares.insert(0, capture.middleware)
        return app

    srv = BackgroundServer(factory, tls=True, tls_dir=tls_dir).start()
    yield srv
    srv.stop()


def checked_clean(capture: Capture) -> None:
    """Everything the emulator answered is inside the contract and keeps it."""
    from contract.checker import check

    report = check(capture.interactions)
    assert_no_violations(report)
    assert report.outside_contract == 0, [(o.method, o.uri, o.reason) for o in report.outside]


def http(srv: BackgroundServer) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE would override the per-session CA
    s.verify = str(srv.ca_path)
    s.headers.update(HEADERS)
    return s


def group(srv: BackgroundServer, name: str = RG) -> None:
    r = http(srv).put(f"{srv.url}/subscriptions/{SUB}/resourcegroups/{name}?api-version=2022-09-01",
                      json={"location": "westus"})
    assert r.status_code in (200, 201), r.text


def run_deployment(srv: BackgroundServer, name: str, template: dict[str, Any], scope: str | None = None,
                   api: str = "2022-09-01", body: dict[str, Any] | None = None) -> dict[str, Any]:
    """PUT, poll the operation status to its end, GET: the deployment as ARM answers it at the end."""
    s = http(srv)
    scope = scope if scope is not None else f"/subscriptions/{SUB}/resourcegroups/{RG}"
    url = f"{srv.url}{scope}/providers/Microsoft.Resources/deployments/{name}?api-version={api}"
    r = s.put(url, json=body or {"properties": {"mode": "Incremental", "template": template}})
    assert r.status_code == 201, r.text
    status = r.headers["Azure-AsyncOperation"]
    for _ in range(10):
        if s.get(status).json()["status"] in ("Succeeded", "Failed", "Canceled"):
            break
    return s.get(url).json()


def vnet(name: str, prefix: str = "10.1.0.0/16", **extra: Any) -> dict[str, Any]:
    return {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2022-01-01", "name": name,
            "location": "westus", "properties": {"addressSpace": {"addressPrefixes": [prefix]}}, **extra}


def ordered_template(reader: str) -> dict[str, Any]:
    """A public IP listed *before* the vnet whose address prefix its tag reads: only an implicit
    dependency makes the vnet deploy first."""
    return {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [{"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2022-01-01", "name": "ip1",
                           "location": "westus", "tags": {"prefix": reader},
                           "properties": {"publicIPAllocationMethod": "Static"}, "sku": {"name": "Standard"}},
                          vnet("net1")]}


# ----------------------------------------------------------------------------- implicit dependencies

def test_reference_by_name_orders_the_reader_after_the_resource(server: BackgroundServer, capture: Capture) -> None:
    group(server)
    done = run_deployment(server, "implicit", ordered_template(
        "[reference('net1').addressSpace.addressPrefixes[0]]"))
    props = done["properties"]
    assert props["provisioningState"] == "Succeeded", props.get("error")
    ops = http(server).get(f"{server.url}/subscriptions/{SUB}/resourcegroups/{RG}/"
                           f"deployments/implicit/operations?api-version=2022-09-01").json()["value"]
    # DeploymentOperations in the order they ran: the vnet first, though the template lists it second
    assert [o["properties"]["targetResource"]["resourceName"] for o in ops] == ["net1", "ip1"]
    assert [(d["resourceName"], [x["resourceName"] for x in d["dependsOn"]]) for d in props["dependencies"]] == \
        [("ip1", ["net1"])]
    ip = http(server).get(f"{server.url}/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/"
                          f"publicIPAddresses/ip1?api-version=2022-01-01").json()
    assert ip["tags"] == {"prefix": "10.1.0.0/16"}
    checked_clean(capture)


def test_reference_by_resource_id_is_not_an_implicit_dependency(server: BackgroundServer) -> None:
    """ARM's documentation: passing the resource ID creates no implicit dependency; without dependsOn the
    reader runs in template order and the vnet does not exist yet."""
    group(server)
    done = run_deployment(server, "by-id", ordered_template(
        "[reference(resourceId('Microsoft.Network/virtualNetworks', 'net1'), '2022-01-01')"
        ".addressSpace.addressPrefixes[0]]"))
    props = done["properties"]
    assert props["provisioningState"] == "Failed"
    assert props["error"]["code"] == "DeploymentFailed"
    assert "net1" in props["error"]["details"][0]["message"]


def test_implicit_dependency_cycle_is_invalid_template(server: BackgroundServer) -> None:
    group(server)
    template = ordered_template("[reference('net1').addressSpace.addressPrefixes[0]]")
    template["resources"][1]["tags"] = {"ip": "[reference('ip1').publicIPAllocationMethod]"}
    r = http(server).put(f"{server.url}/subscriptions/{SUB}/resourcegroups/{RG}/providers/Microsoft.Resources/"
                         f"deployments/cycle?api-version=2022-09-01",
                         json={"properties": {"mode": "Incremental", "template": template}})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "InvalidTemplate"
    assert "Circular dependency" in r.json()["error"]["message"]


def test_list_function_orders_too_and_an_unserved_action_fails_naming_it(server: BackgroundServer) -> None:
    group(server)
    template = ordered_template("[string(listKeys('net1', '2022-01-01'))]")
    done = run_deployment(server, "lister", template)
    props = done["properties"]
    ops = http(server).get(f"{server.url}/subscriptions/{SUB}/resourcegroups/{RG}/"
                           f"deployments/lister/operations?api-version=2022-09-01").json()["value"]
    # ordered after the vnet (implicit dependency), then refused: the emulator serves no listKeys on a vnet
    assert [o["properties"]["targetResource"]["resourceName"] for o in ops] == ["net1", "ip1"]
    assert props["provisioningState"] == "Failed"
    assert "listKeys" in props["error"]["details"][0]["message"]


# ----------------------------------------------------------------------------- what-if

def sdk_clients(srv: BackgroundServer) -> dict[str, Any]:
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.resource.deployments import DeploymentsMgmtClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    from contract.plugin import StaticCredential

    kwargs = {"base_url": srv.url, "connection_verify": str(srv.ca_path), "retry_total": 0}
    return {"deploy": DeploymentsMgmtClient(StaticCredential(), SUB, **kwargs),
            "groups": ResourceManagementClient(StaticCredential(), SUB, **kwargs),
            "compute": ComputeManagementClient(StaticCredential(), SUB, **kwargs)}


def net_template(prefix: str = "10.1.0.0/16", tag: str = "a", extra: list[dict[str, Any]] | None = None,
                 secret: bool = False) -> dict[str, Any]:
    template: dict[str, Any] = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0", "parameters": {},
        "resources": [vnet("net1", prefix, tags={"t": tag}), *(extra or [])]}
    if secret:
        template["parameters"]["token"] = {"type": "secureString"}
        template["resources"][0]["tags"]["secret"] = "[parameters('token')]"
    return template


def test_sdk_what_if_create_then_nochange_modify_ignore_and_complete_delete(server: BackgroundServer,
                                                                           capture: Capture) -> None:
    c = sdk_clients(server)
    c["groups"].resource_groups.create_or_update(RG, {"location": "westus"})
    body = {"properties": {"mode": "Incremental", "template": net_template()}}
    first = c["deploy"].deployments.begin_what_if(RG, "wi", body).result()
    assert first.status == "Succeeded"
    assert [(ch.change_type, ch.resource_id.rsplit("/", 1)[-1]) for ch in first.changes] == [("Create", "net1")]
    assert first.changes[0].after["properties"]["addressSpace"]["addressPrefixes"] == ["10.1.0.0/16"]
    # what-if deploys nothing
    assert [r.name for r in c["groups"].resources.list_by_resource_group(RG)] == []
    c["deploy"].deployments.begin_create_or_update(RG, "real", body).result()
    same = c["deploy"].deployments.begin_what_if(RG, "wi", body).result()
    assert [ch.change_type for ch in same.changes] == ["NoChange"]
    assert same.changes[0].before["properties"]["provisioningState"] == "Succeeded"
    # a changed prefix and tag, plus a public IP the template now also names
    ip = {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2022-01-01", "name": "ip9",
          "location": "westus", "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static"}}
    changed = {"properties": {"mode": "Incremental", "template": net_template("10.2.0.0/16", "b", [ip])}}
    result = c["deploy"].deployments.begin_what_if(RG, "wi", changed).result()
    kinds = {ch.resource_id.rsplit("/", 1)[-1]: ch for ch in result.changes}
    assert kinds["net1"].change_type == "Modify" and kinds["ip9"].change_type == "Create"
    delta = {d.path: d for d in kinds["net1"].delta}
    assert delta["tags.t"].property_change_type == "Modify"
    assert (delta["tags.t"].before, delta["tags.t"].after) == ("a", "b")
    prefixes = delta["properties.addressSpace.addressPrefixes"]
    assert prefixes.property_change_type == "Array"
    assert [(k.path, k.property_change_type, k.before, k.after) for k in prefixes.children] == \
        [("0", "Modify", "10.1.0.0/16", "10.2.0.0/16")]
    # a resource the template no longer names: Ignore in Incremental, Delete in Complete
    only_ip = {"properties": {"mode": "Incremental", "template": {**net_template(), "resources": [ip]}}}
    ignored = c["deploy"].deployments.begin_what_if(RG, "wi", only_ip).result()
    assert sorted((ch.change_type, ch.resource_id.rsplit("/", 1)[-1]) for ch in ignored.changes) == \
        [("Create", "ip9"), ("Ignore", "net1")]
    only_ip["properties"]["mode"] = "Complete"
    only_ip["properties"]["whatIfSettings"] = {"resultFormat": "ResourceIdOnly"}
    complete = c["deploy"].deployments.begin_what_if(RG, "wi", only_ip).result()
    assert sorted((ch.change_type, ch.resource_id.rsplit("/", 1)[-1]) for ch in complete.changes) == \
        [("Create", "ip9"), ("Delete", "net1")]
    assert all(ch.before is None and ch.after is None for ch in complete.changes)
    # still nothing deployed or deleted by any what-if
    assert [r.name for r in c["groups"].resources.list_by_resource_group(RG)] == ["net1"]
    checked_clean(capture)


def test_what_if_hides_secure_values_refuses_bad_templates_and_is_checked_clean(server: BackgroundServer) -> None:
    from contract.cassette import Interaction, Request, Response
    from contract.checker import check

    group(server)
    s = http(server)
    url = (f"{server.url}/subscriptions/{SUB}/resourcegroups/{RG}/providers/Microsoft.Resources/deployments/"
           f"w/whatIf?api-version=2022-09-01")
    body = {"properties": {"mode": "Incremental", "template": net_template(secret=True),
                           "parameters": {"token": {"value": "S3cret-Token-Value"}}}}
    traffic = []
    r = s.post(url, json=body)
    traffic.append((r.request, r))
    assert r.status_code == 202 and "operationresults" in r.headers["Location"]
    for _ in range(5):
        r = s.get(r.headers.get("Location") or r.url)
        traffic.append((r.request, r))
        if r.status_code == 200:
            break
    assert r.status_code == 200 and "S3cret-Token-Value" not in r.text
    assert r.json()["properties"]["changes"][0]["changeType"] == "Create"
    bad = {"properties": {"mode": "Incremental", "template": {**net_template(), "resources": [
        {**vnet("n2"), "name": "[nosuch()]"}]}}}
    refused = s.post(url, json=bad)
    traffic.append((refused.request, refused))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "InvalidTemplate"
    interactions = [Interaction(Request(q.method, q.url.replace(server.url, "https://management.azure.com"),
                                        q.body if isinstance(q.body, (str, type(None))) else q.body.decode(),
                                        {k: [v] for k, v in q.headers.items()}),
                                Response(a.status_code, a.reason, {k: [v] for k, v in a.headers.items()}, a.text))
                    for q, a in traffic]
    report = check(interactions)
    assert report.outside_contract == 0 and report.checked == len(interactions)
    assert not report.violations, [v.message for v in report.violations]


def test_bodies_arms_json_reader_accepts_beyond_strict_json() -> None:
    """azure-cli's JsonCTemplatePolicy sends `..., template:{...}}}` with the template file's own text
    (comments allowed); ARM (Json.NET) reads it, so the guard and the checker read it too. Broken JSON stays
    refused."""
    from contract.jsondepth import as_strict_json, parse_json

    spliced = '{"properties": {"mode": "Incremental", template:{\r\n  // a comment\n  "a": "x//y", /* b */ "c": [1]}}}'
    assert parse_json(spliced) == {"properties": {"mode": "Incremental", "template": {"a": "x//y", "c": [1]}}}
    assert parse_json(spliced.encode()) == parse_json(spliced)
    for broken in ('{"location": "westus",', '{"a": 1 /* open', "[1, 2", '{"a": "b" "c"}'):
        with pytest.raises(ValueError):
            parse_json(broken)
    assert as_strict_json('{"a": "b:c"}') is None  # nothing to rewrite: strict JSON is left alone


# ----------------------------------------------------------------------------- subscription scope

def subscription_template() -> dict[str, Any]:
    """The documented shape (deploy-to-subscription, "Create resource group and resources"): a resource group,
    and a nested deployment into it (dependsOn the group by resourceId, expressions evaluated 'inner') that
    creates a vnet whose name it is passed as a parameter."""
    return {
        "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"rgName": {"type": "string"}, "netName": {"type": "string", "defaultValue": "subnet1"}},
        "resources": [
            {"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2022-09-01", "name": "[parameters('rgName')]",
             "location": "westus", "tags": {"made": "sub"}, "properties": {}},
            {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
             "resourceGroup": "[parameters('rgName')]",
             "dependsOn": ["[resourceId('Microsoft.Resources/resourceGroups/', parameters('rgName'))]"],
             "properties": {
                 "expressionEvaluationOptions": {"scope": "inner"}, "mode": "Incremental",
                 "parameters": {"name": {"value": "[parameters('netName')]"}},
                 "template": {
                     "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                     "contentVersion": "1.0.0.0", "parameters": {"name": {"type": "string"}},
                     "resources": [{"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2022-01-01",
                                    "name": "[parameters('name')]", "location": "[resourceGroup().location]",
                                    "properties": {"addressSpace": {"addressPrefixes": ["10.4.0.0/16"]}}}],
                     "outputs": {"net": {"type": "string",
                                         "value": "[resourceId('Microsoft.Network/virtualNetworks', "
                                                  "parameters('name'))]"}}}}}],
        "outputs": {"group": {"type": "string",
                              "value": "[subscriptionResourceId('Microsoft.Resources/resourceGroups', "
                                       "parameters('rgName'))]"}}}


def test_sdk_subscription_scope_deployment_creates_a_group_and_deploys_into_it(server: BackgroundServer,
                                                                              capture: Capture) -> None:
    c = sdk_clients(server)
    deploy = c["deploy"].deployments
    body = {"location": "westus", "properties": {"mode": "Incremental", "template": subscription_template(),
                                                 "parameters": {"rgName": {"value": "made-by-sub"}}}}
    valid = deploy.begin_validate_at_subscription_scope("subdep", body).result()
    assert [r.id.rsplit("/", 2)[-2:] for r in valid.properties.validated_resources] == \
        [["resourceGroups", "made-by-sub"], ["deployments", "inner"]]
    assert not c["groups"].resource_groups.check_existence("made-by-sub")  # validation deploys nothing
    done = deploy.begin_create_or_update_at_subscription_scope("subdep", body).result()
    assert done.properties.provisioning_state == "Succeeded", done.properties.error
    assert done.id == f"/subscriptions/{SUB}/providers/Microsoft.Resources/deployments/subdep"
    assert done.location == "westus"
    assert done.properties.outputs["group"]["value"] == \
        f"/subscriptions/{SUB}/providers/Microsoft.Resources/resourceGroups/made-by-sub"
    made = c["groups"].resource_groups.get("made-by-sub")
    assert (made.location, made.tags) == ("westus", {"made": "sub"})
    assert [r.name for r in c["groups"].resources.list_by_resource_group("made-by-sub")] == ["subnet1"]
    inner = deploy.get("made-by-sub", "inner")  # the nested deployment lives in its group
    assert inner.properties.provisioning_state == "Succeeded"
    assert inner.properties.outputs["net"]["value"].endswith("/resourceGroups/made-by-sub/providers/"
                                                             "Microsoft.Network/virtualNetworks/subnet1")
    ops = list(c["deploy"].deployment_operations.list_at_subscription_scope("subdep"))
    assert [o.properties.target_resource.resource_name for o in ops] == ["made-by-sub", "inner"]
    assert [d.name for d in deploy.list_at_subscription_scope()] == ["subdep"]
    assert deploy.check_existence_at_subscription_scope("subdep")
    deploy.begin_delete_at_subscription_scope("subdep").result()
    assert not deploy.check_existence_at_subscription_scope("subdep")
    assert c["groups"].resource_groups.check_existence("made-by-sub")  # the history goes, the group stays
    checked_clean(capture)


def test_subscription_scope_refusals_and_a_failed_nested_deployment(server: BackgroundServer) -> None:
    s = http(server)
    url = f"{server.url}/subscriptions/{SUB}/providers/Microsoft.Resources/deployments/d?api-version=2022-09-01"
    body = {"properties": {"mode": "Incremental", "template": subscription_template(),
                           "parameters": {"rgName": {"value": "g2"}}}}
    missing = s.put(url, json=body)  # no location
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "InvalidDeployment"
    assert "'location' property must be specified" in missing.json()["error"]["message"]
    uses_group = {"location": "westus", "properties": {"mode": "Incremental", "template": {
        **subscription_template(), "outputs": {"x": {"type": "string", "value": "[resourceGroup().name]"}}},
        "parameters": {"rgName": {"value": "g2"}}}}
    done = run_deployment(server, "d", {}, scope=f"/subscriptions/{SUB}", body=uses_group)
    assert done["properties"]["provisioningState"] == "Failed"  # outputs are evaluated at the end
    assert "resourceGroup" in str(done["properties"]["error"])
    bad_inner = subscription_template()
    bad_inner["resources"][1]["properties"]["template"]["resources"][0]["properties"]["addressSpace"] = "nope"
    failed = run_deployment(server, "d2", {}, scope=f"/subscriptions/{SUB}", body={
        "location": "westus", "properties": {"mode": "Incremental", "template": bad_inner,
                                             "parameters": {"rgName": {"value": "g3"}}}})
    props = failed["properties"]
    assert props["provisioningState"] == "Failed" and props["error"]["code"] == "DeploymentFailed"
    assert props["error"]["details"][0]["code"] == "DeploymentFailed"  # the nested deployment's own error


MG = "/providers/Microsoft.Management/managementGroups/mg1"


def scoped_template(output: str) -> dict[str, Any]:
    """A management-group or tenant template: a nested deployment into the subscription that makes a group."""
    inner = {"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
             "contentVersion": "1.0.0.0", "resources": [
                 {"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2022-09-01", "name": "made-from-above",
                  "location": "westus", "properties": {}}]}
    return {"$schema": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "into-sub",
                           "subscriptionId": SUB, "location": "[deployment().location]",
                           "properties": {"mode": "Incremental", "template": inner}}],
            "outputs": {"where": {"type": "string", "value": output},
                        "location": {"type": "string", "value": "[deployment().location]"}}}


@pytest.mark.parametrize("scope", ["management group", "tenant"])
def test_sdk_management_group_and_tenant_scope_deployments(server: BackgroundServer, capture: Capture,
                                                           scope: str) -> None:
    """azure-mgmt-resource-deployments over TLS: begin_create_or_update_at_management_group_scope /
    ..._at_tenant_scope run the template (a nested deployment into the subscription making a group), then get,
    exists, list, operations, export, delete (polled), as at subscription scope."""
    c = sdk_clients(server)
    deploy, ops = c["deploy"].deployments, c["deploy"].deployment_operations
    at_mg = scope == "management group"
    body = {"location": "eastus", "properties": {"mode": "Incremental", "template": scoped_template(
        "[managementGroup().id]" if at_mg else "[tenant().tenantId]")}}
    args: tuple[str, ...] = ("mg1",) if at_mg else ()
    suffix = "management_group_scope" if at_mg else "tenant_scope"

    def call(kind: str, method: str, *rest: Any) -> Any:
        return getattr(kind == "ops" and ops or deploy, f"{method}_at_{suffix}")(*args, *rest)

    valid = call("deploy", "begin_validate", "scoped", body).result()
    assert valid.properties.provisioning_state == "Succeeded"
    done = call("deploy", "begin_create_or_update", "scoped", body).result()
    assert done.properties.provisioning_state == "Succeeded", done.properties.error
    root = MG if at_mg else ""
    assert done.id == f"{root}/providers/Microsoft.Resources/deployments/scoped"
    assert done.location == "eastus"
    assert done.properties.outputs["where"]["value"] == (MG if at_mg else "00000000-0000-0000-0000-000000000000")
    assert done.properties.outputs["location"]["value"] == "eastus"
    assert c["groups"].resource_groups.get("made-from-above").location == "westus"
    nested = deploy.get_at_subscription_scope("into-sub")
    assert nested.properties.provisioning_state == "Succeeded" and nested.location == "eastus"
    assert call("deploy", "check_existence", "scoped")
    assert call("deploy", "get", "scoped").properties.provisioning_state == "Succeeded"
    assert [d.name for d in call("deploy", "list")] == ["scoped"]
    assert "into-sub" in str(call("deploy", "export_template", "scoped").template)
    listed = list(call("ops", "list", "scoped"))
    assert [o.properties.target_resource.id for o in listed] == \
        [f"/subscriptions/{SUB}/providers/Microsoft.Resources/deployments/into-sub"]
    assert call("ops", "get", "scoped", listed[0].operation_id).properties.provisioning_state == "Succeeded"
    call("deploy", "begin_delete", "scoped").result()
    assert not call("deploy", "check_existence", "scoped")
    assert not [d.name for d in call("deploy", "list")]
    checked_clean(capture)


@pytest.mark.parametrize("scope", [MG, ""])
def test_management_group_and_tenant_scope_refusals(server: BackgroundServer, capture: Capture, scope: str) -> None:
    """A type the emulator does not serve there fails validation naming it; subscription() and resourceGroup()
    are not there (InvalidTemplate); a location is required; a group without a subscription is refused."""
    s = http(server)
    url = f"{server.url}{scope}/providers/Microsoft.Resources/deployments/d?api-version=2022-09-01"

    def put(template: dict[str, Any], location: str | None = "westus") -> requests.Response:
        body: dict[str, Any] = {"properties": {"mode": "Incremental", "template": template}}
        if location:
            body["location"] = location
        return s.put(url, json=body)

    base = {"$schema": "x", "contentVersion": "1.0.0.0", "resources": []}
    policy = put({**base, "resources": [{"type": "Microsoft.Authorization/policyDefinitions",
                                         "apiVersion": "2021-06-01", "name": "p", "properties": {}}]})
    assert policy.status_code == 400 and policy.json()["error"]["code"] == "InvalidTemplateDeployment", policy.text
    inner = policy.json()["error"]["details"][0]
    assert inner["code"] in ("InvalidResourceType", "NoRegisteredProviderFound")
    assert "policyDefinitions" in inner["message"] and inner["target"].startswith(f"{scope}/providers/Microsoft.Auth")
    group = put({**base, "resources": [{"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2022-09-01",
                                        "name": "g", "location": "westus"}]})
    assert group.status_code == 400 and "resourceGroups" in group.text
    for i, function in enumerate(("subscription", "resourceGroup") + (() if scope else ("managementGroup",))):
        template = {**base, "outputs": {"x": {"type": "string", "value": f"[{function}().id]"}}}
        ended = run_deployment(server, f"f{i}", template, scope=scope, body={
            "location": "westus", "properties": {"mode": "Incremental", "template": template}})
        assert ended["properties"]["provisioningState"] == "Failed"  # outputs are evaluated at the end
        assert f"'{function}' is not expected at this location" in str(ended["properties"]["error"])
    nowhere = put(base, location=None)  # ScopedDeployment requires it (the swagger), as ARM does
    assert nowhere.status_code == 400 and "location" in nowhere.text, nowhere.text
    no_sub = put({**base, "resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
                                         "name": "n", "resourceGroup": "g", "properties": {"mode": "Incremental",
                                                                                          "template": base}}]})
    assert no_sub.status_code == 400 and no_sub.json()["error"]["code"] == "InvalidTemplate", no_sub.text
    checked_clean(capture)
