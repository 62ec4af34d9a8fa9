"""Replay server: serve cassettes as an ARM endpoint, offline.

The match index is compiled once at startup (see `contract.matching`); a request
costs one key computation and one dict lookup. Identical requests are answered in
recorded order (polling goes InProgress ... Succeeded as recorded). Answers point
their URLs at this server and carry `retry-after-ms: 1`, so an SDK polls us and
never sleeps. A miss is a 400 `NoRecordedInteraction` CloudError naming the closest
recorded requests and what differs; 400 rather than 404 so that "get, create if
missing" client code and HEAD existence checks cannot mistake a miss for absence.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from aiohttp import web
from multidict import CIMultiDict

from contract.cassette import Cassette, Interaction, Request, iter_cassette_paths, load_cassette
from contract.matching import Candidate, RequestKey, explain_miss, key_of, request_key
from contract.rewrite import CANONICAL_BASE, URL_HEADERS, rewrite_bytes, rewrite_text
from contract.sanitize import iter_guids, sub_guids
from contract.servers import DEFAULT_MAX_BODY, arm_error, check_authorization, guard_middleware

log = logging.getLogger("vmss_contract.replay")

RequestFilter = Callable[[Request], Request]
CassetteSource = Cassette | str | os.PathLike[str]

# Never replayed as recorded: framing is the server's job (395 corpus answers carry both
# content-length and transfer-encoding), and recorded delays are replaced by fast-forward.
_DROP_HEADERS = frozenset({
    "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
    "upgrade", "trailer", "te", "retry-after", "retry-after-ms", "x-ms-retry-after-ms",
})
FAST_FORWARD = ("retry-after-ms", "1")  # azure-core reads it before its 30 s default
NO_MATCH_CODE = "NoRecordedInteraction"
# A template deployment's name is the client's to choose, and real clients choose a new one on every run:
# `az vmss create` sends `vmss_deploy_` + random_string(32) (azure/cli/command_modules/vm/custom.py, as do
# `az vm create` and `az vm availability-set create`); the Azure CLI's own recordings replace it with
# `mock-deployment` on both sides for that reason. In a (normalized, lower-case) request path:
_DEPLOYMENT_NAME = re.compile(r"(/providers/microsoft\.resources/deployments/)([^/]+)")
REPLAYER: web.AppKey["Replayer"] = web.AppKey("replayer", object)  # type: ignore[arg-type]


@dataclass
class Recorded:
    """One recorded interaction, its answer prepared once per client-facing base URL."""

    interaction: Interaction
    label: str
    served: int = 0
    _headers: list[tuple[str, str]] = field(default_factory=list)
    _body: bytes = b""
    _by_base: dict[str, tuple[CIMultiDict[str], bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        response = self.interaction.response
        self._body = response.content
        lro = response.status == 202
        for name, values in response.headers.items():
            lower = name.lower()
            if lower in ("retry-after", "retry-after-ms", "x-ms-retry-after-ms") or lower in URL_HEADERS:
                lro = True
            if lower in _DROP_HEADERS:
                continue
            if lower == "content-encoding" and values == ["gzip"] and not self._body.startswith(b"\x1f\x8b"):
                continue  # the recorder stored the body decoded (vcrpy's decode_compressed_response)
            self._headers.extend((name, v) for v in values)
        if not lro and response.status < 300 and b'"status"' in self._body:
            lro = True  # an operation-status poll answer
        if lro:
            self._headers.append(FAST_FORWARD)

    def render(self, base: str) -> tuple[CIMultiDict[str], bytes]:
        """Headers and body with canonical-host URLs moved to `base` (cached per base)."""
        cached = self._by_base.get(base)
        if cached is None:
            if len(self._by_base) >= 8:  # clients use one or two bases; never grow without bound
                self._by_base.clear()
            headers = CIMultiDict((n, rewrite_text(v, CANONICAL_BASE, base)) for n, v in self._headers)
            cached = (headers, rewrite_bytes(self._body, CANONICAL_BASE, base))
            self._by_base[base] = cached
        return cached

    def response(self, base: str, real_ids: Mapping[str, str] | None = None) -> web.Response:
        """The answer for a client at `base`; `real_ids` (fake -> real) puts back the ids the
        client itself sent, so replay answers it exactly as the live service did."""
        headers, body = self.render(base)
        if real_ids:
            headers = CIMultiDict((n, restore_ids(v, real_ids)) for n, v in headers.items())
            body = restore_ids(body.decode("utf-8", "surrogateescape"), real_ids).encode("utf-8", "surrogateescape")
        resp = self.interaction.response
        return web.Response(status=resp.status, reason=resp.reason or None, body=body, headers=headers)


def restore_ids(text: str, real_ids: Mapping[str, str]) -> str:
    """`text` with every fake GUID in `real_ids` (keys lower-case) replaced by its real one."""
    return sub_guids(text, lambda guid: real_ids.get(guid.lower(), guid))


def pseudonymised_ids(sent: Request, filtered: Request) -> dict[str, str]:
    """fake -> real for every GUID the request filter replaced (the cassette holds only fakes)."""
    pairs: dict[str, str] = {}
    for before, after in ((sent.uri, filtered.uri), (sent.content, filtered.content)):
        a = before if isinstance(before, str) else before.decode("utf-8", "replace")
        b = after if isinstance(after, str) else after.decode("utf-8", "replace")
        originals = [a[i:j] for i, j in iter_guids(a)]
        fakes = [b[i:j] for i, j in iter_guids(b)]
        if len(originals) != len(fakes):
            continue  # not a one-for-one rewrite: nothing can be paired safely
        for real, fake in zip(originals, fakes):
            if real.lower() != fake.lower():
                pairs[fake.lower()] = real
    return pairs


class Replayer:
    """The compiled match index of some cassettes plus per-request playback cursors."""

    def __init__(self, cassettes: Sequence[Cassette], allow_repeats: bool = False,
                 request_filter: RequestFilter | None = None) -> None:
        self.allow_repeats = allow_repeats
        self.request_filter = request_filter
        self.cassettes = list(cassettes)
        self._queues: dict[RequestKey, list[Recorded]] = {}
        self._cursor: dict[RequestKey, int] = {}
        self.misses = 0
        for cassette in self.cassettes:
            name = Path(cassette.path).name if cassette.path else "cassette"
            for index, interaction in enumerate(cassette.interactions):
                recorded = Recorded(interaction, f"{name} #{index}")
                self._queues.setdefault(key_of(interaction.request), []).append(recorded)
        self._alias = self._aliases_for_renamed_urls()
        self._keys: dict[tuple[str, str], RequestKey] = {}
        self._renames: dict[str, str] = {}  # deployment name the client sent -> the recorded one it stands for

    def _aliases_for_renamed_urls(self) -> dict[RequestKey, RequestKey]:
        """Poll URLs handed out in answers but recorded under another name.

        Recorders rename things in URIs only (the Azure CLI's records poll
        `deployments/mock-deployment/...` while `Azure-AsyncOperation` still names the
        real deployment): a client following the header must reach the recorded polls.
        A URL is aliased when exactly one recorded GET differs from it in one path segment.
        """
        by_shape: dict[tuple[int, tuple[tuple[str, str], ...]], list[RequestKey]] = {}
        for key in self._queues:
            if key.method == "GET" and key.body is None:
                by_shape.setdefault((key.path.count("/"), key.query), []).append(key)
        aliases: dict[RequestKey, RequestKey] = {}
        for queue in self._queues.values():
            for recorded in queue:
                for name, values in recorded.interaction.response.headers.items():
                    if name.lower() not in URL_HEADERS:
                        continue
                    for url in values:
                        if "://" not in url:
                            continue
                        key = request_key("GET", url)
                        if key in self._queues or key in aliases:
                            continue
                        segments = key.path.split("/")
                        near = [k for k in by_shape.get((key.path.count("/"), key.query), [])
                                if sum(a != b for a, b in zip(segments, k.path.split("/"))) == 1]
                        if len(near) == 1:
                            aliases[key] = near[0]
                            log.debug("%s answers as recorded %s", key.path, near[0].path)
        return aliases

    def _resolve(self, request: Request) -> RequestKey:
        """The index key for a request; bodiless ones (GETs, polls) are cached by method + URI."""
        if request.body:
            key = key_of(request)
            return self._alias.get(key, key)
        cached = self._keys.get((request.method, request.uri))
        if cached is None:
            if len(self._keys) >= 4096:  # bounded: a client may vary URIs without end
                self._keys.clear()
            key = key_of(request)
            cached = self._keys[(request.method, request.uri)] = self._alias.get(key, key)
        return cached

    def _renamed(self, key: RequestKey) -> RequestKey | None:
        """The recorded key `key` stands for when the client named its deployment anew (see `_DEPLOYMENT_NAME`).

        A deployment PUT that misses is matched to the one recorded deployment PUT, not yet replayed, that
        differs from it in the deployment's name only (same body, same query, same path otherwise); from then
        on, every request naming the client's deployment (GET, operations, polls) reads the recorded one.
        Answers keep the recorded name (a client that follows their URLs reaches the recorded polls)."""
        found = _DEPLOYMENT_NAME.search(key.path)
        if found is None:
            return None
        sent = found.group(2)
        known = self._renames.get(sent)
        if known is None:
            if key.method != "PUT":
                return None
            shape = _with_deployment_name(key.path, "")
            taken = set(self._renames.values())
            names = set()
            for candidate, queue in self._queues.items():
                if (candidate.method, candidate.query, candidate.body) != (key.method, key.query, key.body):
                    continue
                other = _DEPLOYMENT_NAME.search(candidate.path)
                if other is None or other.group(2) in taken or self._cursor.get(candidate, 0) >= len(queue):
                    continue
                if _with_deployment_name(candidate.path, "") == shape:
                    names.add(other.group(2))
            if len(names) != 1:
                return None
            known = self._renames[sent] = names.pop()
            log.info("deployment %s replays as the recorded %s", sent, known)
        renamed = key._replace(path=_with_deployment_name(key.path, known))
        return renamed if renamed in self._queues else None

    @property
    def interaction_count(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def find(self, request: Request) -> Recorded | None:
        """The next recorded answer for `request`, or None (the request then is a miss)."""
        found = self.find_with_ids(request)
        return found[0] if found else None

    def find_with_ids(self, request: Request) -> tuple[Recorded, dict[str, str]] | None:
        """The next recorded answer and the fake -> real ids to put back into it, or None."""
        real_ids: dict[str, str] = {}
        key = self._resolve(request)
        queue = self._queues.get(key)
        if queue is None and self.request_filter is not None:
            # The client may send real ids where the cassette holds pseudonyms.
            filtered = self.request_filter(request)
            key = self._resolve(filtered)
            queue = self._queues.get(key)
            if queue is not None:
                real_ids = pseudonymised_ids(request, filtered)
        if queue is None:
            # The client may have named its deployment anew (sanitized key first: the cassette holds that).
            renamed = self._renamed(key) or self._renamed(self._resolve(request))
            if renamed is not None:
                key, queue = renamed, self._queues[renamed]
                if self.request_filter is not None:
                    real_ids = pseudonymised_ids(request, self.request_filter(request))
        if queue is None:
            return None
        position = self._cursor.get(key, 0)
        if position >= len(queue):
            if not self.allow_repeats:
                return None
            position = len(queue) - 1
        self._cursor[key] = position + 1
        recorded = queue[position]
        recorded.served += 1
        return recorded, real_ids

    def explain(self, request: Request) -> str:
        """Why `request` got no answer: used up, or the closest recorded requests and their differences."""
        compared, key = request, self._resolve(request)
        if key not in self._queues and self.request_filter is not None:
            compared = self.request_filter(request)  # what the cassette would hold for it
            key = self._resolve(compared)
        queue = self._queues.get(key)
        if queue is not None and not self.allow_repeats:
            labels = ", ".join(r.label for r in queue[:5]) + (" ..." if len(queue) > 5 else "")
            return (f"No recorded interaction is left for {request.method} {_path_qs(request.uri)}: "
                    f"all {len(queue)} recorded answer(s) ({labels}) were already served. "
                    "Start the server with --allow-repeats to answer again with the last one.")
        candidates = (Candidate(q[0].interaction.request, q[0].label) for q in self._queues.values())
        text = explain_miss(compared, candidates)
        if compared is not request:
            text += "\n(compared after sanitizing the request as the recorder does)"
        return text

    def unused(self) -> list[str]:
        """Labels of recorded interactions never served (a test that drifted from its cassette)."""
        return [r.label for q in self._queues.values() for r in q if r.served == 0]

    def reset(self) -> None:
        self._cursor.clear()
        self._renames.clear()
        for queue in self._queues.values():
            for recorded in queue:
                recorded.served = 0


def _with_deployment_name(path: str, name: str) -> str:
    return _DEPLOYMENT_NAME.sub(lambda m: m.group(1) + name, path, count=1)


def _path_qs(uri: str) -> str:
    parts = urlsplit(uri)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def incoming(request: web.Request) -> Request:
    """The aiohttp request as a cassette Request under the canonical host (what sanitizers
    expect). Headers are left out: they play no part in matching."""
    body = await request.read() if request.body_exists else b""
    return Request(request.method, CANONICAL_BASE + request.raw_path, body or None, {})


def client_base(request: web.Request) -> str:
    """The base URL the client used to reach us, for rewriting URLs in answers."""
    return f"{request.scheme}://{request.host}"


def load_cassettes(sources: Iterable[CassetteSource]) -> list[Cassette]:
    """Cassette objects as given; paths (files or folders) loaded. Raises CassetteError."""
    out: list[Cassette] = []
    paths: list[str | os.PathLike[str]] = []

    def flush() -> None:
        if paths:
            out.extend(load_cassette(p) for p in iter_cassette_paths(list(paths)))
            paths.clear()

    for source in sources:
        if isinstance(source, Cassette):
            flush()
            out.append(source)
        else:
            paths.append(source)
    flush()
    return out


def sanitizing_filter(config: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> RequestFilter:
    """The recorder's own request sanitizing (same salt, same fake ids), for matching real ids."""
    from contract.sanitize import Sanitizer

    return Sanitizer(config).request


def _miss(request: Request, replayer: Replayer, headers: Mapping[str, str]) -> web.Response:
    """A request no cassette answers. Where ARM itself would have refused it before looking
    anything up (no bearer token, no api-version, a body that is not JSON), the answer is
    ARM's refusal, with the miss explanation in its message; otherwise NoRecordedInteraction."""
    log.warning("miss: %s %s", request.method, _path_qs(request.uri))
    replayer.misses += 1
    explanation = replayer.explain(request)
    parts = urlsplit(request.uri)
    if not parts.path.lower().startswith(("/subscriptions/", "/providers/")):
        return arm_error(400, NO_MATCH_CODE, explanation)  # not an ARM path: nothing ARM would say
    refused = check_authorization(headers.get("Authorization"))
    if refused is not None:
        return refused
    if "api-version=" not in parts.query.lower():
        return arm_error(400, "MissingApiVersionParameter",
                         "The api-version query parameter (?api-version=) is required for all requests. "
                         + explanation)
    if request.body and request.json() is None:
        return arm_error(400, "InvalidRequestContent", "The request content was invalid and could not be "
                         "deserialized as JSON. " + explanation)
    return arm_error(400, NO_MATCH_CODE, explanation)


async def respond(replayer: Replayer, request: web.Request) -> web.Response:
    """The recorded answer to `request`, or the miss (for servers that switch replayers, like the plugin's)."""
    sent = await incoming(request)
    found = replayer.find_with_ids(sent)
    if found is None:
        return _miss(sent, replayer, request.headers)
    return found[0].response(client_base(request), found[1])


def create_app(
    cassettes: Iterable[CassetteSource],
    fallback: str = "error",
    allow_repeats: bool = False,
    request_filter: RequestFilter | Literal["default"] | None = "default",
    max_body: int | None = DEFAULT_MAX_BODY,
) -> web.Application:
    """An aiohttp app replaying `cassettes` (paths, folders or Cassette objects).

    fallback="error": a miss is a `NoRecordedInteraction` CloudError.
    fallback="emulate": a miss is answered by the stateful emulator.
    request_filter: applied to a request that misses as sent, before matching again
    (default: the recorder's sanitizer with the project's salt, so real ids match
    pseudonymised cassettes; `sanitizing_filter(config)` for a custom config).
    """
    if fallback not in ("error", "emulate"):
        raise ValueError(f"fallback must be 'error' or 'emulate', not {fallback!r}")
    if request_filter == "default":
        request_filter = sanitizing_filter()
    replayer = Replayer(load_cassettes(cassettes), allow_repeats, request_filter)
    log.info("replaying %d interactions from %d cassette(s)", replayer.interaction_count, len(replayer.cassettes))
    # Replay serves what was recorded, bad requests included: only size and crashes are guarded.
    guard = guard_middleware(max_body=max_body, require_auth=False, require_api_version=False, check_json=False)
    client_max = max_body + 1 if max_body is not None else 0  # 0: aiohttp's own limit off

    if fallback == "emulate":
        from contract.emulator import create_app as create_emulator

        app = create_emulator()

        @web.middleware
        async def replay_first(request: web.Request, handler: Callable) -> web.StreamResponse:  # type: ignore[type-arg]
            sent = await incoming(request)
            found = replayer.find_with_ids(sent)
            if found is None:
                return await handler(request)
            return found[0].response(client_base(request), found[1])

        app.middlewares.insert(0, replay_first)
        app.middlewares.insert(0, guard)
    else:
        async def replay(request: web.Request) -> web.StreamResponse:
            return await respond(replayer, request)

        # the guard wraps the one handler: no middleware layers on the hot path
        app = web.Application(client_max_size=client_max)
        app.router.add_route("*", "/{tail:.*}", guard.wrap(replay))
    app[REPLAYER] = replayer
    return app
