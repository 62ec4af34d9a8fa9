"""Why an upstream cannot be used, said before anything is recorded from it.

Without this, an unreachable upstream shows up later as a symptom (an empty or missing cassette).
One GET with the real token tells the causes apart: connection refused, a TLS failure, a name that
does not resolve, no answer in time, or a 401 (the token is refused).
"""
from __future__ import annotations

import json
import socket
import ssl
import urllib.error
import urllib.request

PROBE_PATH = "/subscriptions?api-version=2022-12-01"  # any ARM host answers it (200, or a CloudError)


def unreachable_cause(upstream: str, ca_path: str | None = None, token: str | None = None,
                      timeout: float = 15.0, ca_option: str = "--upstream-ca") -> str | None:
    """None when `upstream` answers like an HTTP server that accepts the token; else the cause, in words
    (`ca_option` names the caller's option for a CA bundle, for the hint on an untrusted certificate)."""
    context = ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()
    request = urllib.request.Request(upstream.rstrip("/") + PROBE_PATH, method="GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context):
            return None
    except urllib.error.HTTPError as error:
        if error.code != 401:
            return None  # it answered: 403/404 and the like are the run's business, not reachability
        return f"401 Unauthorized: the upstream refused the token ({_cloud_error(error.read())})"
    except urllib.error.URLError as error:
        return _describe(error.reason, upstream, ca_path, ca_option)
    except (OSError, ssl.SSLError) as error:
        return _describe(error, upstream, ca_path, ca_option)


def _describe(reason: object, upstream: str, ca_path: str | None, ca_option: str) -> str:
    if isinstance(reason, ssl.SSLCertVerificationError):
        hint = "" if ca_path else f" (a private CA? pass {ca_option} PEM)"
        return f"TLS failure: {reason.verify_message or reason}{hint}"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failure: {reason.reason or reason} (is {upstream} an https:// server?)"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (nothing listens there)"
    if isinstance(reason, socket.gaierror):
        return f"the host name does not resolve ({reason.strerror or reason})"
    if isinstance(reason, TimeoutError | socket.timeout):
        return "no answer in time (timed out)"
    return str(reason)


def _cloud_error(raw: bytes) -> str:
    try:
        error = json.loads(raw)["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return raw.decode("utf-8", "replace").strip()[:200] or "no body"
