"""What every server we ship shares: host/port, the `listening on` line, TLS with
a local CA, ARM-shaped errors and the bad-input guard.

Replay, emulator and recording proxy all build on this module so that a client
sees the same conventions whichever of them it talks to.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import fcntl
import functools
import ipaddress
import json
import logging
import os
import signal
import ssl
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from aiohttp import web

from contract.jsondepth import MAX_JSON_DEPTH, json_too_deep, parse_json  # noqa: F401 - re-exported

log = logging.getLogger("vmss_contract.server")

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
# ARM's documented size limits are 4 MB for a template and for a parameter file, and "the total
# size of the request" may not exceed it either (learn.microsoft.com, azure-resource-manager/
# templates/best-practices, "Template limits"); a VMSS model is a few KiB.
DEFAULT_MAX_BODY = 4 * 1024 * 1024
# Seconds a client may take to send its body once the headers are in (slow or lying clients).
BODY_TIMEOUT = 60.0
ALLOW_REMOTE_META = "vmss_contract.allow_remote"
# Statuses on which a Retry-After header is allowed: azure-core retries ANY
# answer >= 400 carrying Retry-After, so it must never ride on a 400/404/409.
RETRY_AFTER_STATUSES = frozenset({429, 503})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ApiVersionCheck = Callable[[str], "str | None"]
F = TypeVar("F", bound=Callable[..., Any])

# --------------------------------------------------------------------------- who may connect

@functools.lru_cache(maxsize=1024)
def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (and for a peer with no address,
    such as a Unix socket)."""
    if not address:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address.lower() == "localhost"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def peer_address(request: web.Request) -> str | None:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return str(peer[0]) if isinstance(peer, tuple) and peer else None


# Set on an app by `_start`: True when --allow-remote lets other machines in.
ALLOW_REMOTE: web.AppKey[bool] = web.AppKey("allow_remote", bool)


def refuse_remote_peer(request: web.Request) -> web.Response | None:
    """403 for a client on another machine unless the app allows it, else None. Our servers
    hold recordings and, with `record --credential`, act with a user's Azure token."""
    if request.app.get(ALLOW_REMOTE, False):
        return None
    peer = peer_address(request)
    if is_loopback(peer):
        return None
    log.warning("refused a request from %s: only loopback clients are served (see --allow-remote)", peer)
    return arm_error(403, "ClientAddressNotAllowed",
                     f"This server answers only clients on its own machine (loopback); {peer} is not one. "
                     "Start it with --allow-remote to serve other machines.")


@web.middleware
async def loopback_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """`refuse_remote_peer` for apps whose requests do not pass `guard_middleware` (which checks it)."""
    return refuse_remote_peer(request) or await handler(request)


def _allow_remote_default() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().meta.get(ALLOW_REMOTE_META))


def _store_allow_remote(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.find_root().meta[ALLOW_REMOTE_META] = value
    return value


def _guard_exposure(app: web.Application, host: str, allow_remote: bool) -> None:
    """Loopback peers only unless allowed; say so loudly when binding beyond loopback. The
    guard checks peers itself (no extra middleware layer on the hot path when it is there)."""
    app[ALLOW_REMOTE] = allow_remote
    guarded = any(getattr(m, "checks_peer", False) for m in app.middlewares) or \
        any(getattr(r.handler, "checks_peer", False) for r in app.router.routes())
    if not allow_remote and not guarded:
        app.middlewares.insert(0, loopback_only)
    if not is_loopback(host):
        if allow_remote:
            log.warning("--host %s with --allow-remote: anyone who can reach this address can use this server "
                        "and read what it serves", host)
        else:
            log.warning("--host %s binds beyond loopback, but only loopback clients are served "
                        "(add --allow-remote to serve other machines)", host)


# Where guard_middleware leaves the parsed JSON body (None when empty/unchecked).
JSON_BODY: web.RequestKey[Any] = web.RequestKey("json_body", object)


# --------------------------------------------------------------------------- ARM answers

def arm_headers(write: bool) -> dict[str, str]:
    """The request-id and rate-limit headers every ARM answer carries."""
    request_id = str(uuid.uuid4())
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kind = "writes" if write else "reads"
    return {
        "x-ms-request-id": request_id,
        "x-ms-correlation-request-id": request_id,
        "x-ms-routing-request-id": f"LOCAL:{stamp}:{request_id}",
        f"x-ms-ratelimit-remaining-subscription-{kind}": "1199" if write else "11999",
    }


def arm_error(
    status: int,
    code: str,
    message: str,
    target: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A CloudError answer `{"error": {"code", "message", "target"?}}` as ARM sends it.

    A `Retry-After` passed in `headers` is dropped unless the status is 429/503,
    because azure-core would otherwise retry a plain client error.
    """
    error: dict[str, str] = {"code": code, "message": message}
    if target is not None:
        error["target"] = target
    out = arm_headers(write=False)
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after" and status not in RETRY_AFTER_STATUSES:
            continue
        out[name] = value
    out["Content-Type"] = JSON_CONTENT_TYPE
    return web.Response(status=status, body=json.dumps({"error": error}).encode(), headers=out)


# --------------------------------------------------------------------------- TLS

def default_tls_dir() -> Path:
    """Per-user cache folder for the local CA (`$XDG_CACHE_HOME/vmss-contract/tls`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vmss-contract" / "tls"


class LocalCA:
    """A local certificate authority and a server certificate for 127.0.0.1 and localhost.

    Created once per `tls_dir` and reused afterwards, so a client configured with
    `<tls_dir>/ca.pem` keeps trusting every later server. Creation holds a file lock:
    several servers starting at once must not each write half a CA.
    """

    CA_FILE = "ca.pem"
    CA_KEY_FILE = "ca-key.pem"
    SERVER_FILE = "server.pem"  # leaf key + certificate chain

    def __init__(self, tls_dir: str | os.PathLike[str] | None = None) -> None:
        self.tls_dir = Path(tls_dir) if tls_dir is not None else default_tls_dir()
        self.ca_path = self.tls_dir / self.CA_FILE
        self.server_path = self.tls_dir / self.SERVER_FILE
        self._ensure()

    LEAF_DAYS = 365  # the server certificate is re-issued from the same CA when it nears its end
    RENEW_BEFORE = _dt.timedelta(days=7)

    def _complete(self) -> bool:
        return all((self.tls_dir / n).is_file() and (self.tls_dir / n).stat().st_size > 0
                   for n in (self.CA_FILE, self.CA_KEY_FILE, self.SERVER_FILE))

    def _expiring(self, name: str) -> bool:
        """True when the first certificate in `name` ends within RENEW_BEFORE (or cannot be read)."""
        from cryptography import x509

        try:
            cert = x509.load_pem_x509_certificate((self.tls_dir / name).read_bytes())
        except (OSError, ValueError):
            return True
        return cert.not_valid_after_utc - _dt.datetime.now(_dt.timezone.utc) < self.RENEW_BEFORE

    def _private(self) -> None:
        """The folder 0700 and the keys 0600, whoever created them (only if they are ours)."""
        for path, mode in ((self.tls_dir, 0o700), (self.tls_dir / self.CA_KEY_FILE, 0o600),
                           (self.tls_dir / self.SERVER_FILE, 0o600)):
            try:
                st = path.stat()
                if st.st_uid == os.getuid() and st.st_mode & 0o777 != mode:
                    os.chmod(path, mode)
            except OSError:
                pass

    def _ensure(self) -> None:
        if self._complete() and not self._expiring(self.SERVER_FILE) and not self._expiring(self.CA_FILE):
            self._private()
            return
        import trustme  # only servers that speak TLS pay for it

        self.tls_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._private()
        with open(self.tls_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                complete = self._complete()
                if complete and not self._expiring(self.SERVER_FILE) and not self._expiring(self.CA_FILE):
                    return
                not_after = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None) + _dt.timedelta(days=self.LEAF_DAYS)
                if complete and not self._expiring(self.CA_FILE):  # only the leaf is old: same CA, new leaf
                    ca = trustme.CA.from_pem((self.tls_dir / self.CA_FILE).read_bytes(),
                                             (self.tls_dir / self.CA_KEY_FILE).read_bytes())
                    leaf = ca.issue_cert("127.0.0.1", "localhost", "::1", not_after=not_after)
                    self._write(self.SERVER_FILE, leaf.private_key_and_cert_chain_pem.bytes(), secret=True)
                    log.info("renewed the local server certificate in %s", self.tls_dir)
                    return
                ca = trustme.CA(organization_name="vmss-contract local CA")
                leaf = ca.issue_cert("127.0.0.1", "localhost", "::1", not_after=not_after)
                # Write the keys first and ca.pem last: `_complete` only sees a finished set.
                self._write(self.CA_KEY_FILE, ca.private_key_pem.bytes(), secret=True)
                self._write(self.SERVER_FILE, leaf.private_key_and_cert_chain_pem.bytes(), secret=True)
                self._write(self.CA_FILE, ca.cert_pem.bytes(), secret=False)
                log.info("created local CA in %s%s", self.tls_dir, " (the old one expired)" if complete else "")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, name: str, data: bytes, secret: bool) -> None:
        path = self.tls_dir / name
        tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
        os.fchmod(fd, 0o600 if secret else 0o644)  # whatever the umask
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def server_ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.server_path))
        return ctx

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA (for tests and load clients)."""
        return ssl.create_default_context(cafile=str(self.ca_path))


# --------------------------------------------------------------------------- running servers

def server_options(func: F) -> F:
    """Click options every server command takes: --host, --port, --tls, --tls-dir."""
    options = [
        click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind."),
        click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535),
                     help="Port to bind; 0 picks a free one (printed in the `listening on` line)."),
        click.option("--tls/--no-tls", default=False, show_default=True,
                     help="Serve HTTPS with a certificate from a local CA (the Azure SDK needs it)."),
        click.option("--tls-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Where the local CA lives (ca.pem); default: a per-user cache folder."),
        click.option("--allow-remote", is_flag=True, expose_value=False, callback=_store_allow_remote,
                     help="Serve clients from other machines too (default: loopback clients only)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _url(host: str, port: int, tls: bool) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


async def _start(
    app: web.Application, host: str, port: int, tls: bool, tls_dir: str | os.PathLike[str] | None,
    allow_remote: bool = False,
) -> tuple[web.AppRunner, str, LocalCA | None]:
    _guard_exposure(app, host, allow_remote)
    ca = LocalCA(tls_dir) if tls else None
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ca.server_ssl_context() if ca else None,
                       reuse_address=True)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    real_port = port
    for address in runner.addresses:
        if isinstance(address, tuple):
            real_port = address[1]
            break
    return runner, _url(host, real_port, tls), ca


def setup_logging(level: int = logging.INFO) -> None:
    """Logs to stderr (stdout carries only the `listening on` line); no-op if already set up."""
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, level=level,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def serve_forever(
    app: web.Application,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = False,
    tls_dir: str | os.PathLike[str] | None = None,
    allow_remote: bool | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM; print `listening on URL` to stdout once accepting.
    Only loopback clients are served unless `allow_remote` (default: the command's
    `--allow-remote` flag)."""
    setup_logging()
    if allow_remote is None:
        allow_remote = _allow_remote_default()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner, url, ca = await _start(app, host, port, tls, tls_dir, allow_remote=bool(allow_remote))
        try:
            if ca is not None:
                log.info("clients must trust %s", ca.ca_path)
            sys.stdout.write(f"listening on {url}\n")
            sys.stdout.flush()
            await stop.wait()
            log.info("stopping")
        finally:
            await runner.cleanup()

    asyncio.run(main())


class BackgroundServer:
    """Runs an aiohttp app on its own event loop in a daemon thread.

    For tests, the pytest plugin and `vmss-contract run`: the caller stays
    synchronous (the Azure SDK is) while the server answers on loopback.
    `app_factory` is called inside the server's loop (an Application is accepted too).
    """

    def __init__(
        self,
        app_factory: Callable[[], web.Application] | web.Application,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        tls_dir: str | os.PathLike[str] | None = None,
        allow_remote: bool = False,
    ) -> None:
        self._factory = app_factory
        self.host, self.port, self.tls, self.tls_dir = host, port, tls, tls_dir
        self.allow_remote = allow_remote
        self.url: str = ""
        self.ca_path: Path | None = None
        self.app: web.Application | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> BackgroundServer:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name=f"server-{id(self):x}", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)

        async def setup() -> None:
            factory = self._factory
            app = factory if isinstance(factory, web.Application) else factory()
            self.app = app
            self._runner, self.url, ca = await _start(app, self.host, self.port, self.tls, self.tls_dir,
                                                      allow_remote=self.allow_remote)
            self.ca_path = ca.ca_path if ca else None

        try:
            loop.run_until_complete(setup())
        except BaseException as exc:  # surfaced to the thread that called start()
            self._error = exc
            self._started.set()
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None or self.loop is None:
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        thread.join(timeout=30)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- bad input

def guard_middleware(
    *,
    max_body: int | None = DEFAULT_MAX_BODY,
    require_auth: bool = True,
    require_api_version: bool = True,
    check_json: bool = True,
    api_version_check: ApiVersionCheck | None = None,
    api_version_code: str = "InvalidApiVersionParameter",
    skip: Callable[[web.Request], bool] | None = None,
    catch_errors: bool = True,
    body_timeout: float = BODY_TIMEOUT,
) -> Any:
    """Middleware with the bad-input checks every server shares, each optional.

    Order follows ARM's front door: body size (413), Authorization (401),
    api-version (400), body encoding and JSON (400). `api_version_check(v)`
    returns None when `v` is served, else the message to answer with (servers
    with specs pass a callable over `Spec.resolve_api_version`). After the guard
    the body is cached: handlers call `await request.read()` as usual, and
    `request[JSON_BODY]` holds the parsed body (or None). With `catch_errors`,
    aiohttp's own HTTP errors and handler crashes also become CloudErrors.
    aiohttp refuses bodies over the app's `client_max_size` (1 MiB unless set) on
    its own; those become the same 413, so build the app with
    `web.Application(client_max_size=max_body, ...)` to allow larger bodies.
    """

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        refused = refuse_remote_peer(request)
        if refused is not None:
            return refused
        if skip is not None and skip(request):
            return await handler(request)
        try:
            refused = await _check(request)
            if refused is not None:
                return refused
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            return _too_large(None)
        except web.HTTPException as exc:
            if not catch_errors or exc.status < 400:
                raise
            return _http_error(request, exc)
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception:
            if not catch_errors:
                raise
            log.exception("unhandled error answering %s %s", request.method, request.path_qs)
            return arm_error(500, "InternalServerError",
                             "The server hit an unexpected error; see its log for details.")

    def wrap(handler: Handler) -> Handler:
        """The same checks around one handler, without aiohttp's middleware layers (for a
        server whose only route is a catch-all: replay's hot path)."""
        async def guarded(request: web.Request) -> web.StreamResponse:
            return await guard(request, handler)

        guarded.checks_peer = True  # type: ignore[attr-defined]
        return guarded

    guard.checks_peer = True  # type: ignore[attr-defined]
    guard.wrap = wrap  # type: ignore[attr-defined]

    async def _check(request: web.Request) -> web.Response | None:
        if not request.body_exists and not require_auth and not require_api_version:
            request[JSON_BODY] = None  # the common replay GET: nothing to check
            return None
        if max_body is not None and (request.content_length or 0) > max_body:
            return _too_large(max_body)
        if require_auth:
            refused = check_authorization(request.headers.get("Authorization"))
            if refused is not None:
                return refused
        if require_api_version:
            version = request.query.get("api-version")
            if not version:
                return arm_error(400, "MissingApiVersionParameter",
                                 "The api-version query parameter (?api-version=) is required for all requests.")
            if api_version_check is not None:
                problem = api_version_check(version)
                if problem:
                    return arm_error(400, api_version_code, problem)
        if not request.body_exists:
            request[JSON_BODY] = None
            return None
        try:
            body = await asyncio.wait_for(request.read(), body_timeout)
        except asyncio.TimeoutError:
            return arm_error(408, "RequestTimeout",
                             f"The request body did not arrive within {body_timeout:g} s "
                             "(is Content-Length larger than the body sent?).", headers={"Connection": "close"})
        if max_body is not None and len(body) > max_body:
            return _too_large(max_body)
        request[JSON_BODY] = None
        if not body.strip():
            return None
        if not check_json:  # JSON is the handler's business, but hostile nesting never reaches it
            if body.lstrip()[:1] in (b"[", b"{") and json_too_deep(body):
                return arm_error(400, "InvalidRequestContent", "The request content was invalid and could not be "
                                 f"deserialized: JSON nested deeper than {MAX_JSON_DEPTH} levels.")
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return arm_error(400, "InvalidRequestContent",
                             f"The request content is not valid UTF-8 (byte {exc.start}).")
        try:
            request[JSON_BODY] = parse_json(text)
        except ValueError as exc:
            return arm_error(400, "InvalidRequestContent",
                             f"The request content was invalid and could not be deserialized: {exc}.")
        return None

    return guard


def _http_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    """aiohttp's own errors (unknown route, wrong method) in ARM's shape."""
    if exc.status == 404:
        return arm_error(404, "NotFound", f"No route matches {request.method} {request.path}.")
    if exc.status == 405:
        return arm_error(405, "MethodNotAllowed",
                         f"The HTTP method {request.method} is not supported for {request.path}.")
    code = "".join(word.capitalize() for word in (exc.reason or "Error").split())
    return arm_error(exc.status, code, exc.text or exc.reason or code)


def _too_large(max_body: int | None) -> web.Response:
    limit = f" The limit is {max_body} bytes." if max_body is not None else ""
    return arm_error(413, "RequestEntityTooLarge", f"The request content is too large.{limit}")


_WWW_AUTHENTICATE = ('Bearer authorization_uri="https://login.microsoftonline.com/common", '
                     'error="invalid_token", error_description="{}"')


def check_authorization(value: str | None) -> web.Response | None:
    """ARM's 401 for a missing or non-bearer Authorization header, or None when it is acceptable."""
    if not value:
        reason = "Authentication failed. The 'Authorization' header is missing."
        return arm_error(401, "AuthenticationFailed", reason,
                         headers={"WWW-Authenticate": _WWW_AUTHENTICATE.format(
                             "The authentication failed because of missing 'Authorization' header.")})
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        reason = "Authentication failed. The 'Authorization' header is not a bearer token."
        return arm_error(401, "InvalidAuthenticationToken", reason,
                         headers={"WWW-Authenticate": _WWW_AUTHENTICATE.format(
                             "The access token is missing or malformed.")})
    return None
