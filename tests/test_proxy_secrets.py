"""Every secret kind of issue 15 planted through the real recording proxy (a real aiohttp
upstream on 127.0.0.1), then looked for in the cassette file's bytes."""
from __future__ import annotations

import base64
import gzip
import json
import logging
import secrets
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
import requests
from aiohttp import web
from click.testing import CliRunner

from contract.cassette import Cassette, Interaction, Request, Response, load_cassette, save_cassette
from contract.proxy import PROXY, create_app
from contract.sanitize import SANITIZED, Sanitizer
from contract.servers import BackgroundServer

SUB = "0b7c2f3e-5d41-4e8a-9c6b-2a1f3e4d5c6b"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-sec"


def token(n: int = 20) -> str:
    """A random planted value that cannot occur in the cassette by chance."""
    return "P" + secrets.token_hex(n)[: n - 1]


def storage_key() -> str:
    return base64.b64encode(secrets.token_bytes(64)).decode()  # 88 characters ending "=="


PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + secrets.token_hex(24) +
       "\nQk9HVVNLRVlEQVRB" + secrets.token_hex(24) + "\n-----END RSA PRIVATE KEY-----\n")


class Upstream:
    """Answers like ARM for the operations that hand out secrets; echoes everything else."""

    def __init__(self) -> None:
        self.plant: dict[str, Any] = {}
        self.received: list[tuple[dict[str, str], bytes]] = []

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024, handler_args={"auto_decompress": False})
        app.router.add_post(RG + "/providers/Microsoft.Storage/storageAccounts/{name}/listKeys", self.list_keys)
        app.router.add_post(RG + "/providers/Microsoft.Compute/sshPublicKeys/{name}/generateKeyPair", self.key_pair)
        app.router.add_put(RG + "/providers/Microsoft.Resources/deployments/{name}", self.deployment)
        app.router.add_get("/compressed/{coding}", self.compressed)
        app.router.add_route("*", "/{tail:.*}", self.echo)
        return app

    async def list_keys(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [
            {"keyName": "key1", "value": self.plant["key1"], "permissions": "FULL"},
            {"keyName": "key2", "value": self.plant["key2"], "permissions": "FULL"}]})

    async def key_pair(self, request: web.Request) -> web.Response:
        return web.json_response({"privateKey": PEM, "publicKey": "ssh-rsa AAAAB3NzaC1yc2E= generated",
                                  "id": request.path})

    async def deployment(self, request: web.Request) -> web.Response:
        sent = await request.json()
        echoed = {name: {"type": self.plant["types"].get(name, "String")}
                  for name in sent["properties"].get("parameters", {})}
        for name, p in echoed.items():  # ARM echoes plain parameters' values, never secure ones
            if p["type"] == "String":
                p["value"] = sent["properties"]["parameters"][name]["value"]
        return web.json_response({"id": request.path, "properties": {"parameters": echoed,
                                                                      "provisioningState": "Accepted"}}, status=201)

    async def compressed(self, request: web.Request) -> web.Response:
        coding = request.match_info["coding"]
        raw = json.dumps({"properties": {"connectionString": f"AccountKey={self.plant['ckey']};x=1",
                                         "note": f"password={self.plant['cpass']}"}}).encode()
        data = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[coding](raw)
        return web.Response(body=data, headers={"Content-Type": "application/json", "Content-Encoding": coding})

    async def echo(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.received.append((dict(request.headers), raw))
        body = raw
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(raw)
        answer = {"path": request.path_qs, "body": body.decode("utf-8", "replace"),
                  "headers": dict(request.headers)}
        headers = dict(self.plant.get("answer_headers", {}))
        message = self.plant.get("message")
        if message:
            answer = {"error": {"code": "InvalidParameter", "message": message}, "echo": answer}
        return web.json_response(answer, headers=headers)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Upstream, str, Path, Any]]:
    up = Upstream()
    cassette = tmp_path_factory.mktemp("secret-kinds") / "kinds.yaml"
    with BackgroundServer(up.app) as upstream:
        server = BackgroundServer(lambda: create_app(str(cassette), upstream.url,
                                                     sanitizer=Sanitizer({"salt": "secret-kinds"}))).start()
        try:
            yield up, server.url, cassette, server.app[PROXY]  # type: ignore[index]
        finally:
            server.stop()


def on_disk(cassette: Path, *planted: str) -> list[str]:
    """The planted values (or their JSON-escaped forms) found in the cassette file."""
    data = cassette.read_bytes()
    found = []
    for value in planted:
        for form in {value, json.dumps(value)[1:-1], value.replace("/", "\\/")}:
            if form.encode() in data:
                found.append(value)
                break
    return found


def test_list_keys_values_and_their_echoes(recording: Any) -> None:
    up, base, cassette, _ = recording
    up.plant.update(key1=storage_key(), key2=token(40))  # the second is not storage-key shaped
    r = requests.post(f"{base}{RG}/providers/Microsoft.Storage/storageAccounts/acct1/listKeys?api-version=2023-05-01")
    assert r.json()["keys"][0]["value"] == up.plant["key1"]  # the client gets the real keys
    echo = requests.put(f"{base}{RG}/providers/x/y/z?api-version=1", json={"note": f"using {up.plant['key2']}"})
    assert echo.status_code == 200
    assert on_disk(cassette, up.plant["key1"], up.plant["key2"]) == []
    assert "key1" in cassette.read_text()  # the key names (not secret) stay


def test_account_and_shared_access_keys_in_any_string(recording: Any) -> None:
    up, base, cassette, _ = recording
    ak, sak, sas = token(30), token(30), token(30)
    body = {"location": "westus", "properties": {"virtualMachineProfile": {"extensionProfile": {"extensions": [
        {"name": "diag", "properties": {"settings": {
            "storage": f"DefaultEndpointsProtocol=https;AccountName=mystoreacct;AccountKey={ak};EndpointSuffix=x",
            "bus": f"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={sak}",
            "sas": f"BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2020&sig={sas}"}}}]}}}}
    r = requests.put(f"{base}{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/v1?api-version=2024-07-01",
                     json=body)
    assert r.status_code == 200
    assert on_disk(cassette, ak, sak, sas) == []
    text = cassette.read_text()
    assert "mystoreacct" in text and "SharedAccessKeyName=Root" in text  # names are not secrets


def test_private_keys_from_generate_key_pair_and_any_pem_block(recording: Any) -> None:
    up, base, cassette, _ = recording
    r = requests.post(f"{base}{RG}/providers/Microsoft.Compute/sshPublicKeys/k1/generateKeyPair?api-version=2024-07-01")
    assert r.json()["privateKey"] == PEM
    other = PEM.replace("RSA PRIVATE", "PRIVATE").replace("MIIE", "MIIF")
    requests.put(f"{base}{RG}/providers/x/y/pem?api-version=1", json={"properties": {"notes": other}})
    body_lines = [line for line in PEM.splitlines() if "-----" not in line]
    assert on_disk(cassette, *body_lines, *[x for x in other.splitlines() if "-----" not in x]) == []
    assert b"MIIEowIBAAKCAQEA" not in cassette.read_bytes() and b"MIIFowIBAAKCAQEA" not in cassette.read_bytes()


def test_secure_deployment_parameters_whatever_their_names(recording: Any) -> None:
    up, base, cassette, _ = recording
    inline, obj, default, linked, plain = token(), token(), token(), token(), token()
    up.plant["types"] = {"zz9": "SecureString", "blob": "SecureObject", "region": "String"}
    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "parameters": {"zz9": {"type": "secureString"}, "blob": {"type": "secureObject"},
                               "withDefault": {"type": "securestring", "defaultValue": default},
                               "region": {"type": "string"}},
                "resources": []}
    r = requests.put(f"{base}{RG}/providers/Microsoft.Resources/deployments/d1?api-version=2022-09-01", json={
        "properties": {"mode": "Incremental", "template": template, "parameters": {
            "zz9": {"value": inline}, "blob": {"value": {"inner": obj}}, "region": {"value": plain}}}})
    assert r.status_code == 201
    # a linked template: only ARM's answer says the parameter is secure
    r = requests.put(f"{base}{RG}/providers/Microsoft.Resources/deployments/d2?api-version=2022-09-01", json={
        "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.org/t.json"},
                       "parameters": {"zz9": {"value": linked}}}})
    assert r.status_code == 201
    assert on_disk(cassette, inline, obj, default, linked) == []
    assert plain in cassette.read_text()  # a plain string parameter is kept


def test_url_encoded_and_double_encoded_forms(recording: Any) -> None:
    up, base, cassette, _ = recording
    cs, sig1, sig2, sig3, sig4 = token(), token(), token(), token(), token()
    body = {"properties": {
        "form": f"grant_type=client_credentials&client%5Fsecret={cs}&scope=x",
        "nested": f"https%3A%2F%2Fa.blob.core.windows.net%2Fc%2Fb%3Fsv%3D2020%26sig%3D{sig1}%26se%3D2030",
        "first": f"https%3A%2F%2Fa.blob.core.windows.net%2Fc%2Fb%3Fsig%3D{sig2}",
        "double": f"https%253A%252F%252Fa%252Fb%253Fsv%253D1%2526sig%253D{sig3}%2526se%253D1"}}
    r = requests.post(f"{base}{RG}/providers/x/y/enc?api-version=1&redirect=%3Fsig%3D{sig4}", json=body)
    assert r.status_code == 200
    assert on_disk(cassette, cs, sig1, sig2, sig3, sig4) == []


def test_compressed_request_is_forwarded_unchanged_and_scrubbed_decoded(recording: Any) -> None:
    up, base, cassette, _ = recording
    password = token()
    raw = json.dumps({"properties": {"osProfile": {"adminPassword": password, "adminUsername": "gzuser"}}}).encode()
    packed = gzip.compress(raw)
    r = requests.put(f"{base}{RG}/providers/x/y/gz?api-version=1", data=packed,
                     headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert r.status_code == 200 and password in r.json()["body"]  # the upstream could decode it
    headers, received = up.received[-1]
    assert received == packed and headers["Content-Encoding"] == "gzip"  # forwarded exactly as sent
    assert on_disk(cassette, password) == []
    last = [i for i in load_cassette(cassette).interactions if "/gz?" in i.request.uri][-1]
    assert last.request.header("Content-Encoding") is None and "gzuser" in last.request.body  # stored decoded


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_compressed_answers_are_scrubbed_after_decoding(recording: Any, coding: str) -> None:
    up, base, cassette, _ = recording
    up.plant.update(ckey=token(), cpass=token())
    r = requests.get(f"{base}/compressed/{coding}?api-version=1", headers={"Accept-Encoding": coding})
    assert up.plant["ckey"] in r.json()["properties"]["connectionString"]
    assert on_disk(cassette, up.plant["ckey"], up.plant["cpass"]) == []


def test_short_password_is_scrubbed_where_it_is_echoed_later(recording: Any) -> None:
    up, base, cassette, _ = recording
    short = "Qz!"
    r = requests.put(f"{base}{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/v2?api-version=2024-07-01",
                     json={"properties": {"virtualMachineProfile": {"osProfile": {"adminPassword": short}}}})
    assert r.status_code == 200
    up.plant["message"] = f"The supplied password '{short}' must be between 8 and 123 characters long."
    try:
        requests.get(f"{base}{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/v2?api-version=2024-07-01")
    finally:
        up.plant.pop("message")
    assert b"Qz!" not in cassette.read_bytes()


def test_identity_details_in_headers_and_urls(recording: Any) -> None:
    up, base, cassette, _ = recording
    upn, mail, tenant, tenant2 = f"{token(8).lower()}@contoso.com", f"{token(8).lower()}@fabrikam.org", \
        str(uuid.uuid4()), str(uuid.uuid4())
    up.plant["answer_headers"] = {"x-ms-client-principal-name": upn, "Set-Cookie": f"x-ms-gateway={token()}"}
    try:
        r = requests.post(f"{base}/{tenant}/oauth2/v2.0/token", data={"grant_type": "client_credentials",
                                                                      "client_id": "app", "scope": "x"},
                          headers={"x-ms-client-principal-name": mail})
        assert r.status_code == 200
        requests.get(f"{base}/tenants/{tenant2}/providers?api-version=2020-01-01")
    finally:
        up.plant.pop("answer_headers")
    assert on_disk(cassette, upn, mail, tenant, tenant2, upn.split("@")[0], mail.split("@")[0]) == []
    assert "@example.invalid" in cassette.read_text()  # pseudonymised, not dropped


def test_credential_headers_never_recorded(recording: Any) -> None:
    up, base, cassette, _ = recording
    aux, cookie, proxy_auth, set_cookie = token(), token(), token(), token()
    up.plant["answer_headers"] = {"Set-Cookie": f"ARRAffinity={set_cookie}; Path=/"}
    try:
        r = requests.get(f"{base}{RG}/providers/x/y/h?api-version=1", headers={
            "x-ms-authorization-auxiliary": f"Bearer {aux}, Bearer {aux}2", "Cookie": f"s={cookie}",
            "Proxy-Authorization": f"Basic {proxy_auth}"})
        assert r.status_code == 200
    finally:
        up.plant.pop("answer_headers")
    assert on_disk(cassette, aux, cookie, proxy_auth, set_cookie) == []
    last = load_cassette(cassette).interactions[-1]
    names = {k.lower() for k in (*last.request.headers, *last.response.headers)}
    assert not names & {"x-ms-authorization-auxiliary", "cookie", "set-cookie", "proxy-authorization"}


def test_no_false_positive_for_a_name_inside_protected_settings(recording: Any) -> None:
    up, base, cassette, _ = recording
    name = "replaystore" + secrets.token_hex(3)
    body = {"properties": {"virtualMachineProfile": {"extensionProfile": {"extensions": [{"name": "e", "properties": {
        "protectedSettings": {"storageAccountName": name, "storageAccountKey": token(30)}}}]}}}}
    requests.put(f"{base}{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/v3?api-version=2024-07-01",
                 json=body)
    requests.get(f"{base}{RG}/providers/Microsoft.Storage/storageAccounts/{name}?api-version=2023-05-01")
    uris = [i.request.uri for i in load_cassette(cassette).interactions]
    assert any(u.endswith(f"/storageAccounts/{name}?api-version=2023-05-01") for u in uris)


def test_final_scan_catches_what_no_name_rule_knows(caplog: pytest.LogCaptureFixture) -> None:
    key, pem_body = storage_key(), secrets.token_hex(20)
    pem = f"-----BEGIN EC PRIVATE KEY-----\n{pem_body}\n-----END EC PRIVATE KEY-----"
    s = Sanitizer({"salt": "final"})
    body = json.dumps({"properties": {"innocentName": key, "notes": pem}})
    with caplog.at_level(logging.WARNING, logger="vmss_contract.sanitize"):
        clean = s.interaction(Interaction(Request("GET", "https://management.azure.com/x", None, {}),
                                          Response(200, "OK", {}, body)))
    assert key not in clean.response.body and pem_body not in clean.response.body
    assert s.fired == {"storage-account-key": 1, "pem-private-key": 1}
    assert "rule storage-account-key" in caplog.text and "rule pem-private-key" in caplog.text


def test_scrub_command_re_sanitizes_in_place(tmp_path: Path) -> None:
    from contract.cli import main

    password, key = token(), storage_key()
    cassette = tmp_path / "old.yaml"
    save_cassette(Cassette([Interaction(
        Request("PUT", f"https://management.azure.com{RG}/providers/x/y/z?api-version=1",
                json.dumps({"properties": {"adminPassword": password}}), {"Authorization": ["Bearer abcdefgh123"]}),
        Response(200, "OK", {}, json.dumps({"keys": [{"keyName": "key1", "value": key}]})))]), cassette)
    result = CliRunner().invoke(main, ["scrub", str(cassette)], env={"VMSS_CONTRACT_SALT": "scrub-test"})
    assert result.exit_code == 0, result.output
    assert "1 of 1 interactions changed" in result.output and "request.body" in result.output
    assert on_disk(cassette, password, key, SUB, "abcdefgh123") == []
    assert load_cassette(cassette).interactions[0].request.json()["properties"]["adminPassword"] == SANITIZED
    again = CliRunner().invoke(main, ["scrub", str(cassette)], env={"VMSS_CONTRACT_SALT": "scrub-test"})
    assert again.exit_code == 0 and "clean" in again.output  # idempotent
    assert not list(tmp_path.glob(".*"))  # no temp or lock file left behind
