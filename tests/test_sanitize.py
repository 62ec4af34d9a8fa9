"""The sanitizer: secrets gone, ids pseudonymised consistently, shapes and bytes kept where possible."""
from __future__ import annotations

import json
import re
import stat
import uuid
from pathlib import Path

import pytest

from contract.cassette import Interaction, Request, Response, load_cassette
from contract.sanitize import SANITIZED, ZERO_GUID, Sanitizer, SanitizerConfig
from contract.specs import load_spec

RECORDINGS = Path(__file__).parent / "data" / "recordings"
SUB = "1b2c3d4e-1111-4222-8333-444455556666"
TENANT = "54826b22-38d6-4fb2-bad9-b7b93a3e9c5a"
PRINCIPAL = "9f8e7d6c-5b4a-4321-8fed-cba987654321"
BASE = f"https://management.azure.com/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Compute"


def sanitizer(salt: str = "test-salt", **config: object) -> Sanitizer:
    return Sanitizer({"salt": salt, **config})


def vmss_body() -> dict:
    return {
        "location": "westus",
        "sku": {"name": "Standard_D1_v2", "tier": "Standard", "capacity": 2},
        "identity": {"type": "SystemAssigned", "tenantId": TENANT, "principalId": PRINCIPAL},
        "properties": {"upgradePolicy": {"mode": "Manual"}, "virtualMachineProfile": {
            "osProfile": {"computerNamePrefix": "v", "adminUsername": "azureuser",
                          "adminPassword": "Pa$$w0rd-real", "customData": "c2VjcmV0"},
            "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "UbuntuServer",
                                                  "sku": "18.04-LTS", "version": "latest"}},
            "extensionProfile": {"extensions": [{"name": "cse", "properties": {
                "publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1",
                "protectedSettings": {"commandToExecute": "curl -H 'key: hunter2' x", "timeout": 5}}}]}}},
    }


def put(body: dict | str, headers: dict | None = None, uri: str | None = None) -> Request:
    text = body if isinstance(body, str) else json.dumps(body)
    return Request("PUT", uri or f"{BASE}/virtualMachineScaleSets/v1?api-version=2024-07-01", text,
                   {"Content-Type": ["application/json"], "Content-Length": [str(len(text))], **(headers or {})})


def test_spec_and_known_secrets_are_replaced_with_shape_kept() -> None:
    clean = sanitizer().request(put(vmss_body()))
    body = json.loads(clean.body)
    os_profile = body["properties"]["virtualMachineProfile"]["osProfile"]
    assert os_profile["adminPassword"] == SANITIZED and os_profile["customData"] == SANITIZED
    assert os_profile["adminUsername"] == "azureuser"
    ext = body["properties"]["virtualMachineProfile"]["extensionProfile"]["extensions"][0]["properties"]
    assert ext["protectedSettings"] == {"commandToExecute": SANITIZED, "timeout": 0}
    for secret in ("Pa$$w0rd-real", "c2VjcmV0", "hunter2"):
        assert secret not in clean.body
    # the sanitized body is still a valid create request for the spec
    assert load_spec().validate_request("VirtualMachineScaleSets_CreateOrUpdate", body) == []
    assert clean.headers["Content-Length"] == [str(len(clean.body.encode()))]


def test_every_writeonly_member_of_the_spec_is_scrubbed() -> None:
    names = load_spec().secret_names
    assert {"adminPassword", "customData", "protectedSettings", "protectedParameters", "runAsPassword"} <= names
    body = {"properties": {name: f"value-of-{name}" for name in names}}
    clean = sanitizer().request(put(body))
    assert all(f"value-of-{name}" not in clean.body for name in names)


def test_run_command_secrets() -> None:
    body = {"location": "westus", "properties": {"source": {"script": "echo hi"}, "runAsUser": "azureuser",
                                                 "runAsPassword": "rc-pass-1",
                                                 "protectedParameters": [{"name": "token", "value": "rc-val-2"}]}}
    clean = json.loads(sanitizer().request(put(body)).body)
    assert clean["properties"]["runAsPassword"] == SANITIZED
    assert clean["properties"]["protectedParameters"] == [{"name": SANITIZED, "value": SANITIZED}]
    assert clean["properties"]["source"] == {"script": "echo hi"}


def test_credential_headers_go_and_request_ids_are_pseudonymised() -> None:
    rid = "12345678-aaaa-4bbb-8ccc-123456789012"
    r = put({}, {"Authorization": ["Bearer eyJ0eXAiOiJKV1Qi.eyJhdWQiOiJodHRwcyI.sig"], "Cookie": ["a=b"],
                 "x-ms-client-request-id": [rid], "X-Custom": ["keep"]})
    clean = sanitizer().request(r)
    assert "Authorization" not in clean.headers and "Cookie" not in clean.headers
    fake = clean.headers["x-ms-client-request-id"][0]
    assert fake != rid and uuid.UUID(fake).version == 4
    assert clean.headers["X-Custom"] == ["keep"]


def test_sas_signatures_bearer_tokens_and_jwts_anywhere() -> None:
    sas = "https://acct.blob.core.windows.net/c/b.vhd?sv=2021-08-06&sr=b&sig=AbCdEf%2Bghi%3D&se=2030"
    body = {"properties": {"source": {"scriptUri": sas}, "note": "use Bearer abcdefghijklmnop123 now",
                           "jwt": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
                           "escaped": sas.replace("&", "\\u0026")}}
    i = Interaction(put(body, uri=f"{BASE}/x?api-version=1&sig=URISIG123"),
                    Response(202, "Accepted", {"Location": [sas], "content-length": ["0"]}, None))
    clean = sanitizer().interaction(i)
    text = json.dumps([clean.request.uri, clean.request.body, clean.response.headers])
    for secret in ("AbCdEf", "URISIG123", "abcdefghijklmnop123", "eyJhbGciOiJSUzI1NiJ9", "c2lnbmF0dXJl"):
        assert secret not in text
    assert clean.request.uri.endswith("&sig=Sanitized")
    assert "sv=2021-08-06" in clean.response.headers["Location"][0]  # only the signature goes


def test_www_authenticate_challenge_keeps_its_shape_but_loses_the_tenant() -> None:
    challenge = f'Bearer authorization_uri="https://login.microsoftonline.com/{TENANT}", error="invalid_token"'
    i = Interaction(put({}), Response(401, "Unauthorized", {"WWW-Authenticate": [challenge]}, None))
    value = sanitizer().interaction(i).response.headers["WWW-Authenticate"][0]
    assert value.startswith('Bearer authorization_uri="https://login.microsoftonline.com/')
    assert TENANT not in value


def test_ids_are_stable_across_places_and_sessions_and_salted() -> None:
    a, b, other = sanitizer(), sanitizer(), sanitizer(salt="another project")
    i = Interaction(put(vmss_body()), Response(200, "OK", {}, json.dumps(
        {"id": f"/subscriptions/{SUB}/resourceGroups/rg1", "message": f"tenant {TENANT} principal {PRINCIPAL}",
         "zero": ZERO_GUID})))
    one, two = a.interaction(i), b.interaction(i)
    assert one == two  # same salt, new session: same fakes
    fake_sub = a.fake_id(SUB)
    assert fake_sub in one.request.uri and fake_sub in one.response.body
    assert a.fake_id(TENANT) in one.response.body and a.fake_id(PRINCIPAL) in one.response.body
    for real in (SUB, TENANT, PRINCIPAL):
        assert real not in one.request.uri + one.request.body + one.response.body
    assert ZERO_GUID in one.response.body  # left alone
    assert other.fake_id(SUB) != fake_sub
    assert a.fake_id(SUB.upper()) == fake_sub  # GUIDs are case-insensitive
    assert a.interaction(one) == one  # idempotent: fakes are recognised, never faked again
    assert a.is_fake(fake_sub) and not a.is_fake(SUB) and not other.is_fake(fake_sub)


def test_request_api_matches_interaction_for_replay() -> None:
    """Replay calls `.request(r)` on a live request to find the pseudonymised recording."""
    i = Interaction(put(vmss_body()), Response(200, "OK", {}, "{}"))
    recorded = sanitizer().interaction(i).request
    live = sanitizer().request(i.request)
    assert (live.method, live.uri, live.body) == (recorded.method, recorded.uri, recorded.body)


def test_formatting_of_untouched_bytes_is_kept() -> None:
    pretty = "{\r\n  \"properties\": {\r\n    \"adminPassword\": \"Secret!1\",\r\n    \"x\": \"\\u00e9\"\r\n  }\r\n}"
    clean = sanitizer().request(put(pretty))
    assert clean.body == pretty.replace("Secret!1", SANITIZED)
    untouched = '{ "a" : 1 }'
    assert sanitizer().request(put(untouched)).body == untouched


def test_corpus_leftovers_are_scrubbed() -> None:
    """The corpus README: a tenant id and test admin passwords inside deployment parameters remain."""
    s = sanitizer()
    for name, leftovers in [("test_vmss_accelerated_networking.yaml", ["Test12345678!!!"]),
                            ("test_vmss_update_policy.yaml", ["Test123456789#"]),
                            ("test_vmss_create_linux_secrets.yaml", [TENANT])]:
        raw = (RECORDINGS / name).read_text()
        assert all(x in raw for x in leftovers)
        cleaned = [s.interaction(i) for i in load_cassette(RECORDINGS / name).interactions]
        text = json.dumps([[c.request.uri, c.request.body, c.response.body, c.request.headers, c.response.headers]
                           for c in cleaned])
        for x in leftovers:
            assert json.dumps(x)[1:-1] not in text, (name, x)


def test_user_rules_from_a_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "sanitize.yaml"
    cfg.write_text(
        "sanitize:\n"
        "  salt_file: salt.txt\n"
        "  remove_headers: [X-Team-Token]\n"
        "  secret_fields: [storageKey]\n"
        "  json_paths: ['$.properties.settings.apiKey', '$..sasUrl', '$.items[*].code', \"$['odd key']\"]\n"
        "  regexes:\n"
        "    - {pattern: 'AccountKey=[^;\"]+', replacement: 'AccountKey=Sanitized'}\n"
        "    - 'internal-[0-9]+'\n")
    s = Sanitizer(cfg)
    salt = tmp_path / "salt.txt"
    assert salt.exists() and stat.S_IMODE(salt.stat().st_mode) == 0o600
    body = {"properties": {"settings": {"apiKey": "k-1", "other": "v"}, "deep": {"storagekey": "k-2"},
                           "a": [{"sasUrl": "k-3"}], "conn": "DefaultEndpointsProtocol=https;AccountKey=k-4;x=1"},
            "items": [{"code": "k-5"}, {"code": "k-6"}], "odd key": "k-7", "ref": "internal-42"}
    clean = s.request(put(body, {"X-Team-Token": ["k-8"]}))
    text = clean.body + json.dumps(clean.headers)
    for n in range(1, 9):
        assert f"k-{n}" not in text, n
    assert "internal-42" not in text and json.loads(clean.body)["properties"]["settings"]["other"] == "v"
    assert Sanitizer(cfg).fake_id(SUB) == s.fake_id(SUB)  # the salt file is reused


@pytest.mark.parametrize(("config", "message"), [
    ({"regexes": ["("]}, "regexes[0]"),
    ({"json_paths": ["properties.x"]}, "must start with '$'"),
    ({"json_paths": ["$.a..[?(@.x)]"]}, "cannot read"),
    ({"remove_header": ["x"]}, "unknown keys ['remove_header']"),
])
def test_bad_config_is_a_clear_error(config: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        SanitizerConfig.load(config)


def test_binary_bodies_still_lose_signatures() -> None:
    body = b"\xff\xfe binary sig=ABCDEFGH&x ?sig=ZYXWVU"
    clean = sanitizer().request(Request("POST", f"{BASE}/x", body, {}))
    assert isinstance(clean.body, bytes) and b"ZYXWVU" not in clean.body and clean.body.startswith(b"\xff\xfe")


def test_json_that_does_not_parse_still_loses_its_secrets() -> None:
    broken = '{"properties": {"adminPassword": "Br0ken-Secret\\"x", "customData": "c2VjcmV0LWRhdGE=",'
    deep = '{"adminPassword": "Deep-Secret-1", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    for text, secrets in ((broken, ["Br0ken-Secret", "c2VjcmV0LWRhdGE="]), (deep, ["Deep-Secret-1"])):
        clean = sanitizer().request(put(text))
        assert all(s not in clean.body for s in secrets)
        assert '"adminPassword": "Sanitized"' in clean.body


def test_project_salt_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from contract.sanitize import project_salt

    monkeypatch.delenv("VMSS_CONTRACT_SALT", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "proj" / "sub").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "proj" / "sub")
    per_user = project_salt()  # nothing in the project: a per-user salt, created once, private
    salt_file = tmp_path / "cache" / "vmss-contract" / "salt"
    assert salt_file.exists() and stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    assert project_salt() == per_user
    (tmp_path / "proj" / ".vmss-contract").mkdir()
    (tmp_path / "proj" / ".vmss-contract" / "salt").write_text("team-salt\n")
    assert project_salt() == b"team-salt"  # found from a subfolder of the project
    monkeypatch.setenv("VMSS_CONTRACT_SALT", "ci-salt")
    assert project_salt() == b"ci-salt"
    assert Sanitizer().fake_id(SUB) == Sanitizer({"salt": "ci-salt"}).fake_id(SUB)


def test_a_parameter_named_like_a_secret_loses_its_values_not_its_declaration() -> None:
    """`adminPassword` as a deployment parameter: the template declares it `{"type": "secureString"}` and ARM
    answers `{"type": "SecureString"}`. Only values go; scrubbing the type would record what Azure never said
    (and make the recorded template invalid)."""
    uri = f"https://management.azure.com/subscriptions/{SUB}/resourcegroups/rg1/providers/Microsoft.Resources/" \
          "deployments/d1?api-version=2022-09-01"
    template = {"parameters": {"adminPassword": {"type": "secureString", "metadata": {"description": "admin"}},
                               "password": {"type": "string", "defaultValue": "Default#Secret-9",
                                            "allowedValues": ["Default#Secret-9", "Other#Secret-8"]}},
                "resources": []}
    sent = {"properties": {"mode": "Incremental", "template": template,
                           "parameters": {"adminPassword": {"value": "Real#Secret-1"}}}}
    answer = {"properties": {"parameters": {"adminPassword": {"type": "SecureString"},
                                            "password": {"type": "String", "value": "Default#Secret-9"}},
                             "provisioningState": "Succeeded"}}
    clean = sanitizer().interaction(Interaction(put(sent, uri=uri), Response(200, "OK", {}, json.dumps(answer))))
    request, response = json.loads(clean.request.body), json.loads(clean.response.body)
    declared = request["properties"]["template"]["parameters"]
    assert declared["adminPassword"] == {"type": "secureString", "metadata": {"description": "admin"}}
    assert declared["password"] == {"type": "string", "defaultValue": SANITIZED, "allowedValues": [SANITIZED, SANITIZED]}
    assert request["properties"]["parameters"] == {"adminPassword": {"value": SANITIZED}}
    assert response["properties"]["parameters"] == {"adminPassword": {"type": "SecureString"},
                                                    "password": {"type": "String", "value": SANITIZED}}
    for secret in ("Real#Secret-1", "Default#Secret-9", "Other#Secret-8"):
        assert secret not in clean.request.body + clean.response.body
    # a secret-named member elsewhere is still scrubbed whole, whatever its shape
    other = sanitizer().request(put({"properties": {"password": {"type": "x", "value": "v1"}}}))
    assert json.loads(other.body)["properties"]["password"] == {"type": SANITIZED, "value": SANITIZED}
