"""The CRUD tour most ARM resources share, built from a path and a body rather than written out step by step.

`create` (PUT 201, the same PUT again 200), `reads` (GET and the lists that hold it), `tag` (PATCH tags),
`removal` (DELETE 202 followed to its end, DELETE again 204: nothing left to delete, GET 404 with the code
ARM gives) and `removal_polled_by_hand` (the DELETE's status and result URLs read one poll at a time, so the
run sees the 202 "still running" answers a client following the operation sees).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from contract.arm_client import Answer
from contract.journeys.step import Step


def at(path: str, api: str) -> str:
    return f"{path}?api-version={api}"


def create(label: str, path: str, body: Any, api: str, group: str, *, again: bool = True,
           follow_again: bool = False) -> list[Step]:
    """PUT that creates (201), then the same PUT again (200: ARM's PUT is create-or-replace), by default
    not followed: its operation is the kind the create's polls already showed."""
    steps = [Step(f"{label} create", "PUT", at(path, api), body, (201,), group, follow=True)]
    if again:
        steps.append(Step(f"{label} PUT again", "PUT", at(path, api), body, (200,), group, follow=follow_again))
    return steps


def reads(label: str, path: str, api: str, group: str, *lists: str) -> list[Step]:
    """GET of the resource, then GET of each collection path that lists it."""
    steps = [Step(f"{label} get", "GET", at(path, api), group=group)]
    steps += [Step(f"{label} in list {i + 1}", "GET", at(p, api), group=group) for i, p in enumerate(lists)]
    return steps


def tag(label: str, path: str, api: str, group: str, method: str = "PATCH") -> Step:
    return Step(f"{label} tags", method, at(path, api), {"tags": {"journey": group}}, (200,), group)


def removal(label: str, path: str, api: str, group: str, missing: str, *, deleted: tuple[int, ...] = (202,),
            follow: bool = False, by_hand: bool = False) -> list[Step]:
    """DELETE (followed to its end, polled by hand, or left to finish on its own as `--no-wait` does: ARM
    answers for the resource as gone at once), DELETE again (204: gone already), GET 404 `missing`."""
    first = Step(f"{label} delete", "DELETE", at(path, api), expect=deleted, group=group, follow=follow and not by_hand,
                 expand=polled_by_hand(label, group) if by_hand else None)
    return [first,
            Step(f"{label} delete again (gone)", "DELETE", at(path, api), expect=(204,), group=group),
            Step(f"{label} get after delete", "GET", at(path, api), expect=(404,), group=group, expect_code=missing)]


def refused(label: str, method: str, path: str, api: str, body: Any, status: int, code: str, group: str) -> Step:
    return Step(f"refused: {label}", method, at(path, api), body, (status,), group, expect_code=code)


def local_path(url: str) -> str:
    """An answer's URL (proxied: this run's server) as a path, so replay sends it to its own server."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def polled_by_hand(label: str, group: str) -> Any:
    """The polls azure-core makes after a 202 DELETE, as steps: the Location URL while the operation
    runs (202), the status URL (200 Succeeded), the Location URL once done (204 or 200)."""
    def expand(answer: Answer) -> list[Step]:
        status, location = answer.header("Azure-AsyncOperation"), answer.header("Location")
        steps = []
        if location:
            steps.append(Step(f"{label} result while running", "GET", local_path(location), expect=(202, 204),
                              group=group))
        if status:
            steps.append(Step(f"{label} status", "GET", local_path(status), group=group))
        if location:
            steps.append(Step(f"{label} result when done", "GET", local_path(location), expect=(200, 204),
                              group=group))
        return steps
    return expand
