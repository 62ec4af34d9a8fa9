"""The one plain ARM client of `vmss-contract run`, the fuzz campaign and the lifecycle machine.

Stdlib only (`urllib`), so the README's first command works on a base install: JSON in
and out, a bearer token, a CA bundle, and long-running-operation polling the way
azure-core's ARM polling does it (Azure-AsyncOperation first, then the `Location` once),
honouring `retry-after-ms` but never ARM's real 30 s.
"""
from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

ARM_SCOPE = "https://management.azure.com/.default"
LOCAL_TOKEN = "vmss-contract-local-token"  # the emulator wants a bearer token, any will do
TERMINAL = {"succeeded", "failed", "canceled"}
MAX_POLLS = 60

__all__ = ["ARM_SCOPE", "LOCAL_TOKEN", "Answer", "ArmClient", "bearer_token"]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON or None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


class ArmClient:
    """Just enough of an ARM client: JSON in/out, bearer token, LRO polling that never sleeps 30 s."""

    def __init__(self, base_url: str, ca_path: str | None, token: str, timeout: float = 60) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()
        self.sent = 0
        self.last: Answer | None = None

    def send(self, method: str, path_or_url: str, body: Any = None) -> Answer:
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        if not url.startswith(self.base_url + "/"):
            raise ValueError(f"refusing to send the token outside {self.base_url}: {url}")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        self.sent += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as response:
                answer = Answer(response.status, dict(response.headers.items()), _json(response.read()))
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, dict(error.headers.items()), _json(error.read()))
        self.last = answer
        return answer

    def wait(self, answer: Answer) -> Answer | None:
        """Follow a long-running answer to its end as azure-core does: status URL, then `monitor=true` Location once."""
        status_url = answer.header("Azure-AsyncOperation")
        location = answer.header("Location")
        if not status_url and not location:
            return None
        final: Answer | None = None
        if status_url:
            for _ in range(MAX_POLLS):
                final = self.send("GET", status_url)
                state = str((final.body or {}).get("status", "")).lower() if isinstance(final.body, dict) else ""
                if final.status >= 400 or state in TERMINAL:
                    break
                _pause(final)
        if location and answer.status == 202:
            final = self.send("GET", location)
        return final


def _pause(answer: Answer) -> None:
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        value = answer.header(name)
        if value and value.strip().isdigit():
            time.sleep(min(int(value), 5000) / 1000)
            return
    value = answer.header("Retry-After")
    time.sleep(min(int(value), 5) if value and value.strip().isdigit() and int(value) > 0 else 0.05)


def _json(raw: bytes) -> Any:
    if not raw.strip():
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
