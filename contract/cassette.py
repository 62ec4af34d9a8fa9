"""Interactions and cassettes in vcrpy's on-disk format (`version: 1`).

The data model below is the contract every other module codes against.
Bodies are kept exactly as the file holds them (`str`, `bytes` or `None`) so a
load/save round trip is lossless; `.content` gives bytes for whoever needs them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Headers = dict[str, list[str]]  # vcrpy layout: name (original casing) -> values, in order
Body = str | bytes | None


def _as_bytes(body: Body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    return body.encode("utf-8")


def header_values(headers: Headers, name: str) -> list[str]:
    """All values of a header, matched case-insensitively as HTTP does."""
    wanted = name.lower()
    return [v for k, vs in headers.items() if k.lower() == wanted for v in vs]


def header_value(headers: Headers, name: str) -> str | None:
    """The first value of a header, or None."""
    values = header_values(headers, name)
    return values[0] if values else None


class _Message:
    """What requests and responses share: a body kept as stored, and vcrpy-style headers."""

    body: Body
    headers: Headers

    @property
    def content(self) -> bytes:
        return _as_bytes(self.body)

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def json(self) -> Any:
        """The body parsed as JSON, or None when empty or not JSON."""
        return _parse_json(self.content)


@dataclass
class Request(_Message):
    method: str
    uri: str
    body: Body = None
    headers: Headers = field(default_factory=dict)


@dataclass
class Response(_Message):
    status: int
    reason: str = ""
    headers: Headers = field(default_factory=dict)
    body: Body = None


@dataclass
class Interaction:
    request: Request
    response: Response


@dataclass
class Cassette:
    """An ordered list of interactions plus metadata vcrpy ignores."""

    interactions: list[Interaction] = field(default_factory=list)
    path: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _parse_json(content: bytes) -> Any:
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


# --------------------------------------------------------------------------
# Reading and writing files. Everything below is additive to the model above.
# --------------------------------------------------------------------------
import gc  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterable, Iterator, Mapping  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

from contract import serializers  # noqa: E402

CASSETTE_FORMAT_VERSION = 1
CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")


class CassetteError(ValueError):
    """A cassette that cannot be read or written; the message names file and place."""

    def __init__(self, path: str | os.PathLike[str] | None, message: str,
                 interaction: int | None = None, line: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.interaction = interaction
        self.line = line
        where = [self.path or "<cassette>"]
        if line is not None:
            where.append(f"line {line}")
        if interaction is not None:
            where.append(f"interaction {interaction}")
        super().__init__(f"{', '.join(where)}: {message}")


# ---- plain data (the dicts vcrpy reads and writes) <-> model ---------------

def _headers_from(raw: Any, what: str) -> Headers:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"{what} headers must be a mapping, not {type(raw).__name__}")
    headers: Headers = {}
    for name, values in raw.items():
        if values is None:
            values = []
        elif not isinstance(values, list):
            values = [values]
        headers[str(name)] = [v if isinstance(v, str) else str(v) for v in values]
    return headers


def _body_from(raw: Any, what: str) -> Body:
    if isinstance(raw, Mapping):  # vcrpy wraps response bodies as {"string": ...}
        raw = raw.get("string")
    if raw is None or isinstance(raw, (str, bytes)):
        return raw
    if isinstance(raw, (bytearray, memoryview)):
        return bytes(raw)
    raise ValueError(f"{what} body must be a string, bytes or null, not {type(raw).__name__}")


def interaction_from_dict(raw: Any) -> Interaction:
    """One vcrpy interaction dict -> Interaction; ValueError says what is wrong."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"an interaction must be a mapping, not {type(raw).__name__}")
    req, resp = raw.get("request"), raw.get("response")
    if not isinstance(req, Mapping):
        raise ValueError("missing or malformed 'request'")
    if not isinstance(resp, Mapping):
        raise ValueError("missing or malformed 'response'")
    method, uri = req.get("method"), req.get("uri")
    if not isinstance(method, str) or not method:
        raise ValueError("request has no 'method'")
    if not isinstance(uri, str) or not uri:
        raise ValueError("request has no 'uri'")
    status = resp.get("status")
    if isinstance(status, Mapping):
        code, reason = status.get("code"), status.get("message", "")
    else:
        code, reason = status, ""
    try:
        code = int(code)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"response status code {code!r} is not an integer") from None
    return Interaction(
        Request(method, uri, _body_from(req.get("body"), "request"),
                _headers_from(req.get("headers"), "request")),
        Response(code, "" if reason is None else str(reason),
                 _headers_from(resp.get("headers"), "response"),
                 _body_from(resp.get("body"), "response")),
    )


def interaction_to_dict(interaction: Interaction) -> dict[str, Any]:
    """Interaction -> the dict vcrpy writes (keys in vcrpy's sorted order)."""
    req, resp = interaction.request, interaction.response
    return {
        "request": {"body": req.body, "headers": req.headers, "method": req.method, "uri": req.uri},
        "response": {
            "body": {"string": resp.body},
            "headers": resp.headers,
            "status": {"code": resp.status, "message": resp.reason},
        },
    }


def cassette_from_data(data: Any, path: str | None = None) -> Cassette:
    """Parsed file content -> Cassette; CassetteError names the bad interaction."""
    if data is None:
        return Cassette([], path, {})
    if isinstance(data, list):
        raise CassetteError(path, "pre-1.0 vcrpy cassette (a bare list); re-record it")
    if not isinstance(data, Mapping):
        raise CassetteError(path, f"top level must be a mapping, not {type(data).__name__}")
    version = data.get("version", CASSETTE_FORMAT_VERSION)
    if version != CASSETTE_FORMAT_VERSION:
        raise CassetteError(path, f"unsupported cassette version {version!r} (expected 1)")
    raw_interactions = data.get("interactions")
    if raw_interactions is None:
        raw_interactions = []
    if not isinstance(raw_interactions, list):
        raise CassetteError(path, "'interactions' must be a list")
    interactions = []
    for index, raw in enumerate(raw_interactions):
        try:
            interactions.append(interaction_from_dict(raw))
        except ValueError as exc:
            raise CassetteError(path, str(exc), interaction=index) from None
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise CassetteError(path, "'metadata' must be a mapping")
    return Cassette(interactions, path, dict(metadata))


def cassette_to_data(cassette: Cassette) -> dict[str, Any]:
    """Cassette -> plain data, `version` first and `interactions` last (appendable layout)."""
    data: dict[str, Any] = {"version": CASSETTE_FORMAT_VERSION}
    if cassette.metadata:
        data["metadata"] = dict(cassette.metadata)
    data["interactions"] = [interaction_to_dict(i) for i in cassette.interactions]
    return data


# ---- files -----------------------------------------------------------------

class _TypeDrift(Exception):
    """The fast parser typed something differently from vcrpy's PyYAML: use PyYAML."""


def _exact_headers(raw: Any) -> Headers:
    if raw is None:
        return {}
    if type(raw) is not dict:
        raise _TypeDrift
    for values in raw.values():
        if type(values) is not list:
            raise _TypeDrift
        for v in values:
            if type(v) is not str:
                raise _TypeDrift
    return raw


def _exact_interactions(raw_interactions: Any) -> list[Interaction]:
    """Fast conversion for data whose every scalar already has vcrpy's type."""
    if type(raw_interactions) is not list:
        raise _TypeDrift
    out = []
    append = out.append
    for raw in raw_interactions:
        try:
            req, resp = raw["request"], raw["response"]
            method, uri, body = req["method"], req["uri"], req.get("body")
            rbody, status = resp["body"], resp["status"]
            rbody = rbody["string"] if type(rbody) is dict else rbody
            code, reason = status["code"], status.get("message", "")
        except (KeyError, TypeError):
            raise _TypeDrift from None
        if (type(method) is not str or type(uri) is not str or type(code) is not int
                or type(reason) is not str
                or (body is not None and type(body) is not str)
                or (rbody is not None and type(rbody) is not str)):
            raise _TypeDrift
        append(Interaction(Request(method, uri, body, _exact_headers(req.get("headers"))),
                           Response(code, reason, _exact_headers(resp.get("headers")), rbody)))
    return out


def _fast_cassette(text: str, path: str | None) -> Cassette | None:
    data = serializers.fast_parse(text)  # types are checked while converting
    if type(data) is not dict or data.get("version", CASSETTE_FORMAT_VERSION) != CASSETTE_FORMAT_VERSION:
        return None
    metadata = data.get("metadata") or {}
    if type(metadata) is not dict:
        return None
    try:
        interactions = _exact_interactions(data.get("interactions") or [])
    except _TypeDrift:
        return None
    return Cassette(interactions, path, metadata)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building ~10^6 small objects triggers many useless GC passes: pause it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _refuse_hostile_bodies(cassette: Cassette) -> Cassette:
    """A body nested deeper than MAX_JSON_DEPTH would crash whoever parses it later (replay's
    matching, the checker): refuse it here, naming the interaction."""
    from contract.jsondepth import MAX_JSON_DEPTH, json_too_deep

    for n, i in enumerate(cassette.interactions):
        for side, body in (("request", i.request.body), ("response", i.response.body)):
            if body and json_too_deep(body):
                raise CassetteError(cassette.path, f"{side} body is JSON nested deeper than {MAX_JSON_DEPTH} "
                                                   "levels (refused as hostile)", interaction=n)
    return cassette


def loads_cassette(text: str, path: str | None = None, fmt: str | None = None) -> Cassette:
    """Parse cassette text (YAML or JSON)."""
    return _refuse_hostile_bodies(_loads_cassette(text, path, fmt))


def _loads_cassette(text: str, path: str | None = None, fmt: str | None = None) -> Cassette:
    fmt = fmt or serializers.format_for(path or "")
    if not text.strip():
        return Cassette([], path, {})
    with _gc_paused():
        try:
            if fmt == "yaml":
                fast = _fast_cassette(text, path)
                if fast is not None:
                    return fast
            data = (serializers.pyyaml_load(text) if fmt == "yaml"
                    else serializers.deserialize(text, fmt))
        except serializers.SerializerError as exc:
            raise CassetteError(path, f"not valid {fmt.upper()}: {exc}", line=exc.line) from None
        except RecursionError:
            raise CassetteError(path, f"not valid {fmt.upper()}: nested too deeply") from None
        return cassette_from_data(data, path)


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    """Read a vcrpy cassette; bodies come back exactly as stored."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise CassetteError(p, "no such cassette") from None
    except OSError as exc:
        raise CassetteError(p, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CassetteError(p, "not UTF-8 text", line=line) from None
    return loads_cassette(text, str(p))


def dumps_cassette(cassette: Cassette, fmt: str = "yaml") -> str:
    """Render a cassette as text vcrpy can load."""
    try:
        return serializers.serialize(cassette_to_data(cassette), fmt)
    except (TypeError, ValueError) as exc:
        raise CassetteError(cassette.path, f"cannot serialize as {fmt}: {exc}") from None


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` with `data` so a crash leaves either the old or the new file."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(p.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def save_cassette(cassette: Cassette, path: str | os.PathLike[str] | None = None,
                  serializer: str | None = None) -> Path:
    """Write atomically (temp file, fsync, rename); returns the path written."""
    target = path if path is not None else cassette.path
    if target is None:
        raise CassetteError(None, "no path to save the cassette to")
    fmt = serializer or serializers.format_for(str(target))
    text = dumps_cassette(Cassette(cassette.interactions, str(target), cassette.metadata), fmt)
    atomic_write(target, text.encode("utf-8"))
    return Path(target)


def iter_cassette_paths(paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> list[Path]:
    """Files as given, folders searched recursively for *.yaml|*.yml|*.json (sorted)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found: list[Path] = []
    for entry in paths:
        p = Path(entry)
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*")
                                if f.is_file() and f.suffix.lower() in CASSETTE_SUFFIXES))
        else:
            found.append(p)
    return found


# ---- crash-safe appending (the recording proxy) ------------------------------

_MARK = "# end of interaction "


def _marker(index: int) -> str:
    return f"{_MARK}{index}\n"


def _cut_after_last_marker(text: str) -> str | None:
    """The text up to the last complete appended item, or None if there is no marker."""
    at = text.rfind("\n" + _MARK)
    if at == -1:
        return None
    end = text.find("\n", at + 1)
    return text if end == -1 else text[: end + 1]


def load_appended(path: str | os.PathLike[str]) -> Cassette:
    """Like `load_cassette`, but a torn last item (a crash mid-write) is dropped, not fatal.

    Only files written by `CassetteAppender` carry the end-of-item markers this needs;
    anything else gets exactly `load_cassette`'s strictness.
    """
    try:
        return load_cassette(path)
    except CassetteError:
        text = Path(path).read_text("utf-8", errors="replace")
        cut = _cut_after_last_marker(text)
        if cut is None or cut == text:
            raise
        cassette = loads_cassette(cut, str(path))
        cassette.metadata = {**cassette.metadata, "torn_tail_bytes": len(text.encode()) - len(cut.encode())}
        return cassette


def _loads_ok(text: str, path: str) -> bool:
    try:
        loads_cassette(text, path)
    except CassetteError:
        return False
    return True


class CassetteAppender:
    """Append interactions to a YAML cassette, one `write()` each, O(1) per interaction.

    Layout: `version: 1`, metadata, then `interactions:` as a block list at the end, so each
    appended `- request: ...` item (followed by an end marker comment) leaves a file that
    both vcrpy and `load_cassette` read. Nothing is written until the first interaction,
    so a session that records nothing leaves no file (vcrpy treats that as "not recorded").
    An existing cassette is kept: a torn tail from a crash is cut off, and a file in
    another layout is rewritten once (atomically) into this one.
    """

    def __init__(self, path: str | os.PathLike[str], metadata: Mapping[str, Any] | None = None,
                 durable: bool = False, replace: bool = False) -> None:
        self.path = Path(path)
        if serializers.format_for(str(self.path)) != "yaml":
            raise CassetteError(self.path, "appending needs a YAML cassette (.yaml/.yml)")
        self.metadata = dict(metadata or {})
        self.durable = durable
        self.count = 0
        self._fd: int | None = None
        self._lock = threading.Lock()
        if not replace:  # `replace`: the old cassette stays until the first new interaction
            self._adopt_existing()

    def _adopt_existing(self) -> None:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            raise CassetteError(self.path, f"cannot append: {exc}") from None
        if not text.strip():
            return
        cut = _cut_after_last_marker(text)
        if cut is not None and cut != text and not _loads_ok(text, str(self.path)):
            # a torn last item from a crash: keep every finished interaction
            with open(self.path, "r+b") as fh:
                fh.truncate(len(cut.encode("utf-8")))
            text = cut
        if cut is not None and cut == text:  # our layout, ending with a complete item
            self.count = len(loads_cassette(text, str(self.path)).interactions)
            self._open()
            return
        # another layout (vcrpy's, a hand edit after our items): rewrite it once into ours
        existing = loads_cassette(text, str(self.path))
        self.metadata = {**existing.metadata, **self.metadata}
        head = serializers.emit_head(self.metadata)
        items = [serializers.emit_interaction(interaction_to_dict(i)) + _marker(n)
                 for n, i in enumerate(existing.interactions)]
        if items:  # an empty one is simply replaced by the first append
            atomic_write(self.path, (head + "".join(items)).encode("utf-8"))
            self.count = len(items)
            self._open()

    def _open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, interaction: Interaction) -> None:
        """Write one finished interaction; when this returns the file holds it.

        Without `durable` the item is handed to the kernel (one `write`) before this returns:
        it survives the recorder being killed, not a power cut (the file is fsynced on close).
        With `durable` it is fsynced too. A failed or partial write (ENOSPC, EIO, EFBIG) is
        rolled back to the last complete interaction and raised as a CassetteError, so the
        file always loads.
        """
        try:
            item = serializers.emit_interaction(interaction_to_dict(interaction))
        except (TypeError, ValueError, RecursionError) as exc:
            raise CassetteError(self.path, f"cannot serialize: {exc}", interaction=self.count) from None
        with self._lock:
            data = (item + _marker(self.count)).encode("utf-8")
            try:
                if self._fd is None:  # first item: head + item replace any old file atomically
                    atomic_write(self.path, serializers.emit_head(self.metadata).encode("utf-8") + data)
                    self._open()
                else:
                    self._write_item(self._fd, data)
            except OSError as exc:
                raise CassetteError(self.path, f"could not write ({exc.strerror or exc}); the file is kept as it "
                                               "was after the last complete interaction", interaction=self.count) from None
            self.count += 1

    def _write_item(self, fd: int, data: bytes) -> None:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:  # os.write may be partial (signal, quota, full disk); finish the same item
                written = os.write(fd, view)
                view = view[written:]
            if self.durable:
                os.fsync(fd)
        except OSError:
            try:  # back to the last complete item (if this fails too, load_appended still cuts it)
                os.ftruncate(fd, start)
            except OSError:
                pass
            raise

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                try:
                    os.fsync(self._fd)
                finally:
                    os.close(self._fd)
                    self._fd = None

    def __enter__(self) -> CassetteAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- one writer per cassette ----------------------------------------------------

class CassetteLock:
    """An exclusive `fcntl.flock` on `.<name>.lock` beside a cassette, held while one recorder
    (a `record` process, a pytest worker) writes it; a second one is refused at once with the
    holder's pid. The lock file is removed on release (the inode is re-checked after locking,
    so a waiter that locked a file just removed tries again)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import fcntl

        self.path = Path(path)
        self.lock_path = self.path.with_name(f".{self.path.name}.lock")
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise CassetteError(self.path, f"another recorder (pid {holder}) is writing this cassette; "
                                               f"one cassette takes one writer (lock {self.lock_path})") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # locked a file its holder just removed: take the new one
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd: int | None = fd

    def release(self) -> None:
        import fcntl

        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.unlink(self.lock_path)
        except OSError:
            pass
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> CassetteLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
