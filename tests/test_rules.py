"""rules.yaml as predicates: each rule fires on its planted violation and stays silent on real traffic."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from contract.cassette import load_cassette
from contract.examples import load_examples
from contract.rules import RuleViolation, load_rules, merge_patch, select
from contract.specs import load_spec
from support import requires

SHARED = Path(__file__).resolve().parents[2] / "shared"
SUB = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/"
PUT = "VirtualMachineScaleSets_CreateOrUpdate"
PATCH = "VirtualMachineScaleSets_Update"
VM_PUT = "VirtualMachineScaleSetVMs_Update"
RC_PUT = "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate"
RC_PATCH = "VirtualMachineScaleSetVMRunCommands_Update"


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def nic(name, primary, vnet="vnet1", subnet="default", public_ip=False):
    ipc = {"name": "ip", "properties": {"subnet": {"id": f"{SUB}{vnet}/subnets/{subnet}"}}}
    if public_ip:
        ipc["properties"]["publicIPAddressConfiguration"] = {"name": "pub", "properties": {}}
    props = {"ipConfigurations": [ipc]}
    if primary is not None:
        props["primary"] = primary
    return {"name": name, "properties": props}


def model(nics=None, **props):
    """A scale set model as the emulator would store it / a full PUT body."""
    body = {
        "location": "westus",
        "zones": ["1"],
        "sku": {"name": "Standard_D1_v2", "capacity": 2},
        "properties": {
            "singlePlacementGroup": True,
            "orchestrationMode": "Uniform",
            "platformFaultDomainCount": 1,
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "vmss", "adminUsername": "azureuser"},
                "storageProfile": {
                    "imageReference": {"publisher": "Canonical", "offer": "UbuntuServer", "sku": "18.04-LTS"},
                    "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                               "managedDisk": {"storageAccountType": "Standard_LRS"}},
                },
                "networkProfile": {"networkInterfaceConfigurations": nics or [nic("nic0", True)]},
            },
        },
    }
    body["properties"].update(props)
    return body


def changed(path, value, base=None):
    out = copy.deepcopy(base or model())
    node = out
    keys = path.split(".")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    return out


def ids(violations: list[RuleViolation]) -> list[str]:
    return [v.rule_id for v in violations]


# ---- every rule fires on its planted violation ------------------------------------------------

TRANSITIONS = [
    ("immutable-zones", "zones", ["1", "2"]),
    ("immutable-image-publisher", "properties.virtualMachineProfile.storageProfile.imageReference.publisher", "Debian"),
    ("immutable-image-offer", "properties.virtualMachineProfile.storageProfile.imageReference.offer", "debian-10"),
    ("immutable-os-disk-storage-account-type",
     "properties.virtualMachineProfile.storageProfile.osDisk.managedDisk.storageAccountType", "Premium_LRS"),
    ("immutable-platform-fault-domain-count", "properties.platformFaultDomainCount", 5),
    ("immutable-orchestration-mode", "properties.orchestrationMode", "Flexible"),
    ("immutable-location", "location", "eastus"),
    ("immutable-computer-name-prefix", "properties.virtualMachineProfile.osProfile.computerNamePrefix", "other"),
    ("immutable-admin-username", "properties.virtualMachineProfile.osProfile.adminUsername", "root"),
]


@pytest.mark.parametrize("rule_id,path,value", TRANSITIONS, ids=[t[0] for t in TRANSITIONS])
def test_create_time_properties(rules, rule_id, path, value):
    before = model()
    after = changed(path, value)
    assert ids(rules.check_transition(before, after)) == [rule_id]
    put = rules.check_request(PUT, after, "2024-03-01", current=before)
    assert ids(put) == [rule_id]
    assert (put[0].code, put[0].status, put[0].target) == ("PropertyChangeNotAllowed", 409, path)
    patch = {}
    node = patch
    for k in path.split(".")[:-1]:
        node = node.setdefault(k, {})
    node[path.split(".")[-1]] = value
    assert ids(rules.check_request(PATCH, patch, "2024-03-01", current=before)) == [rule_id]
    assert rules.check_request(PATCH, patch, "2024-03-01") == []  # no stored model: nothing to compare


def test_immutables_tolerate_case_and_spacing(rules):
    before = model()
    same = changed("location", "West US", changed("location", "westus"))
    same = changed("properties.virtualMachineProfile.storageProfile.imageReference.publisher", "canonical", same)
    assert rules.check_transition(changed("location", "westus"), same) == []
    assert rules.check_transition(before, changed("zones", ["1"])) == []


def test_single_placement_group_one_way(rules):
    true, false = model(singlePlacementGroup=True), model(singlePlacementGroup=False)
    assert rules.check_transition(true, false) == []
    assert ids(rules.check_transition(false, true)) == ["single-placement-group-one-way"]
    v = rules.check_request(PATCH, {"properties": {"singlePlacementGroup": True}}, "2024-03-01", current=false)
    assert ids(v) == ["single-placement-group-one-way"] and v[0].status == 409


def test_subnet_within_same_virtual_network(rules):
    before = model([nic("nic0", True, subnet="a")])
    other_subnet = model([nic("nic0", True, subnet="b")])
    other_vnet = model([nic("nic0", True, vnet="vnet2")])
    assert rules.check_transition(before, other_subnet) == []
    assert ids(rules.check_transition(before, other_vnet)) == ["subnet-same-virtual-network"]
    assert ids(rules.check_request(PUT, other_vnet, "2024-03-01", current=before)) == ["subnet-same-virtual-network"]


@pytest.mark.parametrize("nics,rule_id", [
    ([nic("a", True), nic("b", True)], "nic-exactly-one-primary"),
    ([nic("a", False), nic("b", False)], "nic-exactly-one-primary"),
    ([nic("a", None), nic("b", None)], "nic-exactly-one-primary"),
    ([nic("a", False)], "nic-exactly-one-primary"),
    ([nic("a", True)] + [nic(f"n{i}", False) for i in range(8)], "nic-at-most-8"),
    ([nic("a", True), nic("b", False, vnet="vnet2")], "nic-one-virtual-network"),
])
def test_network_profile_rules(rules, nics, rule_id):
    v = rules.check_request(PUT, model(nics), "2024-03-01")
    assert ids(v) == [rule_id]
    assert (v[0].code, v[0].status) == ("InvalidParameter", 400)
    assert v[0].target.startswith("properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations")


def test_network_rules_accept_valid_profiles(rules):
    ok = [nic("a", True)] + [nic(f"n{i}", False, subnet=f"s{i}") for i in range(7)]
    assert rules.check_request(PUT, model(ok), "2024-03-01") == []
    assert rules.check_request(PUT, model([nic("a", None)]), "2024-03-01") == []  # a lone NIC may omit primary


def test_network_rules_on_per_instance_put(rules):
    vm = {"properties": {"networkProfileConfiguration": {"networkInterfaceConfigurations": [nic("a", True), nic("b", True)]}}}
    assert ids(rules.check_request(VM_PUT, vm, "2019-07-01")) == ["nic-exactly-one-primary"]


def test_patch_nic_list_replaces_whole_list(rules):
    current = model([nic("a", True), nic("b", False)])
    patch = {"properties": {"virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": [nic("c", False)]}}}}
    assert ids(rules.check_request(PATCH, patch, "2024-03-01", current=current)) == ["nic-exactly-one-primary"]


def test_capacity_and_single_placement_group(rules):
    big = changed("sku.capacity", 101)
    assert ids(rules.check_request(PUT, big, "2024-03-01")) == ["capacity-single-placement-group"]
    assert rules.check_request(PUT, changed("properties.singlePlacementGroup", False, big), "2024-03-01") == []
    assert ids(rules.check_request(PUT, changed("properties.singlePlacementGroup", False, changed("sku.capacity", 1001)),
                                   "2024-03-01")) == ["capacity-single-placement-group"]
    assert rules.check_request(PATCH, {"sku": {"capacity": 200}}, "2024-03-01") == []  # unknown without the model
    assert ids(rules.check_request(PATCH, {"sku": {"capacity": 200}}, "2024-03-01", current=model())) == [
        "capacity-single-placement-group"]


def test_rolling_needs_health(rules):
    rolling = model(upgradePolicy={"mode": "Rolling"})
    assert ids(rules.check_request(PUT, rolling, "2024-03-01")) == ["rolling-needs-health"]
    probe = copy.deepcopy(rolling)
    probe["properties"]["virtualMachineProfile"]["networkProfile"]["healthProbe"] = {"id": "/x/probes/p"}
    assert rules.check_request(PUT, probe, "2024-03-01") == []
    ext = copy.deepcopy(rolling)
    ext["properties"]["virtualMachineProfile"]["extensionProfile"] = {"extensions": [
        {"name": "h", "properties": {"publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux"}}]}
    assert rules.check_request(PUT, ext, "2024-03-01") == []


def test_disk_profile_changes_need_2017_12_01(rules):
    current = model()
    new_disk = changed("properties.virtualMachineProfile.storageProfile.osDisk.caching", "ReadOnly", current)
    assert ids(rules.check_request(PUT, new_disk, "2017-03-30", current=current)) == ["disk-profile-change-api-version"]
    assert rules.check_request(PUT, new_disk, "2017-12-01", current=current) == []
    assert rules.check_request(PUT, current, "2017-03-30", current=current) == []  # unchanged disk: fine
    patch = {"properties": {"virtualMachineProfile": {"storageProfile": {"dataDisks": [{"lun": 0, "createOption": "Empty"}]}}}}
    assert ids(rules.check_request(PATCH, patch, "2016-04-30-preview")) == ["disk-profile-change-api-version"]
    assert rules.check_request(PUT, model(), "2016-04-30-preview") == []  # a create sets the disk profile


def test_public_ip_per_vm_needs_2017_03_30(rules):
    body = model([nic("a", True, public_ip=True)])
    v = rules.check_request(PUT, body, "2016-04-30-preview")
    assert ids(v) == ["public-ip-per-vm-api-version"] and v[0].target.endswith("publicIPAddressConfiguration")
    assert rules.check_request(PUT, body, "2017-03-30") == []


def test_run_command_identity_and_source(rules):
    both = {"location": "w", "properties": {"source": {"script": "ls"},
                                            "outputBlobManagedIdentity": {"clientId": "c", "objectId": "o"}}}
    assert ids(rules.check_request(RC_PUT, both, "2024-07-01")) == ["run-command-identity-xor"]
    assert rules.check_request(RC_PUT, {"properties": {"source": {"script": "ls"},
                                                       "errorBlobManagedIdentity": {"objectId": "o"}}}, "2024-07-01") == []
    two = {"properties": {"source": {"script": "ls", "commandId": "RunShellScript"}}}
    v = rules.check_request(RC_PATCH, two, "2024-07-01")
    assert ids(v) == ["run-command-one-script-source"] and v[0].target == "properties.source"
    assert rules.check_request(RC_PUT, {"properties": {"source": {}}}, "2022-11-01") == []  # as Azure accepted it


PREFIX = "properties.virtualMachineProfile.osProfile.computerNamePrefix"


@pytest.mark.parametrize("os_profile,image,prefix,ok", [
    ({"linuxConfiguration": {}}, None, "aks-nodepool1-29499185-vmss", True),  # real traffic: 27 on Linux
    ({}, None, "p" * 64, True),  # Canonical image: Linux, up to 64
    ({}, None, "p" * 65, False),
    ({"windowsConfiguration": {}}, None, "p" * 15, True),
    ({"windowsConfiguration": {}}, None, "p" * 16, False),  # NetBIOS: 15 on Windows
    ({}, {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2019-Datacenter"}, "p" * 16, False),
])
def test_computer_name_prefix_length_by_os(rules, os_profile, image, prefix, ok):
    body = changed(PREFIX, prefix)
    body["properties"]["virtualMachineProfile"]["osProfile"].update(os_profile)
    if image:
        body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"] = image
    v = rules.check_request(PUT, body, "2024-03-01")
    assert (v == []) is ok
    if not ok:
        assert ids(v) == ["computer-name-prefix-length"]
        assert (v[0].code, v[0].status, v[0].target) == ("InvalidParameter", 400, PREFIX)
        assert "computer name prefix cannot be more than" in v[0].message


def test_every_rule_is_exercised_above(rules):
    """Adding a rule to rules.yaml without a planted violation here fails this test."""
    text = Path(__file__).read_text()
    missing = [rid for rid in rules.rules if f'"{rid}"' not in text]
    assert missing == []


# ---- silent on real traffic -------------------------------------------------------------------

def test_silent_on_recorded_bodies_and_transitions(rules, recordings_dir):
    spec = load_spec()
    checked = transitions = 0
    for path in sorted(recordings_dir.glob("*.yaml")):
        last: dict[str, dict] = {}
        for i, it in enumerate(load_cassette(path).interactions):
            m = spec.match(it.request.method, it.request.uri)
            if m is None:
                continue
            oid = m.operation.operation_id
            version = it.request.uri.split("api-version=")[1].split("&")[0]
            key = m.params.get("vmScaleSetName", "").lower()
            if it.request.method in ("PUT", "PATCH") and it.request.json() is not None:
                checked += 1
                assert rules.check_request(oid, it.request.json(), version, current=last.get(key)) == [], f"{path.name}#{i}"
            if oid in (PUT, PATCH, "VirtualMachineScaleSets_Get") and it.response.status in (200, 201):
                if key in last:
                    transitions += 1
                    assert rules.check_transition(last[key], it.response.json()) == [], f"{path.name}#{i}"
                last[key] = it.response.json()
            if oid == "VirtualMachineScaleSets_Delete":
                last.pop(key, None)
    assert checked >= 14 and transitions >= 20


def test_silent_on_documented_examples(rules, examples_dir):
    """Except where the spec records the example as wrong (x-documented-example-findings: a Windows prefix of 24)."""
    from contract.checker.documented import known_mismatches

    recorded = {(k["example"], str(k["api-version"]), k["path"]) for k in known_mismatches()}
    flagged = 0
    for ex in load_examples(examples_dir):
        for it in ex.interactions:
            body = it.request.json()
            if body is not None:
                found = [v for v in rules.check_request(ex.operation_id, body, ex.api_version)
                         if (ex.name, ex.api_version, "$." + (v.target or "")) not in recorded]
                flagged += len(rules.check_request(ex.operation_id, body, ex.api_version)) - len(found)
                assert found == [], ex.name
    assert flagged == 4  # the two 2026-04-01 Windows creates, 200 and 201 each


# ---- merge_patch and paths ---------------------------------------------------------------------

def test_merge_patch_semantics():
    current = {"a": {"b": 1, "c": [1, 2]}, "tags": {"x": "1"}, "keep": True}
    patch = {"a": {"c": [3]}, "tags": {"y": "2"}, "keep": None, "new": {"z": 0}}
    merged = merge_patch(current, patch)
    # RFC 7396: the null removes `keep` (ARM-FACTS: "null removes a member").
    assert merged == {"a": {"b": 1, "c": [3]}, "tags": {"x": "1", "y": "2"}, "new": {"z": 0}}
    assert current == {"a": {"b": 1, "c": [1, 2]}, "tags": {"x": "1"}, "keep": True}  # inputs untouched
    merged["a"]["c"].append(9)
    assert patch["a"]["c"] == [3]
    assert merge_patch(None, {"a": 1}) == {"a": 1}
    assert merge_patch({"a": {"b": 1}}, {"a": 5}) == {"a": 5}


def test_select_paths():
    doc = {"a": [{"b": {"c": 1}}, {"b": None}, {"b": {"c": 2}}]}
    assert list(select(doc, "a[*].b.c")) == [("a[0].b.c", 1), ("a[2].b.c", 2)]
    assert list(select(doc, "x.y")) == []


# ---- the rules file itself -------------------------------------------------------------------

def test_rules_reference_known_operations(rules):
    spec = load_spec()
    for rule in rules.rules.values():
        assert rule.operations and rule.operations <= set(spec.operations), rule.id
        assert rule.code and 400 <= rule.status < 500 and rule.summary, rule.id


def _squash(text: str) -> str:
    return re.sub(r"[\s*`]+", " ", text).strip().lower()


@requires((SHARED / "seeds").is_dir(), "../shared/seeds")
def test_rule_quotes_come_from_their_source(rules):
    for rule in rules.rules.values():
        if rule.source.startswith("https://"):  # a public page (its quote checked by hand, cited in rules.yaml)
            assert rule.quote, rule.id
            continue
        src = SHARED / rule.source if rule.source == "ARM-FACTS.md" else SHARED / "seeds" / rule.source
        text = _squash(src.read_text(encoding="utf-8"))
        for part in rule.quote.split(" ... "):
            piece = _squash(part).removeprefix("- ").strip()
            assert all(_squash(line) in text for line in re.split(r" - ", piece)), (rule.id, part)


def test_rules_never_crash_on_odd_bodies(rules):
    """The emulator runs rules on whatever passed the guard: odd shapes give violations or nothing, never errors."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
    json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                               | st.dictionaries(st.sampled_from(["properties", "source", "primary", "subnet", "id",
                                                                  "networkInterfaceConfigurations", "ipConfigurations",
                                                                  "virtualMachineProfile", "networkProfile", "sku",
                                                                  "capacity", "clientId", "objectId", "script"]),
                                                 inner, max_size=4), max_leaves=20)
    shaped = model()
    shaped["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"] = [1, "x", None, {"properties": []}]

    # too_slow only: generating these payloads on a loaded 2-core CI box can trip it; every other
    # health check stays on, so a strategy that stops generating data fails loudly.
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(json_values, json_values, st.sampled_from([None, "2016-04-30-preview", "2024-03-01", "garbage"]))
    def never_raises(body, current, version):
        for oid in (PUT, PATCH, VM_PUT, RC_PUT, RC_PATCH):
            rules.check_request(oid, body, version, current=current if isinstance(current, dict) else None)
            rules.check_request(oid, {"properties": body}, version, current=shaped)
        rules.check_transition({"properties": current}, {"properties": body})

    never_raises()
