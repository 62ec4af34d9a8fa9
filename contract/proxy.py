"""The recording reverse proxy: forwards a client's ARM calls to one upstream and
appends each finished exchange, sanitized, to a vcrpy cassette.

Data flow per request: guards (no open proxy, --read-only, --allow-resource-group) ->
forward (end-to-end headers, body streamed) -> answer the client with URLs pointing
back here -> sanitize + append on one writer thread (ordered, off the event loop) ->
the client gets its answer once the cassette holds the exchange. The client sees
real upstream traffic; only the disk sees the sanitized, canonical-host version.

One writer per cassette: the recorder holds `CassetteLock` from start to stop, so a second
recorder (process or pytest worker) on the same file is refused at once, naming the pid.

Write-failure policy: when an exchange cannot be written (full disk, I/O error, or the final
secret scan refused it), the file is rolled back to the last complete interaction and the
recording is marked broken: the client still gets the real answer (the upstream has already
acted on it, so hiding the result would leave the caller blind to what changed in the
subscription), with `x-vmss-contract-recording: broken`; nothing more is appended (the
cassette stays a consistent prefix of the session); every exchange not on disk is listed in
`Proxy.lost`, logged, makes `record` exit non-zero and fails the pytest test.

Durability: by default each exchange is handed to the kernel in one write before its client
gets the answer (it survives the recorder being killed, not a power cut or kernel crash); the
file is fsynced when the recorder stops. `durable=True` (`--durable`) fsyncs every exchange.

Hostile input: request bodies over `max_body` (default ARM's 4 MB) get 413 and are neither
forwarded nor recorded; a body that does not arrive within `body_timeout` gets 408; JSON nested
deeper than `MAX_JSON_DEPTH` gets 400 InvalidRequestContent (from the upstream: 502), never a
crash. Request bodies are forwarded exactly as received (still compressed, with their
Content-Encoding); the recorder decodes them to scan and store them.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import fnmatch
import logging
import os
import re
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from contract.cassette import (
    Body,
    CassetteAppender,
    CassetteError,
    CassetteLock,
    Headers,
    Interaction,
    Request,
    Response,
    load_appended,
)
from contract.matching import key_of
from contract.rewrite import CANONICAL_BASE, URL_HEADERS, base_of, rewrite_bytes, rewrite_text
from contract.sanitize import Sanitizer
from contract.servers import BODY_TIMEOUT, DEFAULT_MAX_BODY, MAX_JSON_DEPTH, arm_error, json_too_deep

log = logging.getLogger("vmss_contract.proxy")

DEFAULT_UPSTREAM = CANONICAL_BASE
RECORD_MODES = ("once", "new_episodes", "all")
ARM_SCOPE = "https://management.azure.com/.default"
WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade", "expect", "host",
})
# Bodies up to this size are buffered (URLs in them rewritten); larger ones stream through.
BUFFER_LIMIT = 8 * 1024 * 1024
STREAM_CHUNK = 64 * 1024
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
_RESOURCE_GROUP = re.compile(r"/resourcegroups/([^/?#]+)", re.IGNORECASE)

PROXY: web.AppKey[Proxy] = web.AppKey("proxy", object)  # type: ignore[arg-type]
STREAMING: web.RequestKey[bool] = web.RequestKey("streaming", bool)  # the answer has begun


@dataclass
class Stats:
    forwarded: int = 0
    recorded: int = 0
    skipped: int = 0  # new_episodes: already in the cassette
    refused: int = 0
    upstream_errors: int = 0
    lost: list[str] = field(default_factory=list)  # "METHOD path: why" of exchanges not on disk


class _TooLarge(Exception):
    pass


class Recorder:
    """Sanitizes and appends interactions; called only from the single writer thread."""

    def __init__(self, path: Path, record_mode: str, sanitizer: Sanitizer, metadata: dict[str, Any],
                 durable: bool = False) -> None:
        if record_mode not in RECORD_MODES:
            raise ValueError(f"record_mode must be one of {', '.join(RECORD_MODES)}, not {record_mode!r}")
        self.path = path
        self.sanitizer = sanitizer
        self.broken: str | None = None  # why nothing more is appended
        self._have: Counter[Any] = Counter()  # new_episodes: recorded answers per request key
        self._seen: Counter[Any] = Counter()
        # The lock comes first: the `once` check and every write happen under it.
        self.lock = CassetteLock(path)
        try:
            existing = path.exists() and path.stat().st_size > 0
            if record_mode == "once" and existing and load_appended(path).interactions:
                raise CassetteError(path, "cassette exists and record mode 'once' never overwrites it "
                                          "(use --record-mode new_episodes to add to it, or all to re-record)")
            if record_mode == "new_episodes" and existing:
                self._have.update(key_of(i.request) for i in load_appended(path).interactions)
            self.new_episodes = record_mode == "new_episodes"
            self.appender = CassetteAppender(path, metadata=metadata, durable=durable, replace=record_mode == "all")
        except BaseException:
            self.lock.release()
            raise

    def record(self, interaction: Interaction) -> bool:
        """Sanitize and append; raises CassetteError when the exchange is not on disk."""
        if self.broken is not None:
            raise CassetteError(self.path, f"not recorded: the recording broke earlier ({self.broken})")
        clean = self.sanitizer.interaction(interaction)
        leaks = _leftover_secrets(clean)
        if leaks:  # the final scan redacts; this would mean a redaction failed: never write it
            raise CassetteError(self.path, f"refused to write an exchange that still looks like a secret "
                                           f"(rules {', '.join(sorted(leaks))})", interaction=self.appender.count)
        if self.new_episodes:
            key = key_of(clean.request)
            self._seen[key] += 1
            if self._seen[key] <= self._have[key]:
                return False  # this occurrence is already recorded
        try:
            self.appender.append(clean)
        except CassetteError as exc:
            self.broken = str(exc)
            raise
        return True

    def close(self) -> None:
        try:
            self.appender.close()
        finally:
            self.lock.release()


class Proxy:
    """State of one recording proxy app (upstream session, recorder, guards)."""

    def __init__(self, cassette_path: str | os.PathLike[str], upstream: str, upstream_ca: str | None,
                 record_mode: str, read_only: bool, allow_resource_groups: Iterable[str],
                 sanitizer: Sanitizer | None, credential: Any, timeout: float,
                 max_body: int = DEFAULT_MAX_BODY, durable: bool = False, body_timeout: float = BODY_TIMEOUT) -> None:
        self.upstream = upstream.rstrip("/")
        self.upstream_base = base_of(self.upstream)
        if not self.upstream_base.startswith(("http://", "https://")) or "://" not in upstream:
            raise ValueError(f"upstream must be an http(s) URL, not {upstream!r}")
        self.upstream_ca = upstream_ca
        self.read_only = read_only
        self.allow_resource_groups = tuple(g.lower() for g in allow_resource_groups)
        self.credential = credential
        self.timeout = timeout
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.stats = Stats()
        sanitizer = sanitizer or Sanitizer()
        metadata = {
            "recorded_with": f"vmss-contract {_version()}",
            "recorded_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "record_mode": record_mode,
            "sanitizer": _describe(sanitizer),
        }
        self.recorder = Recorder(Path(cassette_path), record_mode, sanitizer, metadata, durable=durable)
        self.session: aiohttp.ClientSession | None = None
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cassette-writer")
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()

    # ---- lifecycle --------------------------------------------------------
    async def start(self, _app: web.Application) -> None:
        ctx: ssl.SSLContext | bool = True
        if self.upstream_base.startswith("https://"):
            ctx = ssl.create_default_context()
            if self.upstream_ca:
                ctx.load_verify_locations(cafile=str(self.upstream_ca))
        connector = aiohttp.TCPConnector(ssl=ctx, limit=256, ttl_dns_cache=300)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=min(30.0, self.timeout), sock_read=self.timeout)
        self.session = aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=True,
                                             skip_auto_headers=("User-Agent", "Content-Type"))

    async def stop(self, _app: web.Application) -> None:
        if self.session is not None:
            await self.session.close()
        await asyncio.get_running_loop().run_in_executor(None, self.writer.shutdown, True)
        self.recorder.close()
        log.info("recorded %d interaction(s) to %s (%d refused, %d upstream errors)",
                 self.stats.recorded, self.recorder.path, self.stats.refused, self.stats.upstream_errors)
        if self.stats.lost:
            log.error("%s", self.lost_summary())

    @property
    def lost(self) -> list[str]:
        return self.stats.lost

    def lost_summary(self) -> str:
        """What is missing from the cassette and why (empty when nothing is)."""
        if not self.stats.lost:
            return ""
        lines = [f"the recording in {self.recorder.path} is incomplete: {len(self.stats.lost)} exchange(s) "
                 "answered but not on disk"]
        lines += [f"  {n}. {what}" for n, what in enumerate(self.stats.lost, 1)]
        return "\n".join(lines)

    # ---- guards -----------------------------------------------------------
    def refuse(self, request: web.Request) -> web.Response | None:
        """No open proxy, read-only and resource-group guards; None when the request may pass."""
        if not request.raw_path.startswith("/") or request.method == "CONNECT":
            return self._refused(400, "ProxyRequestNotAllowed",
                                 "This recorder forwards only to its configured upstream; absolute-URI and "
                                 "CONNECT requests are refused.")
        host = _hostname(request.headers.get("Host"))
        if host is not None and host not in LOOPBACK_NAMES and host != _local_address(request):
            return self._refused(400, "ProxyRequestNotAllowed",
                                 f"Host {host!r} is not this recorder; it forwards only to {self.upstream_base}.")
        if request.method in WRITE_METHODS:
            if self.read_only:
                return self._refused(403, "RecordingReadOnly",
                                     f"The recorder runs with --read-only: {request.method} is refused and "
                                     "nothing was sent to Azure.")
            if self.allow_resource_groups:
                match = _RESOURCE_GROUP.search(unquote(request.path))
                group = match.group(1).lower() if match else None
                if group is None or not any(fnmatch.fnmatchcase(group, g) for g in self.allow_resource_groups):
                    where = f"resource group {match.group(1)!r}" if match else "a path outside any resource group"
                    return self._refused(403, "ResourceGroupNotAllowed",
                                         f"{request.method} on {where} is refused: the recorder allows writes only "
                                         f"in resource groups matching {', '.join(self.allow_resource_groups)}.")
        return None

    def _refused(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
        self.stats.refused += 1
        log.warning("refused: %s", message)
        return arm_error(status, code, message, headers=headers)

    def _too_large(self, cut: bool = False) -> web.Response:
        sent = ("the upload streaming to the upstream was cut off there (an incomplete request)" if cut
                else "nothing was sent")
        return self._refused(413, "RequestEntityTooLarge",
                             f"The request content is larger than the recorder's limit of {self.max_body} bytes "
                             f"(ARM's is 4 MB); {sent} and nothing was recorded.", headers={"Connection": "close"})

    def _deep_request(self, request: web.Request, data: bytes) -> web.Response | None:
        coding = request.headers.get("Content-Encoding")
        if coding:
            from contract.sanitize import decode_content

            try:
                data = decode_content(data, coding)
            except ValueError:
                return None  # the upstream judges it; the recorder drops what it cannot read
        if json_too_deep(data):
            return self._refused(400, "InvalidRequestContent",
                                 f"The request content was invalid and could not be deserialized: JSON nested "
                                 f"deeper than {MAX_JSON_DEPTH} levels.")
        return None

    def _token_allowed(self, request: web.Request) -> bool:
        """The credential's token goes only to the upstream, and only inside the allowed
        resource groups when any are configured."""
        if not self.allow_resource_groups:
            return True
        match = _RESOURCE_GROUP.search(unquote(request.path))
        return bool(match) and any(fnmatch.fnmatchcase(match.group(1).lower(), g) for g in self.allow_resource_groups)

    # ---- auth -------------------------------------------------------------
    async def token(self) -> str:
        async with self._token_lock:
            now = time.time()
            if self._token is None or self._token[1] - 300 < now:
                loop = asyncio.get_running_loop()
                access = await loop.run_in_executor(None, self.credential.get_token, ARM_SCOPE)
                self._token = (access.token, float(access.expires_on))
            return self._token[0]

    # ---- forwarding -------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        refused = self.refuse(request)
        if refused is not None:
            return refused
        assert self.session is not None, "proxy not started"
        client_base = f"{request.scheme}://{request.host}"
        send_headers = _end_to_end(request.headers)
        if self.credential is not None and "Authorization" not in request.headers:
            if not self._token_allowed(request):
                return self._refused(403, "ResourceGroupNotAllowed",
                                     f"The recorder adds its credential only inside resource groups matching "
                                     f"{', '.join(self.allow_resource_groups)}; nothing was sent.")
            send_headers["Authorization"] = f"Bearer {await self.token()}"
        sent = bytearray()
        data: Any = None
        if request.body_exists:
            length = request.content_length
            if length is not None and length > self.max_body:
                return self._too_large()
            if self.max_body <= BUFFER_LIMIT or (length is not None and length <= BUFFER_LIMIT):
                try:
                    data = await asyncio.wait_for(_read_limited(request.content, self.max_body), self.body_timeout)
                except _TooLarge:
                    return self._too_large()
                except asyncio.TimeoutError:
                    return self._refused(408, "RequestTimeout",
                                         f"The request body did not arrive within {self.body_timeout:g} s.",
                                         headers={"Connection": "close"})
                sent += data
                refused = self._deep_request(request, data)
                if refused is not None:
                    return refused
            else:
                data = _tee(request.content, sent, self.max_body)
        url = self.upstream + request.raw_path
        self.stats.forwarded += 1
        try:
            async with self.session.request(request.method, url, headers=send_headers, data=data,
                                            allow_redirects=False) as upstream:
                return await self._answer(request, upstream, client_base, bytes(sent))
        except _TooLarge:
            return self._too_large(cut=True)
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            self.stats.upstream_errors += 1
            if request.get(STREAMING):
                raise  # the answer has begun: all we can do is cut the connection
            log.warning("upstream timeout: %s %s", request.method, request.raw_path)
            return arm_error(504, "GatewayTimeout",
                             f"The upstream {self.upstream_base} did not answer within {self.timeout:g} s.")
        except (aiohttp.ClientError, OSError) as exc:
            if len(sent) > self.max_body and not request.get(STREAMING):
                return self._too_large(cut=True)  # a streamed upload passed the limit: not recorded
            self.stats.upstream_errors += 1
            log.warning("upstream error: %s %s: %s", request.method, request.raw_path, str(exc)[:300])
            if request.get(STREAMING):
                raise
            return arm_error(502, "BadGateway",
                             f"The upstream {self.upstream_base} could not be reached or broke the connection: "
                             f"{type(exc).__name__}: {str(exc)[:200]}")

    async def _answer(self, request: web.Request, upstream: aiohttp.ClientResponse, client_base: str,
                      sent: bytes) -> web.StreamResponse:
        headers = _end_to_end(upstream.headers)
        headers.popall("Content-Length", None)
        headers.popall("Content-Encoding", None)  # aiohttp decoded it
        length = upstream.content_length
        ctype = upstream.headers.get("Content-Type", "").lower()
        # JSON (where ARM puts URLs to rewrite) is buffered up to BUFFER_LIMIT; anything
        # else, or JSON that outgrows the limit, streams through as it arrives.
        body, rest = b"", upstream.content
        if (not ctype or "json" in ctype) and (length is None or length <= BUFFER_LIMIT):
            buffered = bytearray()
            while len(buffered) <= BUFFER_LIMIT:
                chunk = await upstream.content.read(STREAM_CHUNK)
                if not chunk:
                    if json_too_deep(bytes(buffered)):
                        self.stats.upstream_errors += 1
                        log.warning("upstream answer nested too deeply: %s %s", request.method, request.raw_path)
                        return arm_error(502, "BadGateway",
                                         f"The upstream {self.upstream_base} answered JSON nested deeper than "
                                         f"{MAX_JSON_DEPTH} levels; it was not forwarded or recorded.")
                    out = web.Response(status=upstream.status, reason=upstream.reason,
                                       headers=_rewrite_headers(headers, self.upstream_base, client_base),
                                       body=rewrite_bytes(bytes(buffered), self.upstream_base, client_base))
                    if not await self._record(request, sent, upstream, headers, bytes(buffered)):
                        out.headers["x-vmss-contract-recording"] = "broken"
                    return out
                buffered += chunk
            body = bytes(buffered)
        # Large answer: stream it through as it comes; record it once complete.
        request[STREAMING] = True
        out = web.StreamResponse(status=upstream.status, reason=upstream.reason,
                                 headers=_rewrite_headers(headers, self.upstream_base, client_base))
        if length is not None and "Content-Encoding" not in upstream.headers:
            out.content_length = length  # else chunked: the decoded size is unknown
        await out.prepare(request)
        received = bytearray(body)
        if body:
            await out.write(body)
        async for chunk in rest.iter_chunked(STREAM_CHUNK):
            received += chunk
            await out.write(chunk)
        await self._record(request, sent, upstream, headers, bytes(received))  # a loss is in `lost`
        await out.write_eof()
        return out

    async def _record(self, request: web.Request, sent: bytes, upstream: aiohttp.ClientResponse,
                      headers: CIMultiDict[str], body: bytes) -> bool:
        """Append the exchange; False (and an entry in `lost`) when it is not on disk."""
        canonical_body = rewrite_bytes(body, self.upstream_base, CANONICAL_BASE)
        stored_headers = _as_lists(_rewrite_headers(headers, self.upstream_base, CANONICAL_BASE))
        if any(k.lower() == "content-length" for k in upstream.headers):
            stored_headers["content-length"] = [str(len(canonical_body))]
        interaction = Interaction(
            Request(request.method, CANONICAL_BASE + request.raw_path, _stored(sent),
                    _as_lists(_end_to_end(request.headers))),
            Response(upstream.status, upstream.reason or "", stored_headers, _stored(canonical_body)),
        )
        loop = asyncio.get_running_loop()
        try:
            written = await loop.run_in_executor(self.writer, self.recorder.record, interaction)
        except Exception as exc:  # noqa: BLE001 - the client still gets its answer; `lost` says what is missing
            why = str(exc) if isinstance(exc, CassetteError) else f"{type(exc).__name__}: {exc}"
            self.stats.lost.append(f"{request.method} {request.raw_path} -> {upstream.status}: {why}")
            log.error("not recorded: %s %s: %s", request.method, request.raw_path, why)
            return False
        if written:
            self.stats.recorded += 1
        else:
            self.stats.skipped += 1
        return True


def create_app(
    cassette_path: str | os.PathLike[str],
    upstream: str = DEFAULT_UPSTREAM,
    upstream_ca: str | os.PathLike[str] | None = None,
    record_mode: str = "once",
    read_only: bool = False,
    allow_resource_groups: Iterable[str] = (),
    sanitizer: Sanitizer | None = None,
    credential: Any = None,
    timeout: float = 120.0,
    max_body: int = DEFAULT_MAX_BODY,
    durable: bool = False,
    body_timeout: float = BODY_TIMEOUT,
) -> web.Application:
    """An aiohttp app that records traffic to `upstream` into `cassette_path`.

    Raises CassetteError at once when `record_mode="once"` meets an existing cassette.
    `credential`: anything with azure-core's `get_token(scope)` (e.g. DefaultAzureCredential),
    used when a client sends no Authorization header (only within `allow_resource_groups`
    when given). Holds the cassette's lock until the app is cleaned up.
    """
    proxy = Proxy(cassette_path, upstream, str(upstream_ca) if upstream_ca else None, record_mode,
                  read_only, allow_resource_groups, sanitizer, credential, timeout,
                  max_body=max_body, durable=durable, body_timeout=body_timeout)
    # auto_decompress off: a compressed request is forwarded exactly as it came.
    app = web.Application(client_max_size=max_body + 1, handler_args={"auto_decompress": False})
    app[PROXY] = proxy
    app.on_startup.append(proxy.start)
    app.on_cleanup.append(proxy.stop)
    app.router.add_route("*", "/{tail:.*}", proxy.handle)
    return app


# --------------------------------------------------------------------------- helpers

def _end_to_end(headers: Any) -> CIMultiDict[str]:
    """Headers without hop-by-hop ones (and those the Connection header names)."""
    named = {h.strip().lower() for v in headers.getall("Connection", []) for h in v.split(",")}
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        low = name.lower()
        if low in HOP_BY_HOP or low in named or low == "content-length":
            continue
        out.add(name, value)
    return out


def _rewrite_headers(headers: CIMultiDict[str], from_base: str, to_base: str) -> CIMultiDict[str]:
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        if name.lower() in URL_HEADERS or from_base in value.lower():
            value = rewrite_text(value, from_base, to_base)
        out.add(name, value)
    return out


def _as_lists(headers: CIMultiDict[str]) -> Headers:
    out: Headers = {}
    for name, value in headers.items():
        out.setdefault(name, []).append(value)
    return out


def _stored(data: bytes) -> Body:
    """Bodies are stored as text when they are UTF-8 (as vcrpy does), bytes otherwise."""
    if not data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


async def _tee(stream: aiohttp.StreamReader, copy: bytearray, limit: int) -> AsyncIterator[bytes]:
    async for chunk in stream.iter_chunked(STREAM_CHUNK):
        copy += chunk
        if len(copy) > limit:
            raise _TooLarge()
        yield chunk


async def _read_limited(stream: aiohttp.StreamReader, limit: int) -> bytes:
    data = bytearray()
    async for chunk in stream.iter_chunked(STREAM_CHUNK):
        data += chunk
        if len(data) > limit:
            raise _TooLarge()
    return bytes(data)


def _leftover_secrets(i: Interaction) -> set[str]:
    """Final-scan rules that still match the sanitized exchange (should be none)."""
    from contract.sanitize import scan_text

    fired: set[str] = set()
    texts = [i.request.uri, *(v for vs in i.request.headers.values() for v in vs),
             *(v for vs in i.response.headers.values() for v in vs)]
    for body in (i.request.body, i.response.body):
        if body:
            texts.append(body if isinstance(body, str) else body.decode("latin-1"))
    for text in texts:
        fired.update(scan_text(text)[1])
    return fired


def _hostname(host: str | None) -> str | None:
    if not host:
        return None
    host = host.strip().lower()
    if host.startswith("["):
        return host[1: host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _local_address(request: web.Request) -> str | None:
    sock = request.transport.get_extra_info("sockname") if request.transport else None
    return str(sock[0]).lower() if sock else None


def _describe(sanitizer: Sanitizer) -> dict[str, Any]:
    """What the sanitizer did, for the cassette's metadata (never the salt)."""
    cfg = sanitizer.config
    return {
        "removed_headers": sorted(sanitizer.remove_headers),
        "secret_fields": len(sanitizer.secret_fields),
        "json_paths": len(cfg.json_paths),
        "regexes": len(cfg.regexes),
        "pseudonymised_ids": cfg.pseudonymise_ids,
    }


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("vmss-contract")
    except Exception:  # noqa: BLE001
        return "dev"
