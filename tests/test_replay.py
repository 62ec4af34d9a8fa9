"""The replay server over real loopback sockets: corpus cassettes, the real SDK over TLS, misses."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient

from contract.cassette import Cassette, CassetteError, Interaction, Request, Response, load_cassette, save_cassette
from contract.replay import REPLAYER, create_app
from contract.rewrite import CANONICAL_BASE, rewrite_bytes
from contract.servers import BackgroundServer
from support import network_request

RECORDINGS = Path(__file__).parent / "data" / "recordings"
arm = requests.Session()  # a client as ARM expects one: every request carries a bearer token
arm.headers["Authorization"] = "Bearer replay-test"
CORPUS = sorted(RECORDINGS.glob("*.yaml"))
MODIFY = RECORDINGS / "test_vmss_create_and_modify.yaml"
SUB = "00000000-0000-0000-0000-000000000000"
RG = "cli_test_vmss_create_and_modify000001"
V = "2022-11-01"  # the recordings' Compute api-version; the SDK defaults to 2026-04-01
OP = f"/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/operations/op1?api-version={V}"
VMSS = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1"


class FakeCredential:
    """A token credential that never leaves the machine (replay needs no real token)."""

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken("replay-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: object = None) -> AccessTokenInfo:
        return AccessTokenInfo("replay-token", int(time.time()) + 3600)


def sdk(server: BackgroundServer) -> ComputeManagementClient:
    return ComputeManagementClient(FakeCredential(), SUB, base_url=server.url,  # type: ignore[arg-type]
                                   connection_verify=str(server.ca_path))


def polling_cassette(path: Path, polls: list[str], headers: dict[str, list[str]] | None = None) -> Path:
    """A cassette whose operation-status URL answers `polls` in order."""
    interactions = [
        Interaction(Request("POST", f"{CANONICAL_BASE}{VMSS}/restart?api-version={V}", None, {}),
                    Response(202, "Accepted", {"Azure-AsyncOperation": [CANONICAL_BASE + OP],
                                               "Retry-After": ["30"], **(headers or {})}, ""))
    ]
    for status in polls:
        interactions.append(Interaction(
            Request("GET", CANONICAL_BASE + OP, None, {}),
            Response(200, "OK", {"Content-Type": ["application/json; charset=utf-8"]},
                     f'{{"name": "op1", "status": "{status}", "startTime": "2023-05-25T13:36:23Z"}}')))
    return save_cassette(Cassette(interactions), path)


@pytest.fixture(scope="module")
def corpus_server() -> BackgroundServer:
    with BackgroundServer(lambda: create_app(CORPUS)) as server:
        yield server


# ------------------------------------------------------------------ the corpus, with a real HTTP client

def test_every_corpus_interaction_replays(corpus_server: BackgroundServer) -> None:
    assert len(CORPUS) == 13
    total = 0
    with requests.Session() as http:
        for path in CORPUS:
            for n, interaction in enumerate(load_cassette(path).interactions):
                rec_req, rec_resp = interaction.request, interaction.response
                path_qs = rec_req.uri.split("://", 1)[1].partition("/")[2]
                r = http.request(rec_req.method, f"{corpus_server.url}/{path_qs}", data=rec_req.content or None,
                                 timeout=10)
                where = f"{path.name} #{n}"
                assert r.status_code == rec_resp.status, (where, r.text[:500])
                assert r.content == rewrite_bytes(rec_resp.content, CANONICAL_BASE, corpus_server.url), where
                # one framing header, never both (395 corpus answers carry both)
                assert "Transfer-Encoding" not in r.headers, where
                assert int(r.headers["Content-Length"]) == len(r.content), where
                assert "management.azure.com" not in r.headers.get("Azure-AsyncOperation", ""), where
                total += 1
    replayer = corpus_server.app[REPLAYER]  # type: ignore[index]
    assert total == replayer.interaction_count == 400
    assert replayer.unused() == []


# ------------------------------------------------------------------ the real SDK over TLS

def test_sdk_replays_a_recorded_session_over_tls(tmp_path: Path) -> None:
    with BackgroundServer(lambda: create_app([MODIFY]), tls=True, tls_dir=tmp_path / "tls") as server:
        client = sdk(server)
        vmss = client.virtual_machine_scale_sets.get(RG, "vmss1", api_version=V)
        assert vmss.name == "vmss1" and vmss.sku.capacity == 5
        vms = list(client.virtual_machine_scale_set_vms.list(RG, "vmss1", api_version=V))
        assert [vm.instance_id for vm in vms] == ["1", "2", "4", "5", "6"]

        started = time.perf_counter()
        # manualupgrade: two recorded InProgress polls, then Succeeded, then the monitor URL
        client.virtual_machine_scale_sets.begin_update_instances(
            RG, "vmss1", {"instanceIds": ["5", "6"]}, api_version=V).result()
        view = client.virtual_machine_scale_sets.get_instance_view(RG, "vmss1", api_version=V)
        assert view.virtual_machine.statuses_summary
        client.virtual_machine_scale_sets.begin_power_off(
            RG, "vmss1", vm_instance_i_ds={"instanceIds": ["*"]}, skip_shutdown=False, api_version=V).result()
        client.virtual_machine_scale_sets.begin_start(RG, "vmss1", {"instanceIds": ["*"]}, api_version=V).result()
        poller = client.virtual_machine_scale_sets.begin_restart(RG, "vmss1", {"instanceIds": ["*"]}, api_version=V)
        poller.result()
        assert poller.status() == "Succeeded"
        client.virtual_machine_scale_sets.begin_delete(RG, "vmss1", api_version=V).result()
        elapsed = time.perf_counter() - started
        # 5 long-running operations with 4 InProgress polls: ARM's 30 s default would take minutes
        assert elapsed < 1.5, elapsed


async def test_aio_sdk_replays_over_tls(tmp_path: Path) -> None:
    from azure.mgmt.compute.aio import ComputeManagementClient as AsyncCompute

    from contract.plugin import AsyncStaticCredential

    with BackgroundServer(lambda: create_app([MODIFY]), tls=True, tls_dir=tmp_path / "tls") as server:
        async with AsyncCompute(AsyncStaticCredential(), SUB, base_url=server.url,  # type: ignore[arg-type]
                                connection_verify=str(server.ca_path)) as client:
            vmss = await client.virtual_machine_scale_sets.get(RG, "vmss1", api_version=V)
            assert vmss.sku.capacity == 5
            started = time.perf_counter()
            poller = await client.virtual_machine_scale_sets.begin_update_instances(
                RG, "vmss1", {"instanceIds": ["5", "6"]}, api_version=V)
            await poller.result()
            assert poller.status() == "Succeeded"
            assert time.perf_counter() - started < 1.0


def test_sdk_surfaces_a_miss_with_its_explanation(tmp_path: Path) -> None:
    with BackgroundServer(lambda: create_app([MODIFY]), tls=True, tls_dir=tmp_path / "tls") as server:
        with pytest.raises(HttpResponseError) as caught:
            sdk(server).virtual_machine_scale_sets.get(RG, "vmss1")  # SDK default api-version 2026-04-01
        err = caught.value
        assert err.status_code == 400
        assert err.error is not None and err.error.code == "NoRecordedInteraction"
        assert "query api-version: '2026-04-01', recorded '2022-11-01'" in err.message


def emulator_lifecycle(compute: ComputeManagementClient, resource: Any) -> list[Any]:
    """A scale set's life through the SDK; returns what the caller saw at each step."""
    from azure.core.exceptions import ResourceNotFoundError

    vmss = compute.virtual_machine_scale_sets
    seen: list[Any] = [resource.resource_groups.create_or_update("rg", {"location": "westus"}).as_dict()]
    subnet = SCALE_SET["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0][
        "properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]
    vnet, _, version = network_request(subnet)[0].partition("?api-version=")  # the subnet first, as Azure wants
    seen.append(resource.resources.begin_create_or_update_by_id(
        vnet.lstrip("/"), network_request(subnet)[1], api_version=version).result().as_dict())
    seen.append(vmss.begin_create_or_update("rg", "vmss1", SCALE_SET).result().as_dict())
    seen.append(vmss.get("rg", "vmss1").as_dict())
    seen.append([vm.as_dict() for vm in compute.virtual_machine_scale_set_vms.list("rg", "vmss1")])
    seen.append(vmss.begin_update("rg", "vmss1", {"sku": {"capacity": 3}}).result().as_dict())
    seen.append(vmss.begin_restart("rg", "vmss1").result())
    seen.append(vmss.get_instance_view("rg", "vmss1").as_dict())
    seen.append(vmss.begin_delete("rg", "vmss1").result())
    with pytest.raises(ResourceNotFoundError) as gone:
        vmss.get("rg", "vmss1")
    seen.append(gone.value.error.code if gone.value.error else None)
    return seen


SCALE_SET = {
    "location": "westus",
    "sku": {"name": "Standard_D1_v2", "tier": "Standard", "capacity": 2},
    "properties": {
        "upgradePolicy": {"mode": "Manual"},
        "virtualMachineProfile": {
            "osProfile": {"computerNamePrefix": "rep", "adminUsername": "azureuser"},
            "storageProfile": {
                "imageReference": {"publisher": "Canonical", "offer": "UbuntuServer", "sku": "18.04-LTS",
                                   "version": "latest"},
                "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Standard_LRS"}},
            },
            "networkProfile": {"networkInterfaceConfigurations": [{
                "name": "nic1",
                "properties": {"primary": True, "ipConfigurations": [{
                    "name": "ip1",
                    "properties": {"subnet": {"id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/"
                                                    "Microsoft.Network/virtualNetworks/vnet1/subnets/default"}},
                }]},
            }]},
        },
    },
}


def test_sdk_gets_identical_results_from_a_replayed_emulator_lifecycle(tmp_path: Path) -> None:
    """Record a lifecycle through the recording proxy from the emulator, then replay it offline."""
    from contract import emulator, proxy
    from azure.mgmt.resource.resources import ResourceManagementClient

    from contract.sanitize import Sanitizer

    def clients(server: BackgroundServer) -> tuple[ComputeManagementClient, Any]:
        kwargs = {"base_url": server.url, "connection_verify": str(server.ca_path)}
        return (ComputeManagementClient(FakeCredential(), SUB, **kwargs),  # type: ignore[arg-type]
                ResourceManagementClient(FakeCredential(), SUB, **kwargs))  # type: ignore[arg-type]

    tls, path = tmp_path / "tls", tmp_path / "lifecycle.yaml"
    with BackgroundServer(lambda: emulator.create_app(lro_polls=2), tls=True, tls_dir=tls) as upstream:
        recorder = lambda: proxy.create_app(path, upstream.url, upstream_ca=upstream.ca_path,  # noqa: E731
                                            sanitizer=Sanitizer({"salt": "lifecycle"}))
        with BackgroundServer(recorder, tls=True, tls_dir=tls) as recording:
            live_results = emulator_lifecycle(*clients(recording))
    recorded = load_cassette(path)
    assert len(recorded.interactions) > 15  # InProgress polls included
    assert all(i.request.uri.startswith(CANONICAL_BASE) for i in recorded.interactions)

    with BackgroundServer(lambda: create_app([path]), tls=True, tls_dir=tls) as offline:
        started = time.perf_counter()
        replay_results = emulator_lifecycle(*clients(offline))
        elapsed = time.perf_counter() - started
        assert offline.app[REPLAYER].misses == 0  # type: ignore[index]
        assert offline.app[REPLAYER].unused() == []  # type: ignore[index]
    assert replay_results == live_results
    assert live_results[-1] == "ResourceNotFound"
    assert elapsed < 2.0, elapsed


# ------------------------------------------------------------------ ordering, repeats, fast-forward

def test_repeated_requests_answer_in_recorded_order(tmp_path: Path) -> None:
    cassette = polling_cassette(tmp_path / "poll.yaml", ["InProgress", "InProgress", "Succeeded"])
    with BackgroundServer(lambda: create_app([cassette])) as server:
        seen = [arm.get(server.url + OP, timeout=5).json()["status"] for _ in range(3)]
        assert seen == ["InProgress", "InProgress", "Succeeded"]
        r = arm.get(server.url + OP, timeout=5)
        assert r.status_code == 400
        err = r.json()["error"]
        assert err["code"] == "NoRecordedInteraction"
        assert "all 3 recorded answer(s)" in err["message"] and "--allow-repeats" in err["message"]
        assert "Retry-After" not in r.headers


def test_allow_repeats_serves_the_last_answer_again(tmp_path: Path) -> None:
    cassette = polling_cassette(tmp_path / "poll.yaml", ["InProgress", "Succeeded"])
    with BackgroundServer(lambda: create_app([cassette], allow_repeats=True)) as server:
        seen = [arm.get(server.url + OP, timeout=5).json()["status"] for _ in range(4)]
        assert seen == ["InProgress", "Succeeded", "Succeeded", "Succeeded"]


def test_lro_answers_are_fast_forwarded_and_point_here(tmp_path: Path) -> None:
    cassette = polling_cassette(tmp_path / "poll.yaml", ["InProgress", "Succeeded"],
                                headers={"Content-Length": ["0"], "Transfer-Encoding": ["chunked"]})
    with BackgroundServer(lambda: create_app([cassette])) as server:
        r = arm.post(server.url + VMSS + f"/restart?api-version={V}", timeout=5)
        assert r.status_code == 202
        assert "Retry-After" not in r.headers  # azure-core would read it before retry-after-ms
        assert r.headers["retry-after-ms"] == "1"
        assert r.headers["Azure-AsyncOperation"] == server.url + OP
        assert "Transfer-Encoding" not in r.headers and r.headers["Content-Length"] == "0"
        poll = arm.get(r.headers["Azure-AsyncOperation"], timeout=5)
        assert poll.json()["status"] == "InProgress" and poll.headers["retry-after-ms"] == "1"


def test_sdk_polls_a_slow_recorded_operation_instantly(tmp_path: Path) -> None:
    cassette = polling_cassette(tmp_path / "poll.yaml", ["InProgress"] * 8 + ["Succeeded"])
    with BackgroundServer(lambda: create_app([cassette]), tls=True, tls_dir=tmp_path / "tls") as server:
        started = time.perf_counter()
        poller = sdk(server).virtual_machine_scale_sets.begin_restart("rg", "vmss1", api_version=V,
                                                                      polling_interval=30)
        poller.result()
        assert poller.status() == "Succeeded"
        assert time.perf_counter() - started < 1.0
        assert server.app[REPLAYER].unused() == []  # type: ignore[index]


# ------------------------------------------------------------------ matching details, misses, bad input

def test_host_path_case_and_query_order_are_ignored(corpus_server: BackgroundServer) -> None:
    cassette = load_cassette(RECORDINGS / "test_vmss_nics.yaml")
    first = cassette.interactions[0]  # GET .../resourcegroups/cli_test_vmss_nics000001?api-version=2022-09-01
    with BackgroundServer(lambda: create_app([cassette])) as server:
        url = f"{server.url}/SUBSCRIPTIONS/{SUB}/resourceGroups/CLI_TEST_VMSS_NICS000001/?api-version=2022-09-01"
        r = arm.get(url, timeout=5)
        assert r.status_code == 200 and r.content == first.response.content


def test_json_body_matched_by_meaning_and_body_miss_names_the_json_path(tmp_path: Path) -> None:
    with BackgroundServer(lambda: create_app([MODIFY])) as server:
        url = f"{server.url}/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/" \
              f"virtualMachineScaleSets/vmss1/manualupgrade?api-version={V}"
        r = arm.post(url, data='{"instanceIds": ["5", "7"]}', timeout=5)
        assert r.status_code == 400
        message = r.json()["error"]["message"]
        assert "body $.instanceIds[1]: \"7\", recorded \"6\"" in message
        assert "test_vmss_create_and_modify.yaml #21" in message
        r = arm.post(url, data='{\n  "instanceIds": [ "5","6" ]\n}', timeout=5)
        assert r.status_code == 202


def test_poll_urls_renamed_by_the_recorder_still_reach_the_recorded_polls() -> None:
    """The CLI's recorder wrote `mock-deployment` in URIs but left the real name in Azure-AsyncOperation."""
    nics = load_cassette(RECORDINGS / "test_vmss_nics.yaml")
    put = nics.interactions[10]
    with BackgroundServer(lambda: create_app([nics])) as server:
        path_qs = put.request.uri.split("://", 1)[1].partition("/")[2]
        r = arm.put(f"{server.url}/{path_qs}", data=put.request.content, timeout=5)
        assert r.status_code == 201
        poll_url = r.headers["Azure-AsyncOperation"]
        assert poll_url.startswith(server.url) and "mock-deployment" not in poll_url
        states = [arm.get(poll_url, timeout=5).json()["status"] for _ in range(3)]
        assert states == ["Running", "Running", "Succeeded"]


def test_a_deployment_named_anew_by_the_client_replays_as_the_recorded_one() -> None:
    """`az vmss create` names its deployment `vmss_deploy_` + 32 random characters on every run (the CLI's
    recording says `mock-deployment`): the PUT with the same body and the client's reads of its deployment
    replay the recorded ones; a second new name, or another body, is still a miss."""
    nics = load_cassette(RECORDINGS / "test_vmss_nics.yaml")
    put, got = nics.interactions[10], nics.interactions[14]
    with BackgroundServer(lambda: create_app([nics])) as server:
        path_qs = put.request.uri.split("://", 1)[1].partition("/")[2]
        mine = path_qs.replace("mock-deployment", "vmss_deploy_Q3xk8ZbT0aLm2WcYp7Vd9RsE4nHu6JfG")
        other = path_qs.replace("mock-deployment", "vmss_deploy_second")
        changed = put.request.content.replace(b'"Standard_DS1_v2"', b'"Standard_D2s_v3"')
        assert changed != put.request.content
        assert arm.put(f"{server.url}/{other}", data=changed, timeout=5).json()["error"]["code"] == \
            "NoRecordedInteraction"  # another body: not the recorded deployment
        r = arm.put(f"{server.url}/{mine}", data=put.request.content, timeout=5)
        assert r.status_code == 201 and r.json()["properties"]["provisioningState"] == "Accepted"
        read = arm.get(f"{server.url}/{mine}", timeout=5)
        assert read.status_code == 200 and read.json() == got.response.json()
        again = arm.put(f"{server.url}/{other}", data=put.request.content, timeout=5)
        assert again.status_code == 400 and again.json()["error"]["code"] == "NoRecordedInteraction"
        server.app[REPLAYER].reset()  # a new session may name it anew again
        assert arm.put(f"{server.url}/{other}", data=put.request.content, timeout=5).status_code == 201


def test_compressed_bodies_keep_their_encoding_and_decoded_ones_lose_it() -> None:
    import gzip

    raw = b'{"name": "vmss1"}'
    answers = [
        Interaction(Request("GET", f"{CANONICAL_BASE}{VMSS}?api-version={V}&n=1", None, {}),
                    Response(200, "OK", {"Content-Encoding": ["gzip"]}, gzip.compress(raw))),
        Interaction(Request("GET", f"{CANONICAL_BASE}{VMSS}?api-version={V}&n=2", None, {}),
                    Response(200, "OK", {"Content-Encoding": ["gzip"]}, raw.decode())),
    ]
    with BackgroundServer(lambda: create_app([Cassette(answers)])) as server:
        for n in (1, 2):
            r = arm.get(f"{server.url}{VMSS}?api-version={V}&n={n}", timeout=5)
            assert r.status_code == 200 and r.content == raw, n


def test_request_filter_lets_real_ids_match_pseudonyms() -> None:
    real = "11111111-2222-3333-4444-555555555555"

    def pseudonymise(request: Request) -> Request:
        return Request(request.method, request.uri.replace(real, SUB), request.body, request.headers)

    with BackgroundServer(lambda: create_app([MODIFY], request_filter=pseudonymise)) as server:
        url = f"{server.url}/subscriptions/{real}/resourceGroups/{RG}/providers/Microsoft.Compute/" \
              f"virtualMachineScaleSets/vmss1?api-version={V}"
        r = arm.get(url, timeout=5)
        assert r.status_code == 200 and r.json()["name"] == "vmss1"
        r = arm.get(url.replace("vmss1?", "vmss9?"), timeout=5)  # explained in cassette terms
        message = r.json()["error"]["message"]
        assert "path segment 8: 'vmss9', recorded 'vmss1'" in message and real not in message
        assert "after sanitizing" in message
    with BackgroundServer(lambda: create_app([MODIFY], request_filter=None)) as server:
        assert arm.get(url.replace(url.split("/subscriptions")[0], server.url), timeout=5).status_code == 400


def sanitized_cassette(path: Path, config: Any, real_sub: str) -> tuple[Path, str, str]:
    """A PUT with a real subscription id and a password, stored as the recorder stores it."""
    from contract.sanitize import Sanitizer

    uri = f"{CANONICAL_BASE}/subscriptions/{real_sub}/resourceGroups/rg/providers/Microsoft.Compute/" \
          f"virtualMachineScaleSets/vmss1?api-version={V}"
    body = '{"location": "westus", "properties": {"virtualMachineProfile": {"osProfile": ' \
           '{"adminUsername": "azureuser", "adminPassword": "Real#Passw0rd"}}}}'
    answer = f'{{"id": "/subscriptions/{real_sub}/resourceGroups/rg/providers/Microsoft.Compute/' \
             f'virtualMachineScaleSets/vmss1", "name": "vmss1"}}'
    live = Interaction(Request("PUT", uri, body, {"Authorization": ["Bearer real-token"]}),
                       Response(200, "OK", {"Content-Type": ["application/json"]}, answer))
    stored = Sanitizer(config).interaction(live)
    saved = save_cassette(Cassette([stored]), path)
    text = saved.read_text()
    assert real_sub not in text and "Real#Passw0rd" not in text and "real-token" not in text
    return saved, uri.split("://", 1)[1].partition("/")[2], body


def test_real_ids_match_a_cassette_the_recorder_sanitized(tmp_path: Path) -> None:
    from contract.replay import sanitizing_filter

    real = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    config = {"salt": "replay-test-salt"}
    cassette, path_qs, body = sanitized_cassette(tmp_path / "s.yaml", config, real)
    with BackgroundServer(lambda: create_app([cassette], request_filter=sanitizing_filter(config))) as server:
        r = arm.put(f"{server.url}/{path_qs}", data=body, timeout=5)
        assert r.status_code == 200, r.text
        # The cassette holds only the fake id; the client gets its own id back, as the live service answered.
        assert r.json()["name"] == "vmss1"
        assert r.json()["id"].startswith(f"/subscriptions/{real}/"), r.text
    assert real not in cassette.read_text()
    other_salt = sanitizing_filter({"salt": "another"})
    with BackgroundServer(lambda: create_app([cassette], request_filter=other_salt)) as server:
        r = arm.put(f"{server.url}/{path_qs}", data=body, timeout=5)
        assert r.status_code == 400  # a different salt gives different fake ids: no match


def test_bad_input_gets_cloud_errors_and_server_keeps_serving(tmp_path: Path) -> None:
    recorded_bad = Interaction(
        Request("PUT", f"{CANONICAL_BASE}{VMSS}?api-version={V}", '{"location": ', {}),
        Response(400, "Bad Request", {"Content-Type": ["application/json"]},
                 '{"error": {"code": "InvalidRequestContent", "message": "bad"}}'))
    with BackgroundServer(lambda: create_app([Cassette([recorded_bad])])) as server:
        url = server.url + VMSS + f"?api-version={V}"
        # malformed JSON that was recorded is replayed as recorded
        r = arm.put(url, data='{"location": ', timeout=5)
        assert r.status_code == 400 and r.json()["error"]["message"] == "bad"
        # malformed JSON and invalid UTF-8 that were not: an explained miss
        r = arm.put(url, data=b'{"location": "\xff', timeout=5)
        assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"
        assert "not JSON" in r.json()["error"]["message"]  # the miss explanation is kept
        # where ARM refuses before any lookup, an unrecorded request gets ARM's refusal
        r = requests.get(server.url + VMSS + f"?api-version={V}", timeout=5)  # no Authorization
        assert r.status_code == 401 and r.json()["error"]["code"] == "AuthenticationFailed"
        assert r.headers["WWW-Authenticate"].startswith("Bearer") and "Retry-After" not in r.headers
        r = arm.get(server.url + VMSS, timeout=5)
        assert r.status_code == 400 and r.json()["error"]["code"] == "MissingApiVersionParameter"
        assert "No recorded interaction" in r.json()["error"]["message"]
        r = arm.put(url, data=b"x" * (10 * 1024 * 1024), timeout=30)
        assert r.status_code == 413 and r.json()["error"]["code"] == "RequestEntityTooLarge"
        r = arm.get(server.url + "/no/such/thing", timeout=5)
        assert r.status_code == 400 and "No recorded interaction matches GET /no/such/thing" in r.text
        r = arm.put(url, data='{"location": ', timeout=5)
        assert r.status_code == 400 and "already served" in r.json()["error"]["message"]


def test_loading_errors_and_sources(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("interactions: [")
    with pytest.raises(CassetteError):
        create_app([bad])
    with pytest.raises(ValueError):
        create_app([], fallback="pray")
    app = create_app([RECORDINGS])  # a folder
    assert app[REPLAYER].interaction_count == 400
    empty = create_app([])
    assert empty[REPLAYER].interaction_count == 0


def test_fallback_emulate_answers_misses_with_the_emulator(tmp_path: Path) -> None:
    cassette = polling_cassette(tmp_path / "poll.yaml", ["Succeeded"])
    with BackgroundServer(lambda: create_app([cassette], fallback="emulate")) as server:
        auth = {"Authorization": "Bearer x"}
        r = arm.get(server.url + OP, timeout=5)  # recorded: from the cassette
        assert r.json()["name"] == "op1"
        rg = f"{server.url}/subscriptions/{SUB}/resourcegroups/fresh?api-version=2022-09-01"
        r = arm.put(rg, json={"location": "westus"}, headers=auth, timeout=5)  # not recorded: emulated
        assert r.status_code in (200, 201), r.text
        r = arm.get(rg, headers=auth, timeout=5)
        assert r.status_code == 200 and r.json()["name"] == "fresh"


# ------------------------------------------------------------------ the command

def test_replay_command_serves_until_sigterm(tmp_path: Path) -> None:
    real = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    config = tmp_path / "sanitize.yaml"
    config.write_text("salt: command-test-salt\n")
    sanitized, path_qs, body = sanitized_cassette(tmp_path / "put.yaml", str(config), real)
    cassette = polling_cassette(tmp_path / "poll.yaml", ["Succeeded"])
    proc = subprocess.Popen([sys.executable, "-m", "contract", "replay", str(cassette), str(sanitized),
                             "--sanitize-config", str(config), "--tls", "--tls-dir", str(tmp_path / "tls")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.fullmatch(r"listening on (https://127\.0\.0\.1:\d+)\n", line)
        assert match, (line, proc.stderr.read() if proc.poll() is not None else "")  # type: ignore[union-attr]
        ca = str(tmp_path / "tls" / "ca.pem")
        r = arm.get(match.group(1) + OP, verify=ca, timeout=5)
        assert r.json()["status"] == "Succeeded"
        r = arm.put(f"{match.group(1)}/{path_qs}", data=body, verify=ca, timeout=5)  # real ids
        assert r.status_code == 200 and r.json()["name"] == "vmss1"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert "replaying 3 interactions from 2 cassette(s)" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_replay_command_refuses_an_empty_file_or_folder(tmp_path: Path) -> None:
    """Nothing to replay is a mistake (wrong folder, cassette never recorded), not a server of misses."""
    from click.testing import CliRunner

    from contract.commands.replay import command

    empty_dir, empty_file = tmp_path / "none", tmp_path / "empty.yaml"
    empty_dir.mkdir()
    empty_file.write_text("")
    for source, says in ((empty_dir, "no cassettes in this folder"), (empty_file, "holds no interactions")):
        result = CliRunner().invoke(command, [str(source)])
        assert result.exit_code != 0 and f"Error: {source}" in result.output and says in result.output, result.output
        assert "listening on" not in result.output
