"""Hypothesis against the emulator: it accepts what the contract accepts, refuses what it refuses
(with the ARM answer the contract names), and no input at all makes it answer 5xx."""
from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import NonInteractiveExampleWarning
from hypothesis import strategies as st

from contract.emulator import create_app
from contract.servers import BackgroundServer
from contract.strategies import InvalidPayload, NetworkContext, invalid_payloads, valid_payloads

AUTH = {"Authorization": "Bearer fuzz"}
SUB = "00000000-0000-0000-0000-00000000f022"
RG = f"/subscriptions/{SUB}/resourceGroups/fuzz"
VMSS = f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets"
V = "2026-04-01"
# Where every generated scale set stands: the base fixture makes all of it (subnets, NSG, load balancer
# pools, application gateway pool) first, since Azure and the emulator refuse references to what is missing.
NET = NetworkContext(SUB, "fuzz", "vnet-fuzz", ("default", "app-subnet", "backend"), "lb-fuzz", "agw-fuzz", "kv-fuzz")
WHERE = {"network": NET, "location": "westus"}
FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with BackgroundServer(create_app(lro_polls=0)) as srv:
        answer = requests.put(f"{srv.url}{RG}?api-version=2022-09-01", json={"location": "westus"},
                              headers=AUTH, timeout=10)
        assert answer.status_code == 201
        for path, body in NET.network_requests("westus"):
            made = requests.put(f"{srv.url}{path}", json=body, headers=AUTH, timeout=10)
            assert made.status_code in (200, 201), made.text
        yield srv.url


def call(base: str, method: str, path: str, body: Any = None, version: str = V) -> requests.Response:
    return requests.request(method, f"{base}{path}?api-version={version}", json=body, headers=AUTH, timeout=10)


def settle(base: str, answer: requests.Response) -> None:
    if "Azure-AsyncOperation" in answer.headers:
        assert requests.get(answer.headers["Azure-AsyncOperation"], headers=AUTH, timeout=10).json()["status"] == \
            "Succeeded"


@FUZZ
@given(body=valid_payloads("VirtualMachineScaleSets_CreateOrUpdate", V, **WHERE))
def test_valid_create_bodies_are_accepted(base: str, body: dict[str, Any]) -> None:
    path = f"{VMSS}/ok{uuid.uuid4().hex[:8]}"
    created = call(base, "PUT", path, body)
    assert created.status_code == 201, created.text
    settle(base, created)
    got = call(base, "GET", path).json()
    assert got["properties"]["provisioningState"] == "Succeeded"
    capacity = (body.get("sku") or {}).get("capacity", 0)
    listed = call(base, "GET", f"{path}/virtualMachines").json()["value"]
    assert len(listed) == capacity
    assert "adminPassword" not in created.text + str(got)


@FUZZ
@given(bad=invalid_payloads("VirtualMachineScaleSets_CreateOrUpdate", V))
def test_invalid_create_bodies_get_the_contracts_answer_and_create_nothing(base: str, bad: InvalidPayload) -> None:
    path = f"{VMSS}/bad{uuid.uuid4().hex[:8]}"
    answer = call(base, "PUT", path, bad.payload, bad.api_version or V)
    assert (answer.status_code, answer.json()["error"]["code"]) == (bad.status, bad.code), \
        (bad.rule, bad.path, answer.text)
    assert "Retry-After" not in answer.headers
    assert call(base, "GET", path).status_code == 404


@pytest.fixture(scope="module")
def drawn_body() -> dict[str, Any]:
    """One valid create body with two instances; update fuzzing draws against its model."""
    with warnings.catch_warnings():  # .example() outside @given is fine for one fixture value
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        body: dict[str, Any] = valid_payloads("VirtualMachineScaleSets_CreateOrUpdate", V, **WHERE).example()
    body.setdefault("sku", {})["capacity"] = 2
    return body


def create(base: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    created = call(base, "PUT", f"{VMSS}/{name}", body)
    assert created.status_code == 201, created.text
    settle(base, created)
    model: dict[str, Any] = call(base, "GET", f"{VMSS}/{name}").json()
    return model


@pytest.fixture(scope="module")
def existing(base: str, drawn_body: dict[str, Any]) -> dict[str, Any]:
    """A scale set that only refused requests and instance-level writes touch."""
    return create(base, "existing", drawn_body)


@pytest.fixture(scope="module")
def junk_target(base: str, drawn_body: dict[str, Any]) -> str:
    """A scale set of its own for the junk test (its accepted writes may change it)."""
    create(base, "junk", drawn_body)
    return "junk"


def test_invalid_updates_get_the_contracts_answer_and_change_nothing(base: str, existing: dict[str, Any]) -> None:
    path = f"{VMSS}/existing"

    @FUZZ
    @given(bad=invalid_payloads("VirtualMachineScaleSets_Update", V, current=existing))
    def check(bad: InvalidPayload) -> None:
        answer = call(base, "PATCH", path, bad.payload, bad.api_version or V)
        assert (answer.status_code, answer.json()["error"]["code"]) == (bad.status, bad.code), \
            (bad.rule, bad.path, answer.text)
        assert call(base, "GET", path).json() == existing

    check()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=20)
ROUTES = st.sampled_from([
    ("PUT", "/x{n}"), ("PATCH", "/junk"), ("POST", "/junk/manualupgrade"), ("POST", "/junk/reimage"),
    ("POST", "/junk/delete"), ("PUT", "/junk/virtualMachines/0"),
    ("PUT", "/junk/virtualMachines/0/runCommands/r{n}"), ("PATCH", "/junk/virtualMachines/0/runCommands/r"),
    ("PUT", "/junk/extensions/e{n}"), ("PATCH", "/junk/virtualMachines/0/extensions/e"),
    ("PUT", "/junk/virtualMachines/0/extensions/e"), ("POST", "/junk/virtualMachines/0/runCommand"),
])


@FUZZ
@given(route=ROUTES, body=JSON | st.dictionaries(st.sampled_from(["location", "sku", "properties", "tags",
                                                                   "instanceIds", "zones"]), JSON, max_size=4),
       version=st.sampled_from([V, "2017-03-30", "2016-04-30-preview", "2031-01-01"]))
def test_no_body_makes_it_answer_5xx(base: str, junk_target: str, route: tuple[str, str], body: Any,
                                     version: str) -> None:
    method, suffix = route
    answer = call(base, method, VMSS + suffix.format(n=uuid.uuid4().hex[:6]), body, version)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.json()["error"]["code"]


@FUZZ
@given(bad=invalid_payloads("VirtualMachineScaleSetVMRunCommands_CreateOrUpdate", V))
def test_invalid_run_commands_get_the_contracts_answer(base: str, existing: dict[str, Any], bad: InvalidPayload) -> None:
    path = f"{VMSS}/existing/virtualMachines/0/runCommands/rc{uuid.uuid4().hex[:6]}"
    answer = call(base, "PUT", path, bad.payload, bad.api_version or V)
    assert (answer.status_code, answer.json()["error"]["code"]) == (bad.status, bad.code), \
        (bad.rule, bad.path, answer.text)
    assert call(base, "GET", path).status_code == 404


@FUZZ
@given(data=st.data())
def test_valid_instance_updates_are_accepted(base: str, existing: dict[str, Any], data: st.DataObject) -> None:
    path = f"{VMSS}/existing/virtualMachines/0"
    body = data.draw(valid_payloads("VirtualMachineScaleSetVMs_Update", V, current=existing))
    answer = call(base, "PUT", path, body)
    assert answer.status_code == 200, answer.text
    settle(base, answer)
    assert call(base, "GET", path).json()["properties"]["provisioningState"] == "Succeeded"


def test_the_lifecycle_machine_finds_no_violation_in_strict_mode(tmp_path: Any) -> None:
    """contract.lifecycle's state machine (hypothesis picks the steps) against a strict emulator over TLS."""
    from contract.lifecycle import record_lifecycle

    with BackgroundServer(lambda: create_app(lro_polls=1, strict_operations=True), tls=True,
                          tls_dir=tmp_path) as srv:
        result = record_lifecycle(srv.url, ca_path=str(srv.ca_path), seed=7, examples=1, steps=12)
    assert len(result.interactions) > 20
    assert result.violations == []
