"""Following long-running operations through their polling to their result.

An answer carrying `Azure-AsyncOperation` and/or `Location` starts an operation;
later GETs of those URLs (matched by path, case-folded, host ignored: replay and
the emulator rewrite hosts) are its polls. A status that reached a terminal value
must keep it, and the first terminal poll is the operation's result, which the
state machines then apply (a finished DELETE means 404 from now on, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from contract.checker.classify import Target, split_uri
from contract.facts import load_facts

TERMINAL = load_facts().terminal  # specs/rules.yaml facts.operation-terminal-states, case-folded


@dataclass
class Pending:
    """One long-running operation: who started it, on what, and how it is going."""

    origin: int  # interaction index that started it
    method: str
    target: Target | None
    instance_ids: list[str] | None = None  # from an action body {"instanceIds": [...]}
    status: str | None = None  # last polled status, as answered
    finished_at: int | None = None

    @property
    def done(self) -> bool:
        return self.status is not None and self.status.lower() in TERMINAL

    @property
    def action(self) -> str:
        """The action path under the resource, e.g. "/manualupgrade" ("" for PUT/PATCH/DELETE)."""
        return self.target.tail if self.target is not None else ""


@dataclass
class LroTracker:
    by_path: dict[str, Pending] = field(default_factory=dict)

    def start(self, pending: Pending, headers: list[str | None]) -> list[str]:
        """Register the operation under each polling URL's path; returns the keys used."""
        keys = []
        for url in headers:
            if not url:
                continue
            key = poll_key(split_uri(url).path)
            self.by_path[key] = pending
            keys.append(key)
        return keys

    def find(self, key: str) -> Pending | None:
        """The operation polled at `key` (a path as `poll_key` spells it)."""
        return self.by_path.get(key)


def poll_key(path: str) -> str:
    """How polling URLs are matched: by path, case-folded, without a trailing '/' (hosts are rewritten)."""
    return path.rstrip("/").lower()


def status_of(body: object) -> str | None:
    """The operation-status body's `status` (ARM: required), or None."""
    if isinstance(body, dict):
        value = body.get("status")
        if isinstance(value, str):
            return value
    return None


def is_terminal(status: str | None) -> bool:
    return status is not None and status.lower() in TERMINAL
