"""The one ARM client of `vmss-contract run`, the fuzz campaign and the lifecycle machine.

Built on azure-core's pipeline and azure-mgmt-core's `ARMPolling`, the parts every Azure
management SDK is made of, so the traffic we record and replay is an SDK's: its headers,
its user agent, and its long-running-operation algorithm (Azure-AsyncOperation first,
then Location, then the final GET a PUT or POST needs). Two deliberate differences: no
retries (a retried 5xx would hide an answer from the contract check), and polling delays
capped (`max_delay`), so a replayed Retry-After never stalls a run.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from azure.core import PipelineClient
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse, policies
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest
from azure.mgmt.core.polling.arm_polling import ARMPolling

ARM_SCOPE = "https://management.azure.com/.default"
LOCAL_TOKEN = "vmss-contract-local-token"  # the emulator wants a bearer token, any will do
USER_AGENT = "vmss-contract/0.1.0"

__all__ = ["ARM_SCOPE", "LOCAL_TOKEN", "Answer", "ArmClient", "bearer_token"]

Exchange = Callable[[str, str, Any, "Answer"], None]  # (method, url, request body, answer)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON or None
    lro_state: str | None = None  # after `ArmClient.wait`: the operation's terminal state (Succeeded, Failed...)
    raw: Any = field(default=None, repr=False, compare=False)  # azure-core's PipelineResponse

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


class ArmClient:
    """JSON in and out with a bearer token, through an azure-core pipeline; `wait` polls as the SDKs do.

    `on_exchange` callbacks see every request and answer, polls included (the lifecycle
    machine keeps them as cassette interactions); `sent` counts them."""

    def __init__(self, base_url: str, ca_path: str | None, token: str, timeout: float = 60,
                 max_delay: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.max_delay = max_delay
        self.sent = 0
        self.last: Answer | None = None
        self.on_exchange: list[Exchange] = []
        transport = RequestsTransport(connection_verify=ca_path or True, connection_timeout=timeout,
                                      read_timeout=timeout)
        self._client: PipelineClient[Any, Any] = PipelineClient(self.base_url, transport=transport, policies=[
            policies.RequestIdPolicy(),
            policies.HeadersPolicy({"Accept": "application/json"}),
            policies.UserAgentPolicy(base_user_agent=USER_AGENT),
            _Bearer(self),
            policies.RetryPolicy(retry_total=0),
            _Exchanges(self),
        ])

    def send(self, method: str, path_or_url: str, body: Any = None) -> Answer:
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        request = HttpRequest(method, url, json=body) if body is not None else HttpRequest(method, url)
        self._client.send_request(request, _return_pipeline_response=True)
        assert self.last is not None  # set by _Exchanges for this very request
        return self.last

    def wait(self, answer: Answer) -> Answer | None:
        """Follow a long-running answer to its end with `ARMPolling`; the last answer, with its `lro_state`.

        None when the answer names no status URL (nothing to follow)."""
        if not answer.header("Azure-AsyncOperation") and not answer.header("Location"):
            return None
        polling = _CappedPolling(self.max_delay, timeout=0.05)
        polling.initialize(self._client, answer.raw, lambda response: response)
        try:
            polling.run()
        except HttpResponseError:
            pass  # a failed, canceled or malformed operation: its state and last answer say which
        final = self.last if self.last is not None else answer
        final.lro_state = polling.status()
        return final


class _Bearer(policies.SansIOHTTPPolicy[Any, Any]):
    """The token, and only to this client's own server (a status URL elsewhere never gets it)."""

    def __init__(self, client: ArmClient) -> None:
        self.client = client

    def on_request(self, request: PipelineRequest[Any]) -> None:
        url = request.http_request.url
        if not url.startswith(self.client.base_url + "/"):
            raise ValueError(f"refusing to send the token outside {self.client.base_url}: {url}")
        request.http_request.headers["Authorization"] = f"Bearer {self.client.token}"


class _Exchanges(policies.SansIOHTTPPolicy[Any, Any]):
    """Every exchange, polls included: counted, kept as `last`, handed to `on_exchange`."""

    def __init__(self, client: ArmClient) -> None:
        self.client = client

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        http = response.http_response
        answer = Answer(http.status_code, dict(http.headers.items()), _json(http.body()), raw=response)
        self.client.sent += 1
        self.client.last = answer
        sent = request.http_request
        body = _json(sent.body) if sent.body else None
        for callback in self.client.on_exchange:
            callback(sent.method, sent.url, body, answer)


class _CappedPolling(ARMPolling):
    """ARM polling whose wait between polls never exceeds `max_delay` seconds."""

    def __init__(self, max_delay: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_delay = max_delay

    def _extract_delay(self) -> float:  # azure-core's hook: Retry-After / retry-after-ms, else the timeout
        return min(super()._extract_delay(), self.max_delay)


def _json(raw: bytes | str | None) -> Any:
    if not raw or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def bearer_token(local: bool) -> str:
    """Any token for a local server; for Azure, one from azure-identity's default chain."""
    if local:
        return LOCAL_TOKEN
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError as exc:  # pragma: no cover - depends on extras
        raise RuntimeError("recording from Azure needs azure-identity: pip install 'vmss-contract[azure]'") from exc
    try:
        return DefaultAzureCredential().get_token(ARM_SCOPE).token
    except Exception as exc:  # azure-identity raises its own types; the user needs one clear line
        raise RuntimeError(f"could not get a token for {ARM_SCOPE} (az login, or set AZURE_CLIENT_ID/"
                           f"AZURE_TENANT_ID/AZURE_CLIENT_SECRET): {str(exc).splitlines()[0]}") from exc
