"""ARM long-running operations: operation-status resources that finish on their own.

A write starts an `Operation`; each poll of its status (or monitor) URL moves it
one step; after `polls` InProgress answers it turns Succeeded, runs its completion
callbacks once, and never changes again. As in Azure, an operation also finishes
without anyone polling: once `complete_after` seconds have passed (checked lazily,
whenever a request could see it), and, by the handlers' choice, when the resource is
read (`az rest`, `--no-wait` and Terraform's read-after-write never poll).
Every LRO answer carries `retry-after-ms: 1` because azure-core treats a zero or
missing delay as "sleep 30 s".
"""
from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from contract.emulator.state import now_iso
from contract.facts import load_facts

_FACTS = load_facts()  # specs/rules.yaml facts.operation-terminal-states: the checker reads the same
POLL_HINT = {"retry-after-ms": "1"}


@dataclass
class Operation:
    id: str
    subscription: str
    location: str
    polls_left: int
    status: str = "InProgress"
    start_time: str = field(default_factory=now_iso)
    end_time: str | None = None
    on_done: list[Callable[[], None]] = field(default_factory=list)
    result: Any = None  # what the monitor (Location) URL answers once done, for actions that return one
    deadline: float | None = None  # time.monotonic() after which it has finished on its own

    @property
    def done(self) -> bool:
        return _FACTS.is_terminal(self.status)

    def poll(self) -> None:
        """One observation by a client: count it, finish when the budget is spent."""
        if self.done:
            return
        if self.polls_left > 0:
            self.polls_left -= 1
            return
        self.finish()

    def finish(self) -> None:
        if self.done:
            return
        self.status = "Succeeded"
        self.end_time = now_iso()
        callbacks, self.on_done = self.on_done, []
        for callback in callbacks:
            callback()

    def view(self) -> dict[str, Any]:
        body: dict[str, Any] = {"startTime": self.start_time, "status": self.status, "name": self.id}
        if self.end_time is not None:
            body["endTime"] = self.end_time
        return body


class Operations:
    """The operation-status resources of one emulator (kept after completion: monitors read them late).

    At most `keep` are kept, so a long-lived emulator does not grow without bound: the
    oldest goes first, finished on the way out if a client never polled it.
    """

    def __init__(self, polls: int, keep: int = 50_000, complete_after: float | None = None) -> None:
        self.polls = max(0, polls)
        self.keep = max(1, keep)
        self.complete_after = complete_after
        self.finished = 0  # how many operations have finished: part of the emulator's state revision
        self.started = 0  # how many operations have started (synchronous answers finish those of one request)
        self._ops: dict[str, Operation] = {}
        self._running: deque[Operation] = deque()  # in start order, so deadlines are in order too

    def start(self, subscription: str, location: str, on_done: Callable[[], None] | None = None) -> Operation:
        op = Operation(id=str(uuid.uuid4()), subscription=subscription, location=location,
                       polls_left=self.polls)
        if on_done is not None:
            op.on_done.append(on_done)
        op.on_done.append(self._count_finished)
        self.started += 1
        if self.complete_after is not None:
            op.deadline = time.monotonic() + self.complete_after
            self._running.append(op)
        self._ops[op.id] = op
        while len(self._ops) > self.keep:
            oldest = self._ops.pop(next(iter(self._ops)))
            oldest.finish()
        return op

    def _count_finished(self) -> None:
        self.finished += 1

    def settle_due(self) -> None:
        """Finish every operation whose time is up (cheap when none is: one look at the oldest)."""
        if not self._running:
            return
        now = time.monotonic()
        while self._running and (self._running[0].done or (self._running[0].deadline or 0) <= now):
            self._running.popleft().finish()

    def since(self, started: int) -> list[Operation]:
        """The operations started after `self.started` was `started`, oldest first (those still kept)."""
        count = self.started - started
        if count <= 0:
            return []
        newest = []
        for op in reversed(self._ops.values()):
            if len(newest) == count:
                break
            newest.append(op)
        return newest[::-1]

    def get(self, subscription: str, operation_id: str) -> Operation | None:
        self.settle_due()
        op = self._ops.get(operation_id.lower())
        if op is None or op.subscription.lower() != subscription.lower():
            return None
        return op

    def __len__(self) -> int:
        return len(self._ops)


def result_url(origin: str, op: Operation, api_version: str) -> str:
    """Microsoft.Resources' Location URL of `op` (`/subscriptions/{sub}/operationresults/{id}`): 202 while it
    runs, then 200 with `op.result` (a group or deployment delete, a deployment's validate or what-if)."""
    return f"{origin}/subscriptions/{op.subscription}/operationresults/{op.id}?api-version={quote(api_version)}"


def status_url(origin: str, op: Operation, api_version: str) -> str:
    """The Azure-AsyncOperation URL of `op`, on this server (the proxy rewrites hosts)."""
    return (f"{origin}/subscriptions/{op.subscription}/providers/Microsoft.Compute/locations/"
            f"{quote(op.location)}/operations/{op.id}?api-version={quote(api_version)}")


def lro_headers(origin: str, op: Operation, api_version: str, *, location: bool) -> dict[str, str]:
    """Azure-AsyncOperation (always) and Location = the same URL + `&monitor=true` (actions, DELETE)."""
    url = status_url(origin, op, api_version)
    headers = {"Azure-AsyncOperation": url, **POLL_HINT}
    if location:
        headers["Location"] = f"{url}&monitor=true"
    return headers
