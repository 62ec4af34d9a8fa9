"""The checker on template deployments: the scale set a deployment creates is held to its evaluated template
body (same template engine as the emulator), and a secure parameter echoed in a deployment answer is
`secret-echoed`. Planted changes on the real `az vmss create` recording; the untouched corpus stays clean.
"""
from __future__ import annotations

import copy
import json

from contract.cassette import Cassette, load_cassette
from contract.checker import check

from .conftest import RECORDINGS

CASSETTE = RECORDINGS / "test_vmss_create_and_modify.yaml"
PUT, FINAL_GET, FIRST_VMSS_GET = 10, 14, 15


def _cassette() -> Cassette:
    cassette = load_cassette(CASSETTE)
    assert "/deployments/" in cassette.interactions[PUT].request.uri and cassette.interactions[PUT].request.method == "PUT"
    assert cassette.interactions[FIRST_VMSS_GET].request.uri.split("?")[0].endswith("/virtualMachineScaleSets/vmss1")
    return cassette


def _edit_response(cassette: Cassette, index: int, change: object) -> Cassette:
    edited = copy.deepcopy(cassette)
    response = edited.interactions[index].response
    body = json.loads(response.body)  # type: ignore[arg-type]
    change(body)  # type: ignore[operator]
    response.body = json.dumps(body)
    return edited


def _rules(cassette: Cassette) -> list[tuple[int, str]]:
    return [(v.interaction, v.rule) for v in check(cassette).violations]


def test_untouched_recordings_stay_clean() -> None:
    assert check(RECORDINGS).violations == []


def test_scale_set_made_by_a_template_is_held_to_the_template_body() -> None:
    def new_offer(body: dict) -> None:
        body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["offer"] = "SomethingElse"

    planted = _edit_response(_cassette(), FIRST_VMSS_GET, new_offer)
    found = [rule for i, rule in _rules(planted) if i == FIRST_VMSS_GET]
    assert found == ["immutable-image-offer"], "the first GET shows an offer the template did not ask for"
    # without the deployment in the traffic there is nothing to compare the first GET with
    without = copy.deepcopy(planted)
    del without.interactions[:FIRST_VMSS_GET]
    assert "immutable-image-offer" not in [rule for i, rule in _rules(without) if i == 0]


def test_secure_parameter_echoed_in_a_deployment_answer_is_secret_echoed() -> None:
    secret = json.loads(_cassette().interactions[PUT].request.body)["properties"]["parameters"]["adminPassword"]["value"]

    def echo(body: dict) -> None:
        body["properties"]["parameters"]["adminPassword"]["value"] = secret

    planted = _edit_response(_cassette(), FINAL_GET, echo)
    assert (FINAL_GET, "secret-echoed") in _rules(planted)
    assert ("secret-echoed" not in {rule for _, rule in _rules(_cassette())})
