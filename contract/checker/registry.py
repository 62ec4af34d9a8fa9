"""The rule registry: every verdict the checker can give has a stable id.

Ids never change once published (reports, JUnit files and users' allow-lists
refer to them). Each rule names the passage of the seeds, ARM-FACTS or swagger
it comes from, so a reader can see why it exists. Rules that live in
`specs/rules.yaml` are not copied here: `rules_file_entries` lists them from
the loaded rules so the registry and the emulator share one source of truth.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RuleInfo:
    id: str
    summary: str
    source: str
    category: str = "checker"


def _r(id: str, summary: str, source: str, category: str) -> tuple[str, RuleInfo]:
    return id, RuleInfo(id, summary, source, category)


RULES: dict[str, RuleInfo] = dict(
    [
        # request side
        _r("undocumented-operation",
           "A request under the scale set namespace that matches no documented operation (method + path) was answered 2xx.",
           "swagger ComputeRP/stable/2024-03-01/virtualMachineScaleSet.json and runCommand.json 'paths' "
           "(every operationId, as carried into specs/vmss.openapi.yaml)", "request"),
        _r("api-version-missing",
           "A request without api-version was answered 2xx; ARM answers 400 MissingApiVersionParameter.",
           "ARM-FACTS: 'Missing api-version: 400 MissingApiVersionParameter'", "request"),
        _r("api-version-unknown",
           "A request with an api-version the contract cannot map was answered 2xx.",
           "ARM-FACTS: 'An api-version the provider does not know: 400 NoRegisteredProviderFound'", "request"),
        _r("invalid-request-accepted",
           "A request that breaks the documented request schema or a rules-file rule was answered 2xx.",
           "seed 000 element tables; specs/rules.yaml; ARM-FACTS 'Errors ARM gives'", "request"),
        # status codes
        _r("undeclared-status",
           "The answer's status is not one the operation declares.",
           "seed 000 'Status code: 201 (Created)'; seed 003 'Responses 200 OK / 201 Created'; swagger responses", "status"),
        _r("error-shape",
           "A 4xx/5xx answer lacks the CloudError shape {\"error\": {\"code\", \"message\"}}.",
           "seed 003 'CloudError: An error response from the Compute service'; common-types CloudError", "status"),
        # response shapes
        _r("response-schema",
           "The response body does not validate against the schema of its status.",
           "seed 002 'the scale set model', 'the VM model view'; seed 003 Definitions; swagger responses "
           "(specs/vmss.openapi.yaml response schemas)", "shape"),
        _r("empty-body",
           "The body is empty where the status documents one, or present where the status documents none.",
           "ARM-FACTS: 'POST actions and DELETE: 202 with an empty body'; PUT/PATCH answer with the resource", "shape"),
        _r("drift",
           "An answer carries a member no schema of its api-version documents (reported with its JSON path; "
           "fails only with --fail-on-drift).",
           "issue 14: Azure adds members before the swagger does (recordings/test_vmss_add_application.yaml answers "
           "galleryApplications[].manuallyManaged, which the 2022-11-01 and 2024-03-01 swagger lack); oav flags "
           "these as errors", "shape"),
        _r("provisioning-state",
           "An answer's provisioningState (the resource's, a listed resource's, an extension's) is not one of ARM's "
           "states, case ignored; judged from the first sight on, not only on transitions.",
           "specs/rules.yaml facts.provisioning-states (ARM RPC Addendum 'provisioningState property': terminal "
           "Succeeded, Failed, Canceled; Compute's Creating, Updating, Deleting, Migrating)", "shape"),
        _r("secret-echoed",
           "A writeOnly secret (adminPassword, customData, protectedSettings, ...) appears in an answer.",
           "ARM-FACTS 'Never echoed in a response'; swagger x-ms-secret on adminPassword", "shape"),
        # headers
        _r("lro-headers",
           "A 202 long-running answer, or a 201 whose resource is not yet in a terminal provisioningState, carries "
           "neither Azure-AsyncOperation nor Location (a 201 in a terminal state finished synchronously).",
           "ARM-FACTS 'Long-running operations': PUT/PATCH carry Azure-AsyncOperation, POST/DELETE 202 both; "
           "https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations (a terminal "
           "provisioningState means the operation finished)", "headers"),
        _r("retry-after-on-error",
           "A 4xx answer other than 429 carries Retry-After, which makes azure-core retry a final refusal.",
           "ARM-FACTS: 'send Retry-After only on 429, 503 and long-running answers, never on a 400/404/409'",
           "headers"),
        _r("json-content-type",
           "A JSON body is served without a JSON content type.",
           "ARM-FACTS 'Headers every ARM answer carries': JSON bodies application/json; charset=utf-8", "headers"),
        # state machines
        _r("get-before-create",
           "A scale set (or child) answered 2xx before it was created; before create, GET is 404.",
           "ARM-FACTS 'GET of a missing scale set: 404 ResourceNotFound'", "state"),
        _r("create-status",
           "The first successful PUT of a resource must answer 201 Created, later PUTs 200 OK.",
           "seed 000 'Status code: 201 (Created)'; ARM-FACTS 'VMSS PUT (create or update): 200 or 201'", "state"),
        _r("provisioning-state-transition",
           "provisioningState moved other than Creating/Updating -> Succeeded/Failed/Canceled (or changed with no write).",
           "ARM-FACTS 'Long-running operations': Creating/Updating then Succeeded; seed 003 examples", "state"),
        _r("operation-status-terminal",
           "An operation status left a terminal state (Succeeded, Failed, Canceled).",
           "ARM-FACTS: 'Terminal values: Succeeded, Failed, Canceled. A terminal status never changes again.'", "lro"),
        _r("lro-poll-status",
           "A poll of an operation-status or monitor=true Location URL was not answered 2xx.",
           "ARM-FACTS: 'Every poll of an operation-status URL answers 2xx; the monitor=true Location URL must keep answering 2xx'",
           "lro"),
        _r("lro-result",
           "After its operation finished, the resource does not show the operation's result.",
           "ARM-FACTS: 'operation status InProgress ... then Succeeded; then the model shows Succeeded'", "lro"),
        _r("manual-upgrade-latest-model",
           "In Manual upgrade mode an existing VM shows latestModelApplied true after a model change, before manualupgrade/reimage.",
           "seed 002: 'Manual - In this mode, when you update the scale set model, nothing happens to existing VMs.'", "state"),
        _r("capacity-mismatch",
           "Once operations have finished, the number of VMs differs from sku.capacity.",
           "seed 000: 'capacity Yes Specifies the number of virtual machines in the scale set.'", "state"),
        _r("deleted-resource-answered",
           "A deleted scale set (or a child of it) answered 2xx; after delete it is 404 (a DELETE of it again "
           "answers 204, ARM's answer for what is already gone).",
           "ARM-FACTS: 'DELETE then 404'; 'GET of a missing scale set: 404 ResourceNotFound'; ARM RPC "
           "resource-api-reference: DELETE of a resource that does not exist answers 204 No Content", "state"),
        _r("run-command-terminal",
           "A run command ended in a state other than Succeeded or Failed.",
           "seed 003 properties.provisioningState: 'any failure ... will be marked as Failed'; examples Creating -> Succeeded",
           "state"),
    ]
)


def rules_file_entries(rules: Any) -> list[RuleInfo]:
    """RuleInfo for each rule `specs/rules.yaml` declares (`Rules.rules`: id -> Rule)."""
    out: list[RuleInfo] = []
    for rule in (getattr(rules, "rules", None) or {}).values():
        quote = getattr(rule, "quote", "")
        source = f"{rule.source}: {quote!r}" if quote else str(rule.source)
        out.append(RuleInfo(rule.id, rule.summary, source, "rules-file"))
    return out


def describe(rule_id: str, rules: Any = None) -> RuleInfo:
    """The RuleInfo for an id, including rules-file ids; unknown ids get a stub."""
    if rule_id in RULES:
        return RULES[rule_id]
    if rules is not None:
        for info in rules_file_entries(rules):
            if info.id == rule_id:
                return info
    return RuleInfo(rule_id, "", "specs/rules.yaml", "rules-file")
