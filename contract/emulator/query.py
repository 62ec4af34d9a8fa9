"""Query options of list and get operations: paging, `$filter`, `$select`, `$expand=userData`.

- Paging: Azure pages long lists and a client must follow `nextLink` (the SDK's pagers do);
  every list here answers at most `page_size` items and a `nextLink` carrying `$skiptoken`.
- `$filter` / `$select` on a scale set's VM list take the values the swagger allows
  (virtualMachineScaleSet.json, VirtualMachineScaleSetVMs_List: "Allowed values are
  'startswith(instanceView/statuses/code, 'PowerState') eq true', 'properties/latestModelApplied eq true',
  'properties/latestModelApplied eq false'" and "'instanceView', 'instanceView/statuses'");
  anything else is refused with ARM's 400 InvalidParameter rather than ignored.
- `$expand=userData`: userData is only in an answer that asks for it (the swagger's
  ExpandTypesForGetVMScaleSets / InstanceViewTypes enums, "userData").
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from contract.emulator.http import Call, Refused
from contract.emulator.state import JSON, obj
from contract.servers import arm_error

SKIP_TOKEN = "$skiptoken"
_LATEST = re.compile(r"^\s*properties/latestModelApplied\s+eq\s+(true|false)\s*$", re.IGNORECASE)
_POWER = re.compile(r"^\s*startswith\(\s*instanceView/statuses/code\s*,\s*'PowerState'\s*\)\s+eq\s+true\s*$",
                    re.IGNORECASE)
_SELECTS = ("instanceview", "instanceview/statuses")


def page(call: Call, items: list[Any]) -> JSON:
    """`{"value": [...], "nextLink"?}`: one page of `items` from the request's `$skiptoken` on."""
    size = max(1, call.emulator.page_size)
    raw = call.query(SKIP_TOKEN) or "0"
    try:
        start = int(raw)
    except ValueError:
        raise Refused(arm_error(400, "InvalidParameter", f"The $skiptoken '{raw}' is not valid.",
                                target=SKIP_TOKEN)) from None
    start = max(0, start)
    body: JSON = {"value": items[start:start + size]}
    if start + size < len(items):
        query = [(k, v) for k, v in call.request.query.items() if k.lower() != SKIP_TOKEN]
        query.append((SKIP_TOKEN, str(start + size)))
        body["nextLink"] = f"{call.origin}{call.request.path}?{urlencode(query, safe='$')}"
    return body


def vm_filter(call: Call) -> tuple[bool | None, bool]:
    """The VM list's `$filter`: (latestModelApplied wanted or None, power-state statuses only)."""
    text = call.query("$filter")
    if text is None or not text.strip():
        return None, False
    latest = _LATEST.match(text)
    if latest:
        return latest.group(1).lower() == "true", False
    if _POWER.match(text):
        return None, True
    raise Refused(arm_error(400, "InvalidParameter",
                            f"The $filter '{text}' is not supported. Allowed values are "
                            "'startswith(instanceView/statuses/code, 'PowerState') eq true', "
                            "'properties/latestModelApplied eq true', 'properties/latestModelApplied eq false'.",
                            target="$filter"))


def vm_select(call: Call) -> str | None:
    """The VM list's `$select` ('instanceView' or 'instanceView/statuses'), lower-cased, or None."""
    text = call.query("$select")
    if text is None or not text.strip():
        return None
    if text.strip().lower() not in _SELECTS:
        raise Refused(arm_error(400, "InvalidParameter",
                                f"The $select '{text}' is not supported. Allowed values are 'instanceView', "
                                "'instanceView/statuses'.", target="$select"))
    return text.strip().lower()


def selected(view: JSON, select: str) -> JSON:
    """A VM answer cut down to its instance view (or only its statuses), keeping what names the VM."""
    props = obj(view.get("properties"))
    instance_view = obj(props.get("instanceView"))
    if select == "instanceview/statuses":
        instance_view = {"statuses": instance_view.get("statuses", [])}
    out = {k: v for k, v in view.items() if k in ("name", "id", "type", "location", "instanceId")}
    out["properties"] = {"instanceView": instance_view}
    return out


def power_statuses_only(view: JSON) -> JSON:
    """`startswith(instanceView/statuses/code, 'PowerState') eq true`: the instance view's PowerState statuses."""
    props = obj(view.get("properties"))
    instance_view = props.get("instanceView")
    if not isinstance(instance_view, dict):
        return view
    statuses = [s for s in instance_view.get("statuses", []) if str(obj(s).get("code", "")).startswith("PowerState")]
    return {**view, "properties": {**props, "instanceView": {**instance_view, "statuses": statuses}}}


def without_user_data(model: JSON, path: tuple[str, ...]) -> JSON:
    """`model` without the userData at `path` (a shallow copy along the path only; the rest is shared)."""
    if not path:
        return model
    head, rest = path[0], path[1:]
    if not rest:
        return {k: v for k, v in model.items() if k != head} if head in model else model
    child = model.get(head)
    if not isinstance(child, dict):
        return model
    inner = without_user_data(child, rest)
    return model if inner is child else {**model, head: inner}


SCALE_SET_USER_DATA = ("properties", "virtualMachineProfile", "userData")
VM_USER_DATA = ("properties", "userData")
