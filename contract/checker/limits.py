"""What a passing check does not prove: said in every report, so a green result is not over-read."""
from __future__ import annotations

NOT_CHECKED: tuple[str, ...] = (
    "Requested vs answered values: an answer is checked against the schema and the rules, not compared "
    "with the request body that caused it (only sku.capacity is followed against the VMs listed).",
    "Interactions outside the contract (listed in the report with why): other hosts, and ARM operations "
    "that no specs/*.openapi.yaml describes.",
    "Error messages: a refusal is checked for its status, its CloudError shape and (for rules) its code, "
    "never for the wording of its message.",
    "Timing: how long a long-running operation takes and the values of Retry-After and polling delays "
    "(only where Retry-After may appear is checked).",
    "Paging: nextLink pages are checked one by one; that a list is complete across pages is not.",
    "Anything inside the VMs: guest OS state, extension output, run-command script results beyond "
    "their documented shape.",
    "Authorization: tokens, RBAC and throttling are whatever the recorded upstream did.",
)
