"""contract.identity: the local identity provider, driven by azure-identity's real credentials over TLS."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from azure.identity import ClientSecretCredential, ManagedIdentityCredential
from azure.mgmt.compute import ComputeManagementClient

from contract.emulator import create_app
from contract.identity import ARM_AUDIENCE, audience_of_scopes, fake_token, mount_identity, read_token
from contract.servers import BackgroundServer

TENANT = "72f988bf-0000-0000-0000-00000000cafe"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(lambda: mount_identity(create_app()), tls=True) as running:
        yield running


def verify(server: BackgroundServer) -> str:
    return str(server.ca_path)


def test_client_secret_credential_gets_a_fake_token_the_emulator_takes(server: BackgroundServer) -> None:
    credential = ClientSecretCredential(TENANT, "my-app", "any-secret", authority=f"{server.url}/identity",
                                        disable_instance_discovery=True, connection_verify=verify(server))
    token = credential.get_token("https://management.azure.com/.default")
    header = json.loads(base64.urlsafe_b64decode(token.token.split(".")[0] + "=="))
    claims = read_token(token.token)
    assert header["alg"] == "none" and token.token.endswith(".")  # unsigned, and says so
    assert claims["aud"] == "https://management.azure.com/"
    assert (claims["tid"], claims["appid"]) == (TENANT, "my-app")
    assert claims["iss"] == f"{server.url}/identity/{TENANT}/v2.0"
    assert "fake" in claims["vmss_contract"]
    assert claims["exp"] - claims["iat"] == 3599

    # The same credential drives the real SDK against the emulator on the same port.
    client = ComputeManagementClient(credential, SUBSCRIPTION, base_url=server.url, connection_verify=verify(server))
    assert list(client.virtual_machine_scale_sets.list_all()) == []


def test_app_service_managed_identity(server: BackgroundServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{server.url}/identity/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "local-secret")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", verify(server))
    token = ManagedIdentityCredential(client_id="user-assigned-1", connection_verify=verify(server)).get_token(
        "https://management.azure.com/.default")
    claims = read_token(token.token)
    assert claims["aud"] == "https://management.azure.com"
    assert claims["appid"] == "user-assigned-1"


def test_imds_managed_identity(server: BackgroundServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The VM metadata service, moved here by AZURE_POD_IDENTITY_AUTHORITY_HOST (read by MSAL)."""
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", f"{server.url}/identity")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", verify(server))
    token = ManagedIdentityCredential(connection_verify=verify(server)).get_token(
        "https://management.azure.com/.default")
    assert read_token(token.token)["appid"] == "system-assigned"


def test_cloud_metadata_is_unauthenticated_and_points_here(server: BackgroundServer) -> None:
    answer = requests.get(f"{server.url}/metadata/endpoints", params={"api-version": "2022-09-01"},
                          verify=verify(server), timeout=10)
    assert answer.status_code == 200
    metadata = answer.json()
    assert metadata["resourceManager"] == f"{server.url}/"
    assert metadata["authentication"]["loginEndpoint"] == f"{server.url}/identity"
    assert metadata["authentication"]["audiences"][0] == ARM_AUDIENCE


def test_v1_token_endpoint_answers_with_the_resource(server: BackgroundServer) -> None:
    answer = requests.post(f"{server.url}/identity/{TENANT}/oauth2/token", verify=verify(server), timeout=10,
                           data={"grant_type": "client_credentials", "client_id": "app", "client_secret": "s",
                                 "resource": ARM_AUDIENCE})
    assert answer.status_code == 200
    body = answer.json()
    assert body["resource"] == ARM_AUDIENCE and int(body["expires_on"]) > int(body["not_before"])
    assert read_token(body["access_token"])["ver"] == "1.0"


def test_basic_authentication_is_a_client_secret(server: BackgroundServer) -> None:
    answer = requests.post(f"{server.url}/identity/{TENANT}/oauth2/v2.0/token", verify=verify(server), timeout=10,
                           auth=("basic-app", "s3cret"),
                           data={"grant_type": "client_credentials", "scope": "https://management.azure.com/.default"})
    assert answer.status_code == 200
    assert read_token(answer.json()["access_token"])["appid"] == "basic-app"


@pytest.mark.parametrize(("form", "status", "error"), [
    ({"client_id": "a", "client_secret": "s", "scope": "x/.default"}, 400, "invalid_request"),
    ({"grant_type": "password", "client_id": "a", "username": "u", "password": "p"}, 400, "unsupported_grant_type"),
    ({"grant_type": "client_credentials", "client_id": "a", "scope": "x/.default"}, 401, "invalid_client"),
    ({"grant_type": "client_credentials", "client_secret": "s", "scope": "x/.default"}, 400, "invalid_request"),
    ({"grant_type": "client_credentials", "client_id": "a", "client_secret": "s", "scope": "openid"}, 400,
     "invalid_scope"),
])
def test_bad_token_requests_get_oauth_errors(server: BackgroundServer, form: dict[str, str], status: int,
                                              error: str) -> None:
    answer = requests.post(f"{server.url}/identity/{TENANT}/oauth2/v2.0/token", data=form, verify=verify(server),
                           timeout=10)
    assert answer.status_code == status
    assert answer.json()["error"] == error


def test_managed_identity_endpoints_want_their_headers(server: BackgroundServer) -> None:
    app_service = requests.get(f"{server.url}/identity/msi/token", verify=verify(server), timeout=10,
                               params={"api-version": "2019-08-01", "resource": ARM_AUDIENCE})
    assert app_service.status_code == 401 and "X-IDENTITY-HEADER" in app_service.json()["message"]
    imds = requests.get(f"{server.url}/identity/metadata/identity/oauth2/token", verify=verify(server), timeout=10,
                        params={"api-version": "2018-02-01", "resource": ARM_AUDIENCE})
    assert imds.status_code == 400 and imds.json()["error"] == "invalid_request"
    imds = requests.get(f"{server.url}/identity/metadata/identity/oauth2/token", verify=verify(server), timeout=10,
                        params={"api-version": "2018-02-01", "resource": ARM_AUDIENCE}, headers={"Metadata": "true"})
    assert imds.status_code == 200 and read_token(imds.json()["access_token"])["aud"] == ARM_AUDIENCE


def test_unknown_identity_path_and_wrong_method(server: BackgroundServer) -> None:
    missing = requests.get(f"{server.url}/identity/nowhere", verify=verify(server), timeout=10)
    assert missing.status_code == 404 and missing.json()["error"] == "invalid_request"
    wrong = requests.get(f"{server.url}/identity/{TENANT}/oauth2/v2.0/token", verify=verify(server), timeout=10)
    assert wrong.status_code == 405


def test_arm_paths_still_need_a_bearer_token(server: BackgroundServer) -> None:
    answer = requests.get(f"{server.url}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg",
                          params={"api-version": "2022-09-01"}, verify=verify(server), timeout=10)
    assert answer.status_code == 401


def test_token_helpers() -> None:
    assert audience_of_scopes("openid https://management.azure.com/.default") == "https://management.azure.com/"
    assert audience_of_scopes("offline_access") is None
    token = fake_token("aud", tenant="t", client_id="c", issuer="i", now=100, lifetime=10)
    assert read_token(token)["exp"] == 110
    with pytest.raises(ValueError):
        read_token("not-a-token")


def test_emulate_serves_the_identity_provider_by_default(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "contract", "emulate", "--tls", "--tls-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        assert url.startswith("https://127.0.0.1:"), url
        document = requests.get(f"{url}/identity/{TENANT}/v2.0/.well-known/openid-configuration",
                                verify=str(tmp_path / "ca.pem"), timeout=10)
        assert document.status_code == 200
        assert document.json()["token_endpoint"] == f"{url}/identity/{TENANT}/oauth2/v2.0/token"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_replay_serves_it_too_without_counting_a_miss(tmp_path: Path) -> None:
    from contract import replay

    cassette = Path(__file__).resolve().parent.parent / "cassettes" / "lifecycle.yaml"
    with BackgroundServer(lambda: mount_identity(replay.create_app([cassette])), tls=True, tls_dir=tmp_path) as srv:
        token = requests.post(f"{srv.url}/identity/{TENANT}/oauth2/v2.0/token", verify=str(srv.ca_path), timeout=10,
                              data={"grant_type": "client_credentials", "client_id": "app", "client_secret": "s",
                                    "scope": "https://management.azure.com/.default"})
        assert token.status_code == 200 and read_token(token.json()["access_token"])["appid"] == "app"
        assert srv.app is not None and srv.app[replay.REPLAYER].misses == 0
