"""The emulator's synchronous mode (every long-running operation answered within its request, as ARM's
RPC allows and the swagger documents) and the checker's view of such answers."""
from __future__ import annotations

import copy
import json

import pytest

from contract import check
from contract.cassette import Cassette
from contract.servers import BackgroundServer
from tests.support import network_request
from tests.test_checker import MODEL, RG, VMSS, Recorder

ASYNC = ("Azure-AsyncOperation", "Location")


@pytest.fixture(scope="module")
def synchronous() -> Cassette:
    from contract.emulator import create_app

    server = BackgroundServer(lambda: create_app(synchronous=True)).start()
    try:
        c = Recorder(server.url)
        c.call("PUT", RG + "?api-version=2022-09-01", {"location": "westus"})
        c.call("PUT", *network_request(f"{RG}/providers/Microsoft.Network/virtualNetworks/vn/subnets/default"))
        created = c.call("PUT", VMSS, MODEL)
        assert created.status_code == 201 and not any(h in created.headers for h in ASYNC)
        assert created.json()["properties"]["provisioningState"] == "Succeeded"
        assert c.call("PATCH", VMSS, {"tags": {"a": "b"}}).status_code == 200
        restarted = c.call("POST", VMSS + "/restart")
        assert restarted.status_code == 200 and not any(h in restarted.headers for h in ASYNC)
        # ApproveRollingUpgrade documents only 202: it stays asynchronous
        assert c.call("POST", VMSS + "/approveRollingUpgrade", {"instanceIds": ["0"]}).status_code == 202
        c.call("GET", VMSS)  # a read finishes it, as in the default emulator
        deleted = c.call("DELETE", VMSS)
        assert deleted.status_code == 200 and not any(h in deleted.headers for h in ASYNC)
        assert c.call("GET", VMSS).status_code == 404
        assert c.call("DELETE", VMSS).status_code == 204  # already gone
        return Cassette(c.log, path="synchronous")
    finally:
        server.stop()


def test_synchronous_answers_hold_the_contract(synchronous: Cassette) -> None:
    report = check([synchronous])
    assert report.violations == [], [(v.interaction, v.rule, v.message) for v in report.violations]
    seen = report.coverage
    assert "200" in seen["VirtualMachineScaleSets_Restart"]["seen"]
    assert "200" in seen["VirtualMachineScaleSets_Delete"]["seen"]


def test_a_201_still_running_needs_an_async_header(synchronous: Cassette) -> None:
    lie = copy.deepcopy(synchronous)
    created = next(i for i in lie.interactions if i.request.method == "PUT" and i.response.status == 201
                   and "virtualMachineScaleSets" in i.request.uri)
    body = json.loads(created.response.body)
    body["properties"]["provisioningState"] = "Creating"
    created.response.body = json.dumps(body)
    assert "lro-headers" in {v.rule for v in check([lie]).violations}


def test_the_default_emulator_answers_asynchronously() -> None:
    from contract.emulator import create_app

    server = BackgroundServer(lambda: create_app()).start()
    try:
        c = Recorder(server.url)
        c.call("PUT", RG + "?api-version=2022-09-01", {"location": "westus"})
        c.call("PUT", *network_request(f"{RG}/providers/Microsoft.Network/virtualNetworks/vn/subnets/default"))
        assert "Azure-AsyncOperation" in c.call("PUT", VMSS, MODEL).headers
        assert c.call("POST", VMSS + "/restart").status_code == 409  # the create still runs
    finally:
        server.stop()


def test_a_synchronous_answer_counts_only_where_the_spec_declares_it(synchronous: Cassette) -> None:
    """ApproveRollingUpgrade documents 202 alone: answered 200 with no async header, it is a violation."""
    lie = copy.deepcopy(synchronous)
    approve = next(i for i in lie.interactions if i.request.uri.split("?")[0].endswith("/approveRollingUpgrade"))
    approve.response.status = 200
    for name in list(approve.response.headers):
        if name.lower() in ("azure-asyncoperation", "location"):
            del approve.response.headers[name]
    assert "undeclared-status" in {v.rule for v in check([lie]).violations}
