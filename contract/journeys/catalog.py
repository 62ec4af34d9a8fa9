"""What a client reads before it creates anything: the image catalogue, VM sizes, resource SKUs and
disks; and a Flexible scale set, whose VMs are standalone virtual machines (VirtualMachines_*)."""
from __future__ import annotations

from typing import Any

from contract.arm_client import Answer
from contract.journeys.bodies import scale_set_body
from contract.journeys.step import COMPUTE_API, RESOURCES_API, Step, Target

PUBLISHER, OFFER, SKU = "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2"


def catalog_steps(target: Target) -> list[Step]:
    t = target
    loc = f"/subscriptions/{t.subscription}/providers/Microsoft.Compute/locations/{t.location}"
    api = f"?api-version={COMPUTE_API}"
    image = f"{loc}/publishers/{PUBLISHER}/artifacttypes/vmimage/offers/{OFFER}/skus/{SKU}/versions"

    def version_get(answer: Answer) -> list[Step]:
        versions = answer.body if isinstance(answer.body, list) else []
        names = [str(v.get("name")) for v in versions if isinstance(v, dict) and v.get("name")]
        return [Step("image version", "GET", f"{image}/{names[-1]}{api}", group="catalog")] if names else []

    return [
        Step("image publishers", "GET", f"{loc}/publishers{api}", group="catalog"),
        Step("image offers", "GET", f"{loc}/publishers/{PUBLISHER}/artifacttypes/vmimage/offers{api}", group="catalog"),
        Step("image SKUs", "GET", f"{loc}/publishers/{PUBLISHER}/artifacttypes/vmimage/offers/{OFFER}/skus{api}",
             group="catalog"),
        Step("image versions", "GET", f"{image}{api}", group="catalog", expand=version_get),
        Step("not found: versions of an image nobody publishes", "GET",
             f"{loc}/publishers/{PUBLISHER}/artifacttypes/vmimage/offers/{OFFER}/skus/no-such-sku/versions{api}",
             expect=(404,), group="refused", expect_code="NotFound"),
        Step("VM sizes", "GET", f"{loc}/vmSizes{api}", group="catalog"),
        Step("resource SKUs", "GET", f"/subscriptions/{t.subscription}/providers/Microsoft.Compute/skus"
                                     f"?api-version=2021-07-01&$filter=location eq '{t.location}'", group="catalog"),
    ]


def flexible_body(target: Target, name: str) -> dict[str, Any]:
    """A Flexible scale set: its VMs are virtual machines of their own (networkApiVersion is required)."""
    body = scale_set_body(target, name, capacity=2)
    props = body["properties"]
    props.pop("upgradePolicy", None)
    props.pop("overprovision", None)
    props["singlePlacementGroup"] = False
    props["orchestrationMode"] = "Flexible"
    props["platformFaultDomainCount"] = 1
    props["virtualMachineProfile"]["networkProfile"]["networkApiVersion"] = "2020-11-01"
    return body


def flexible_steps(target: Target, name: str = "vmss-contract-flex") -> list[Step]:
    t = target
    vms = f"{t.rg_path}/providers/Microsoft.Compute/virtualMachines"
    disks = "providers/Microsoft.Compute/disks?api-version=2023-04-02"

    def each_vm(answer: Answer) -> list[Step]:
        listed = answer.body.get("value", []) if isinstance(answer.body, dict) else []
        names = [str(v["name"]) for v in listed if isinstance(v, dict) and str(v.get("name", "")).startswith(name)]
        if not names:
            return []
        return [Step("virtual machine", "GET", f"{vms}/{names[0]}?api-version={COMPUTE_API}", group="flexible"),
                Step("virtual machine instance view", "GET", f"{vms}/{names[0]}/instanceView?api-version={COMPUTE_API}",
                     group="flexible")]

    def first_disk(answer: Answer) -> list[Step]:
        listed = answer.body.get("value", []) if isinstance(answer.body, dict) else []
        ids = [str(d["id"]) for d in listed if isinstance(d, dict) and str(d.get("name", "")).startswith(name)]
        return [Step("a VM's OS disk", "GET", f"{ids[0]}?api-version=2023-04-02", group="flexible")] if ids else []

    return [
        Step("resource group", "PUT", f"{t.rg_path}?api-version={RESOURCES_API}", {"location": t.location}, (200, 201), "setup"),
        Step("flexible scale set", "PUT", t.vmss(name), flexible_body(t, name), (201,), "flexible", follow=True),
        Step("virtual machines in the group", "GET", f"{vms}?api-version={COMPUTE_API}", group="flexible", expand=each_vm),
        Step("virtual machines in the subscription", "GET",
             f"/subscriptions/{t.subscription}/providers/Microsoft.Compute/virtualMachines?api-version={COMPUTE_API}",
             group="flexible"),
        Step("not found: a virtual machine that is not there", "GET", f"{vms}/nobody?api-version={COMPUTE_API}",
             expect=(404,), group="not-found", expect_code="ResourceNotFound"),
        Step("disks in the group", "GET", f"{t.rg_path}/{disks}", group="flexible", expand=first_disk),
        Step("disks in the subscription", "GET", f"/subscriptions/{t.subscription}/{disks}", group="flexible"),
        Step("not found: a disk that is not there", "GET",
             f"{t.rg_path}/providers/Microsoft.Compute/disks/nothing?api-version=2023-04-02", expect=(404,),
             group="not-found", expect_code="ResourceNotFound"),
        Step("delete", "DELETE", t.vmss(name), expect=(202,), group="flexible", follow=True),
    ]
