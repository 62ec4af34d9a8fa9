"""Mutation suite: for every rule, plant exactly that violation in real traffic and
check the checker reports it under that rule id, and nothing else new.

Bases are real corpus cassettes, plus one lifecycle assembled from real interactions
(GET 404 -> PUT 201 -> ... -> DELETE -> GET 404) so the create/delete rules have
something to bite on; each base must itself check clean.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, Callable

import pytest

from contract import check
from contract.cassette import Cassette, Interaction, Request, Response, load_cassette
from contract.checker import RULES

REC = Path(__file__).parent / "data" / "recordings"
_cache: dict[str, Cassette] = {}


def corpus(name: str) -> Cassette:
    if name not in _cache:
        _cache[name] = load_cassette(REC / f"{name}.yaml")
    return copy.deepcopy(_cache[name])


def body(i: Interaction) -> Any:
    return json.loads(i.response.content)


def set_body(i: Interaction, value: Any) -> None:
    i.response.body = "" if value is None else json.dumps(value)


def edit(i: Interaction, fn: Callable[[Any], Any]) -> None:
    b = body(i)
    out = fn(b)
    set_body(i, b if out is None else out)


def set_header(i: Interaction, name: str, value: str | None) -> None:
    for k in [k for k in i.response.headers if k.lower() == name.lower()]:
        del i.response.headers[k]
    if value is not None:
        i.response.headers[name] = [value]


def lifecycle() -> Cassette:
    """create_and_modify with its template deployment replaced by a direct create, ending in 404."""
    c = corpus("test_vmss_create_and_modify")
    ext = corpus("test_vmss_extension")
    it = c.interactions
    vmss_uri = it[15].request.uri
    not_found = copy.deepcopy(ext.interactions[9])
    not_found.request.uri = vmss_uri
    created = copy.deepcopy(it[38])
    created.response.status = 201
    created.request.body = json.dumps({"location": "westus", "sku": body(it[15])["sku"],
                                       "properties": {"upgradePolicy": {"mode": "Manual"}}})
    model = body(it[15])
    model["properties"]["provisioningState"] = "Creating"
    set_body(created, model)
    op = "aaaaaaaa-0000-4000-8000-000000000001"
    ao = re.sub(r"operations/[^?]+", f"operations/{op}", created.response.header("azure-asyncoperation"))
    set_header(created, "Azure-AsyncOperation", ao)
    done = copy.deepcopy(it[40])
    done.request.uri = ao
    edit(done, lambda b: b.update(name=op))
    gone = copy.deepcopy(not_found)
    c.interactions = it[:10] + [not_found, created, done] + it[15:55] + [gone] + it[55:]
    return c


def rules_in(c: Cassette) -> dict[str, int]:
    return check([c]).by_rule()


def test_bases_are_clean() -> None:
    for c in (lifecycle(), corpus("test_vmss_run_command_v2"), corpus("test_vmss_extension"),
              corpus("test_vmss_update_automatic_repairs_with_health_extension")):
        report = check([c])
        assert report.violations == [], [(v.interaction, v.rule, v.message) for v in report.violations]
        assert report.checked > 10


# index helpers for the lifecycle: positions after the splice
L_GET404, L_PUT201, L_POLL, L_GET = 10, 11, 12, 13  # L_GET is the old #15
L_SHIFT = 15 - L_GET  # old index -> new index: old - 2


def li(old: int) -> int:
    return old - L_SHIFT


def m_undocumented(c: Cassette) -> None:
    i = c.interactions[li(21)]  # POST manualupgrade -> an action no document describes
    i.request.uri = i.request.uri.replace("/manualupgrade", "/frobnicate")


def m_api_version_missing(c: Cassette) -> None:
    i = c.interactions[li(19)]
    i.request.uri = i.request.uri.split("?")[0]


def m_api_version_unknown(c: Cassette) -> None:
    i = c.interactions[li(19)]
    i.request.uri = i.request.uri.replace("api-version=2022-11-01", "api-version=1999-01-01")


def m_invalid_request(c: Cassette) -> None:
    i = c.interactions[li(38)]  # PUT update answered 200
    b = json.loads(i.request.body)
    b["notAMember"] = True
    i.request.body = json.dumps(b)


def m_undeclared_status(c: Cassette) -> None:
    c.interactions[li(19)].response.status = 203


def m_error_shape(c: Cassette) -> None:
    set_body(c.interactions[L_GET404], {"message": "not here"})


def m_response_schema(c: Cassette) -> None:
    edit(c.interactions[li(19)], lambda b: b["properties"].update(upgradePolicy={"mode": 7}))


def m_empty_body(c: Cassette) -> None:
    set_body(c.interactions[li(19)], None)
    set_header(c.interactions[li(19)], "Content-Type", None)


def m_secret(c: Cassette) -> None:
    edit(c.interactions[li(19)],
         lambda b: b["properties"]["virtualMachineProfile"]["osProfile"].update(adminPassword="hunter2!Secret"))


def m_lro_headers(c: Cassette) -> None:
    i = c.interactions[li(27)]  # POST poweroff 202
    set_header(i, "Azure-AsyncOperation", None)
    set_header(i, "Location", None)


def m_content_type(c: Cassette) -> None:
    set_header(c.interactions[li(19)], "Content-Type", "text/plain; charset=utf-8")


def m_retry_after_on_404(c: Cassette) -> None:
    set_header(c.interactions[L_GET404], "Retry-After", "10")


def m_get_before_create(c: Cassette) -> None:
    i = c.interactions[L_GET404]
    i.response.status = 200
    i.response.body = c.interactions[L_GET].response.body
    set_header(i, "Content-Type", "application/json; charset=utf-8")


def m_create_status_second_put(c: Cassette) -> None:
    c.interactions[li(38)].response.status = 201


def m_create_status_first_put(c: Cassette) -> None:
    c.interactions[L_PUT201].response.status = 200


def m_state_transition(c: Cassette) -> None:
    edit(c.interactions[li(42)], lambda b: b["properties"].update(provisioningState="Updating"))


def m_state_back_to_creating(c: Cassette) -> None:
    edit(c.interactions[li(37)], lambda b: b["properties"].update(provisioningState="Creating"))


def m_terminal(c: Cassette) -> None:
    again = copy.deepcopy(c.interactions[li(23)])  # InProgress, after the same operation answered Succeeded
    c.interactions.insert(li(24) + 1, again)


def m_poll_status(c: Cassette) -> None:
    i = c.interactions[li(25)]  # GET monitor=true Location
    i.response.status = 404
    set_body(i, {"error": {"code": "NotFound", "message": "gone"}})


def m_lro_result(c: Cassette) -> None:
    edit(c.interactions[li(41)], lambda b: b["properties"].update(provisioningState="Updating"))


def m_capacity(c: Cassette) -> None:
    edit(c.interactions[li(43)], lambda b: b.update(value=b["value"][:-1]))


def m_deleted(c: Cassette) -> None:
    gone = c.interactions[li(54) + 1]
    gone.response.status = 200
    gone.response.body = c.interactions[li(42)].response.body
    set_header(gone, "Content-Type", "application/json; charset=utf-8")


def m_single_placement_group(c: Cassette) -> None:
    # 37 shows false; 38 (the PUT's answer) flips it back to true
    edit(c.interactions[li(19)], lambda b: b["properties"].update(singlePlacementGroup=False))
    edit(c.interactions[li(37)], lambda b: b["properties"].update(singlePlacementGroup=False))


LIFECYCLE_MUTATIONS = [
    ("undocumented-operation", m_undocumented),
    ("api-version-missing", m_api_version_missing),
    ("api-version-unknown", m_api_version_unknown),
    ("invalid-request-accepted", m_invalid_request),
    ("undeclared-status", m_undeclared_status),
    ("error-shape", m_error_shape),
    ("response-schema", m_response_schema),
    ("empty-body", m_empty_body),
    ("secret-echoed", m_secret),
    ("lro-headers", m_lro_headers),
    ("json-content-type", m_content_type),
    ("retry-after-on-error", m_retry_after_on_404),
    ("get-before-create", m_get_before_create),
    ("create-status", m_create_status_second_put),
    ("create-status", m_create_status_first_put),
    ("provisioning-state-transition", m_state_transition),
    ("provisioning-state-transition", m_state_back_to_creating),
    ("operation-status-terminal", m_terminal),
    ("lro-poll-status", m_poll_status),
    ("lro-result", m_lro_result),
    ("capacity-mismatch", m_capacity),
    ("deleted-resource-answered", m_deleted),
    ("single-placement-group-one-way", m_single_placement_group),
]


def _assert_only(c: Cassette, rule: str) -> None:
    found = rules_in(c)
    assert set(found) == {rule}, found


@pytest.mark.parametrize("rule,mutate", LIFECYCLE_MUTATIONS, ids=[m.__name__ for _, m in LIFECYCLE_MUTATIONS])
def test_lifecycle_mutation(rule: str, mutate: Callable[[Cassette], None]) -> None:
    c = lifecycle()
    mutate(c)
    _assert_only(c, rule)


def test_capacity_not_judged_on_a_filtered_or_paged_list() -> None:
    for change in ("filter", "page"):
        c = lifecycle()
        m_capacity(c)
        listing = c.interactions[li(43)]
        if change == "filter":
            listing.request.uri += "&$filter=startswith(instanceView/statuses/code,'PowerState')"
        else:
            edit(listing, lambda b: b.update(nextLink=listing.request.uri + "&$skiptoken=2"))
        assert rules_in(c) == {}, change


def test_manual_upgrade_latest_model() -> None:
    # real traffic: Manual mode, the PUT at 13 changes the model, VMs at 17 show latestModelApplied false
    c = corpus("test_vmss_update_automatic_repairs_with_health_extension")
    edit(c.interactions[17], lambda b: b["value"][1]["properties"].update(latestModelApplied=True))
    _assert_only(c, "manual-upgrade-latest-model")


def test_create_time_property_changed() -> None:
    # real traffic: GET 14, PUT 15 (update), GET 18; the last model shows another image offer
    c = corpus("test_vmss_update_policy")
    edit(c.interactions[18], lambda b: b["properties"]["virtualMachineProfile"]["storageProfile"]
         ["imageReference"].update(offer="SomethingElse"))
    _assert_only(c, "immutable-image-offer")


def test_run_command_ends_succeeded_or_failed() -> None:
    c = corpus("test_vmss_run_command_v2")
    for i in (17, 18):  # both reads after the create finished show Canceled
        edit(c.interactions[i], lambda b: b["properties"].update(provisioningState="Canceled"))
    _assert_only(c, "run-command-terminal")


def test_undocumented_request_refused_is_fine() -> None:
    c = lifecycle()
    m_undocumented(c)
    i = c.interactions[li(21)]
    i.response.status = 404
    i.response.body = '{"error": {"code": "NotFound", "message": "no such action"}}'
    i.response.headers = {"Content-Type": ["application/json; charset=utf-8"]}
    assert rules_in(c) == {}


def test_synchronous_run_command_still_running_after_it_finished() -> None:
    c = corpus("test_vmss_run_command_v2")  # 18: GET ?$expand=instanceView, executionState Failed
    edit(c.interactions[18], lambda b: b["properties"]["instanceView"].update(executionState="Running"))
    _assert_only(c, "run-command-terminal")


def test_run_command_create_answered_twice() -> None:
    c = corpus("test_vmss_run_command_v2")
    again = copy.deepcopy(c.interactions[14])  # the create PUT 201, answered 201 again later
    c.interactions.insert(20, again)
    assert "create-status" in rules_in(c)


def test_every_checker_rule_has_a_mutation() -> None:
    planted = {r for r, _ in LIFECYCLE_MUTATIONS} | {"manual-upgrade-latest-model", "run-command-terminal"}
    planted |= {"provisioning-state", "drift"}  # planted in tests/test_checker_strict.py
    assert set(RULES) <= planted, set(RULES) - planted


# ---- the rules file's rules, planted in real traffic (data-driven from specs/rules.yaml) --------------

def _rules() -> Any:
    from contract.rules import load_rules

    return load_rules()


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        doc = doc.setdefault(k, {})
    doc[keys[-1]] = value


def _get(doc: Any, path: str) -> Any:
    for k in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(k)
    return doc


_OTHER = {"zones": (["1"], ["2"]), "location": ("westus", "eastus"),
          "properties.platformFaultDomainCount": (1, 2), "properties.orchestrationMode": ("Uniform", "Flexible"),
          "properties.virtualMachineProfile.storageProfile.osDisk.managedDisk.storageAccountType":
              ("Premium_LRS", "Standard_LRS")}


IMMUTABLE = sorted(r.id for r in _rules().rules.values() if r.kind == "immutable")


@pytest.mark.parametrize("rule_id", IMMUTABLE)
def test_observed_model_breaks_immutable_rule(rule_id: str) -> None:
    """GET 14, PUT 15 (its answer), GET 18 of a real update: the last model changes a fixed property."""
    path = _rules().rules[rule_id].params["path"]
    c = corpus("test_vmss_update_policy")
    before, after = _OTHER.get(path, ("Value-A", "Value-B"))
    if _get(body(c.interactions[14]), path) is None:
        for i in (14, 15):
            edit(c.interactions[i], lambda b: _set(b, path, before))
    else:
        before = _get(body(c.interactions[14]), path)
        if path not in _OTHER:
            after = before + "x"
        elif after == before:
            after = _OTHER[path][0]
    edit(c.interactions[18], lambda b: _set(b, path, after))
    _assert_only(c, rule_id)


def _single_placement_group_back_to_true() -> Cassette:
    """test_vmss_update_policy with the PUT at 15 moving to many placement groups and the GET at 18 back to one."""
    c = corpus("test_vmss_update_policy")
    for i in (14, 15):
        edit(c.interactions[i], lambda b: b["properties"].update(singlePlacementGroup=False))
    req = json.loads(c.interactions[15].request.body)
    req["properties"]["singlePlacementGroup"] = False
    c.interactions[15].request.body = json.dumps(req)
    edit(c.interactions[18], lambda b: b["properties"].update(singlePlacementGroup=True))
    return c


def test_observed_model_single_placement_group_false_to_true() -> None:
    _assert_only(_single_placement_group_back_to_true(), "single-placement-group-one-way")


def test_convert_to_single_placement_group_is_the_documented_way_back_to_true() -> None:
    """The same false -> true, but after a successful ConvertToSinglePlacementGroup: no violation."""
    c = _single_placement_group_back_to_true()
    get = c.interactions[18].request
    path, _, query = get.uri.partition("?")
    convert = Interaction(
        Request("POST", f"{path}/convertToSinglePlacementGroup?{query}", "{}", {"Content-Type": ["application/json"]}),
        Response(200, "OK", {}, ""))
    c.interactions.insert(17, convert)
    assert rules_in(c) == {}


def test_observed_model_moves_to_another_virtual_network() -> None:
    c = corpus("test_vmss_update_policy")

    def move(b: dict[str, Any]) -> None:
        ip = b["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0][
            "properties"]["ipConfigurations"][0]["properties"]
        ip["subnet"]["id"] = ip["subnet"]["id"].replace("winvmssVNET", "otherVNET")

    edit(c.interactions[18], move)
    _assert_only(c, "subnet-same-virtual-network")


def _nics(b: dict[str, Any]) -> list[dict[str, Any]]:
    return b["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"]


def _second_nic(b: dict[str, Any], vnet: str = "winvmssVNET") -> dict[str, Any]:
    nic = copy.deepcopy(_nics(b)[0])
    nic["name"] = "second"
    nic["properties"]["primary"] = False
    ip = nic["properties"]["ipConfigurations"][0]["properties"]
    ip["subnet"]["id"] = ip["subnet"]["id"].replace("winvmssVNET", vnet)
    ip.pop("loadBalancerBackendAddressPools", None)
    ip.pop("loadBalancerInboundNatPools", None)
    return nic


REQUEST_PLANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "nic-exactly-one-primary": lambda b: _nics(b)[0]["properties"].update(primary=False),
    "nic-at-most-8": lambda b: _nics(b).extend(_second_nic(b) | {"name": f"n{k}"} for k in range(8)),
    "nic-one-virtual-network": lambda b: _nics(b).append(_second_nic(b, "otherVNET")),
    "capacity-single-placement-group": lambda b: (b["sku"].update(capacity=101),
                                                  b["properties"].update(singlePlacementGroup=True)),
    "rolling-needs-health": lambda b: b["properties"]["upgradePolicy"].update(mode="Rolling"),
}


@pytest.mark.parametrize("rule_id", sorted(REQUEST_PLANTS))
def test_request_breaking_a_rule_answered_2xx(rule_id: str) -> None:
    """The real PUT at 15 (answered 200), its body made to break one rules-file rule."""
    c = corpus("test_vmss_update_policy")
    req = json.loads(c.interactions[15].request.body)
    REQUEST_PLANTS[rule_id](req)
    c.interactions[15].request.body = json.dumps(req)
    report = check([c])
    assert {v.rule for v in report.violations} == {"invalid-request-accepted"}
    assert [v.interaction for v in report.violations] == [15]
    assert rule_id in report.violations[0].message.split(":")[0]


@pytest.mark.parametrize("rule_id,plant", [
    ("run-command-one-script-source", lambda s: s.update(scriptUri="https://example.invalid/a.sh")),
    ("run-command-identity-xor", lambda s: s.update(scriptUriManagedIdentity={"clientId": "a", "objectId": "b"})),
])
def test_run_command_request_breaking_a_rule_answered_2xx(rule_id: str, plant: Callable[[dict[str, Any]], None]) -> None:
    c = corpus("test_vmss_run_command_v2")
    req = json.loads(c.interactions[20].request.body)  # PATCH answered 200
    plant(req["properties"]["source"])
    c.interactions[20].request.body = json.dumps(req)
    report = check([c])
    assert {v.rule for v in report.violations} == {"invalid-request-accepted"}
    assert rule_id in report.violations[0].message.split(":")[0]


@pytest.mark.parametrize("rule_id,version,plant", [
    ("disk-profile-change-api-version", "2017-03-30",
     lambda b: b["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"].update(caching="ReadOnly")),
    ("public-ip-per-vm-api-version", "2016-04-30-preview",
     lambda b: _nics(b)[0]["properties"]["ipConfigurations"][0]["properties"].update(
         publicIPAddressConfiguration={"name": "pip", "properties": {"idleTimeoutInMinutes": 10}})),
])
def test_request_before_its_api_version_answered_2xx(rule_id: str, version: str,
                                                     plant: Callable[[dict[str, Any]], None]) -> None:
    c = corpus("test_vmss_update_policy")
    put = c.interactions[15]
    req = json.loads(put.request.body)
    plant(req)
    put.request.body = json.dumps(req)
    put.request.uri = put.request.uri.replace("api-version=2022-11-01", f"api-version={version}")
    report = check([c])
    assert {v.rule for v in report.violations} == {"invalid-request-accepted"}
    assert [v.interaction for v in report.violations] == [15]
    assert rule_id in report.violations[0].message, report.violations[0].message


def test_delete_followed_through_its_location_url_only() -> None:
    """A DELETE polled only through its monitor=true Location URL: once that answers 200, GET must be 404."""
    c = lifecycle()
    delete = c.interactions[li(53)]
    set_header(delete, "Azure-AsyncOperation", None)
    monitor = copy.deepcopy(c.interactions[li(52)])  # a real monitor=true read: 200, empty body
    monitor.request.uri = delete.response.header("location")
    c.interactions[li(54)] = monitor
    assert rules_in(c) == {}
    m_deleted(c)
    _assert_only(c, "deleted-resource-answered")


def test_manual_upgrade_answered_synchronously_still_counts() -> None:
    """A manualupgrade answered 200 without polling headers still lets VMs show the latest model."""
    c = corpus("test_vmss_update_automatic_repairs_with_health_extension")
    edit(c.interactions[17], lambda b: b["value"][1]["properties"].update(latestModelApplied=True))
    upgrade = c.interactions[18]  # POST manualupgrade 202 -> a synchronous 200
    upgrade.response.status = 200
    set_header(upgrade, "Azure-AsyncOperation", None)
    set_header(upgrade, "Location", None)
    listing = copy.deepcopy(c.interactions[17])
    def all_latest(b: Any) -> None:
        for vm in b["value"]:
            vm["properties"]["latestModelApplied"] = True

    edit(listing, all_latest)
    c.interactions.insert(19, listing)
    found = rules_in(c)
    assert found == {"manual-upgrade-latest-model": 1}, found  # only the listing before the upgrade


def _switch_mode(c: Cassette, at: int, mode: str, change_model: bool = False) -> None:
    """Insert a synchronous PATCH at `at` that sets upgradePolicy.mode (and maybe changes the model)."""
    patch = copy.deepcopy(c.interactions[16])  # GET of the Manual-mode model after the PUT at 13 finished
    patch.request.method = "PATCH"
    patch.request.body = json.dumps({"properties": {"upgradePolicy": {"mode": mode}}})
    model = body(c.interactions[16])
    model["properties"]["upgradePolicy"]["mode"] = mode
    if change_model:
        model["properties"]["virtualMachineProfile"]["diagnosticsProfile"] = {"bootDiagnostics": {"enabled": True}}
    set_body(patch, model)
    c.interactions.insert(at, patch)


def _all_latest(c: Cassette, at: int) -> None:
    """Insert the real VM listing (VMs 0 and 1, latestModelApplied false after the PUT at 13), all true."""
    listing = corpus("test_vmss_update_automatic_repairs_with_health_extension").interactions[17]
    edit(listing, lambda b: [vm["properties"].update(latestModelApplied=True) for vm in b["value"]] and None)
    c.interactions.insert(at, listing)


@pytest.mark.parametrize("mode", ["Automatic", "Rolling"])
def test_leaving_manual_mode_applies_the_latest_model(mode: str) -> None:
    """Manual -> Automatic/Rolling applies the latest model to every VM at once: not a violation."""
    c = corpus("test_vmss_update_automatic_repairs_with_health_extension")
    c.interactions = c.interactions[:17]  # Manual mode, the PUT at 13 changed the model, no upgrade yet
    _switch_mode(c, 17, mode)
    _all_latest(c, 18)
    assert rules_in(c) == {}

    # still Manual: the same listing is the planted violation
    stays = corpus("test_vmss_update_automatic_repairs_with_health_extension")
    stays.interactions = stays.interactions[:17]
    _switch_mode(stays, 17, "Manual")
    _all_latest(stays, 18)
    assert set(rules_in(stays)) == {"manual-upgrade-latest-model"}

    # back to Manual with a model change: existing VMs wait for manualupgrade again
    c.interactions = c.interactions[:18]
    _switch_mode(c, 18, "Manual", change_model=True)
    _all_latest(c, 19)
    assert set(rules_in(c)) == {"manual-upgrade-latest-model"}
