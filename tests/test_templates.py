"""The ARM template language (contract/templates): functions, parameters, variables, copy, dependsOn, outputs.

Function cases are the ARM documentation's own examples: the templates of
github.com/Azure/azure-docs-json-samples, azure-resource-manager/functions/<area>/<name>.json,
with the outputs the pages learn.microsoft.com/azure/azure-resource-manager/templates/
template-functions-<area> list for their default values. Each case below names its sample.
The deployment templates are the real `az vmss create` bodies in tests/data/recordings.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from contract.cassette import load_cassette
from contract.templates import DeploymentContext, TemplateError, camel_case, prepare, supported
from contract.templates.hashing import deterministic_guid, unique_string

from .conftest import RECORDINGS

SUB = "00000000-0000-0000-0000-000000000000"
CTX = DeploymentContext(SUB, "rg1", "westus", "dep1")


def outputs(template: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    plan = prepare({"resources": [], **template}, parameters, CTX)
    return {name: entry.get("value") for name, entry in plan.outputs().items()}


def out(expression: str, params: dict[str, Any] | None = None) -> Any:
    """One expression's value, with `params` as parameters (types inferred)."""
    kinds = {str: "string", int: "int", bool: "bool", list: "array", dict: "object"}
    declared = {k: {"type": kinds[type(v)], "defaultValue": v} for k, v in (params or {}).items()}
    plan = prepare({"parameters": declared, "resources": [],
                    "outputs": {"x": {"type": "object", "value": f"[createObject('v', {expression})]"}}}, None, CTX)
    return plan.outputs()["x"]["value"]["v"]


# ----------------------------------------------------------------------------- documented function examples

DOCUMENTED = [
    # string/format.json
    ("format('{0}, {1}. Formatted number: {2:N0}', 'Hello', 'User', 8175133)", "Hello, User. Formatted number: 8,175,133"),
    # string/replace.json
    ("replace('123-123-1234', '-', '')", "1231231234"),
    ("replace('123-123-1234', '1234', 'xxxx')", "123-123-xxxx"),
    # string/split.json
    ("split('one,two,three', ',')", ["one", "two", "three"]),
    ("split('one;two,three', createArray(',', ';'))", ["one", "two", "three"]),
    # array/take.json, array/skip.json
    ("take(createArray('one', 'two', 'three'), 2)", ["one", "two"]),
    ("take('one two three', 2)", "on"),
    ("skip(createArray('one', 'two', 'three'), 2)", ["three"]),
    ("skip('one two three', 4)", "two three"),
    # array/first.json, array/last.json
    ("first(createArray('one', 'two', 'three'))", "one"),
    ("first('One Two Three')", "O"),
    ("last(createArray('one', 'two', 'three'))", "three"),
    ("last('One Two Three')", "e"),
    # array/union.json
    ("union(json('{\"one\": \"a\", \"two\": \"b\", \"three\": \"c1\"}'), json('{\"three\": \"c2\", \"four\": \"d\", \"five\": \"e\"}'))",
     {"one": "a", "two": "b", "three": "c2", "four": "d", "five": "e"}),
    ("union(createArray('one', 'two', 'three'), createArray('three', 'four'))", ["one", "two", "three", "four"]),
    # array/contains.json
    ("contains('OneTwoThree', 'e')", True),
    ("contains('OneTwoThree', 'z')", False),
    ("contains(json('{\"one\": \"a\", \"two\": \"b\", \"three\": \"c\"}'), 'one')", True),
    ("contains(json('{\"one\": \"a\", \"two\": \"b\", \"three\": \"c\"}'), 'a')", False),
    ("contains(createArray('one', 'two', 'three'), 'three')", True),
    ("contains(createArray('one', 'two', 'three'), 'four')", False),
    # array/length.json
    ("length(createArray('one', 'two', 'three'))", 3),
    ("length('One Two Three')", 13),
    ("length(json('{\"propA\": \"one\", \"propB\": \"two\", \"propC\": \"three\", \"propD\": {\"propD-1\": \"sub\", \"propD-2\": \"sub\"}}'))", 4),
    # array/empty.json
    ("empty(createArray())", True),
    ("empty(json('{}'))", True),
    ("empty('')", True),
    # array/createarray.json
    ("createArray('a', 'b', 'c')", ["a", "b", "c"]),
    ("createArray(1, 2, 3)", [1, 2, 3]),
    ("createArray(createArray('one', 'two', 'three'))", [["one", "two", "three"]]),
    ("createArray()", []),
    # comparison/coalesce.json
    ("coalesce(null(), null(), 'default')", "default"),
    ("coalesce(null(), null(), 1)", 1),
    ("empty(coalesce(null(), null()))", True),
    # comparison/equals.json (the 2024 sample compares 'demo' with 'Demo': True)
    ("equals(1, 1)", True),
    ("equals('demo', 'Demo')", True),
    ("equals(createArray('a', 'b'), createArray('a', 'b'))", True),
    ("equals(json('{\"a\": \"b\"}'), json('{\"a\": \"b\"}'))", True),
    ("not(equals(1, 2))", True),
    # comparison/greater.json, less.json, greaterorequals.json, lessorequals.json
    ("greater(1, 2)", False),
    ("greater('A', 'a')", True),
    ("greaterOrEquals('A', 'a')", True),
    ("less(1, 2)", True),
    ("less('A', 'a')", False),
    ("lessOrEquals('A', 'a')", False),
    # logical/if.json
    ("if(equals('a', 'a'), 'yes', 'no')", "yes"),
    ("if(equals('a', 'b'), 'yes', 'no')", "no"),
    ("if(equals('a', 'a'), json('{\"test\": \"value1\"}'), json('null'))", {"test": "value1"}),
    # logical/andornot.json, logical/bool.json
    ("and(bool('true'), bool('false'))", False),
    ("or(bool('true'), bool('false'))", True),
    ("not(bool('true'))", False),
    ("bool('true')", True),
    ("bool('false')", False),
    ("bool(1)", True),
    ("bool(0)", False),
    # object/createobject.json
    ("createObject('intProp', 1, 'stringProp', 'abc', 'boolProp', true(), 'arrayProp', createArray('a', 'b', 'c'), "
     "'objectProp', createObject('key1', 'value1'))",
     {"intProp": 1, "stringProp": "abc", "boolProp": True, "arrayProp": ["a", "b", "c"], "objectProp": {"key1": "value1"}}),
    # object/json.json
    ("empty(json('null'))", True),
    ("json('{\"a\": \"b\"}')", {"a": "b"}),
    ("json('\"test\"')", "test"),
    ("json('true')", True),
    ("json('3')", 3),
    ("json('[1,2,3 ]')", [1, 2, 3]),
    ("json(concat('{\"a\": \"', 'demo value', '\"}'))", {"a": "demo value"}),
    # string/string.json
    ("string(json('{\"valueA\": 10, \"valueB\": \"Example Text\"}'))", '{"valueA":10,"valueB":"Example Text"}'),
    ("string(createArray('a', 'b', 'c'))", '["a","b","c"]'),
    ("string(5)", "5"),
    # string/tolower.json
    ("toLower('One Two Three')", "one two three"),
    ("toUpper('One Two Three')", "ONE TWO THREE"),
    # string/base64.json
    ("base64('one, two, three')", "b25lLCB0d28sIHRocmVl"),
    ("base64ToString(base64('one, two, three'))", "one, two, three"),
    ("base64ToJson(base64('{''one'': ''a'', ''two'': ''b''}'))", {"one": "a", "two": "b"}),
    # string/indexof.json
    ("indexOf('test', 't')", 0),
    ("lastIndexOf('test', 't')", 3),
    ("indexOf('abcdef', 'CD')", 2),
    ("lastIndexOf('abcdef', 'AB')", 0),
    ("indexOf('abcdef', 'z')", -1),
    # numeric/div.json, numeric/mod.json
    ("div(8, 3)", 2),
    ("mod(7, 3)", 1),
    # resource/resourceid.json (deployed into subscription SUB, group rg1)
    ("resourceId('Microsoft.Storage/storageAccounts','examplestorage')",
     f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/examplestorage"),
    ("resourceId('otherResourceGroup', 'Microsoft.Storage/storageAccounts','examplestorage')",
     f"/subscriptions/{SUB}/resourceGroups/otherResourceGroup/providers/Microsoft.Storage/storageAccounts/examplestorage"),
    ("resourceId('11111111-1111-1111-1111-111111111111', 'otherResourceGroup', 'Microsoft.Storage/storageAccounts',"
     "'examplestorage')",
     "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/otherResourceGroup/providers/"
     "Microsoft.Storage/storageAccounts/examplestorage"),
    ("resourceId('Microsoft.SQL/servers/databases', 'serverName', 'databaseName')",
     f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.SQL/servers/serverName/databases/databaseName"),
    # resource/subscriptionresourceid.json
    ("subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '8e3af657-a8ff-443c-a75c-2fe8c4bcb635')",
     f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
    # resource/extensionresourceid.json (note `resourceGroup().Id`: property names are case-insensitive)
    ("extensionResourceId(resourceGroup().Id, 'Microsoft.Authorization/locks', 'lock1')",
     f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Authorization/locks/lock1"),
]


@pytest.mark.parametrize(("expression", "expected"), DOCUMENTED, ids=[e for e, _ in DOCUMENTED])
def test_documented_function_examples(expression: str, expected: Any) -> None:
    assert out(expression) == expected


def test_documented_templates_with_parameters_and_variables() -> None:
    """split.json (a delimiter array in variables) and coalesce.json (property access on a parameter)."""
    assert outputs({"parameters": {"secondString": {"type": "string", "defaultValue": "one;two,three"}},
                    "variables": {"delimiters": [",", ";"]},
                    "outputs": {"secondOutput": {"type": "array",
                                                 "value": "[split(parameters('secondString'),variables('delimiters'))]"}}}
                   ) == {"secondOutput": ["one", "two", "three"]}
    template = {"parameters": {"objectToTest": {"type": "object", "defaultValue": {
        "null1": None, "null2": None, "string": "default", "int": 1, "object": {"first": "default"}, "array": [1]}}},
        "outputs": {"objectOutput": {"type": "object", "value": "[coalesce(parameters('objectToTest').null1, "
                                                                "parameters('objectToTest').null2, parameters('objectToTest').object)]"},
                    "arrayOutput": {"type": "array", "value": "[coalesce(parameters('objectToTest').null1, "
                                                              "parameters('objectToTest').array)]"}}}
    assert outputs(template) == {"objectOutput": {"first": "default"}, "arrayOutput": [1]}


def test_unique_string_matches_arm() -> None:
    """Vectors checked against Bicep's uniqueString by a public reimplementation (uniquestring.sh)."""
    assert unique_string("test") == "rbgf3xv4ufgzg"
    assert unique_string("hello", "world") == "a7wkljktk6wne"
    assert unique_string("foo", "bar", "baz") == "xzi4ioaxtmth4"
    assert unique_string(f"/subscriptions/{SUB}/resourceGroups/my-rg") == "bmg7c6xu4tw46"
    assert out("uniqueString('abc')") == "cgtzqvhu4i23s"
    assert re.fullmatch(r"[a-z2-7]{13}", out("uniqueString(resourceGroup().id, deployment().name)"))


def test_guid_is_deterministic_and_well_formed() -> None:
    value = out("guid(resourceGroup().id, deployment().name)")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)
    assert value == deterministic_guid(f"/subscriptions/{SUB}/resourceGroups/rg1", "dep1")
    assert out("guid('a')") != out("guid('b')")


# ----------------------------------------------------------------------------- expression syntax

def test_property_and_index_access_chain() -> None:
    assert out("json('{\"a\": [{\"b\": 7}]}').a[0].b") == 7
    assert out("createArray('x', 'y')[add(0, 1)]") == "y"
    assert out("resourceGroup().location") == "westus"
    assert out("subscription().subscriptionId") == SUB
    assert out("deployment().name") == "dep1"


def test_deployment_has_a_location_outside_a_resource_group() -> None:
    """The documented deployment(): at subscription (management group, tenant) scope it carries `location`."""
    at_subscription = prepare({"resources": [], "outputs": {"x": {"type": "string", "value": "[deployment().location]"}}},
                              None, DeploymentContext(SUB, "", "eastus", "dep1"))
    assert at_subscription.outputs()["x"]["value"] == "eastus"
    assert "location" not in out("deployment()")  # not at resource-group scope


def test_string_literals_escape_quotes_and_brackets() -> None:
    assert out("'it''s'") == "it's"
    plan = prepare({"resources": [], "outputs": {
        "literal": {"type": "string", "value": "[[not an expression]"},
        "plain": {"type": "string", "value": "no brackets"}}}, None, CTX)
    assert plan.outputs() == {"literal": {"type": "String", "value": "[not an expression]"},
                              "plain": {"type": "String", "value": "no brackets"}}


def test_if_evaluates_only_the_chosen_branch() -> None:
    assert out("if(true(), 'ok', parameters('missing'))") == "ok"


@pytest.mark.parametrize(("expression", "needle"), [
    ("concat('a', 'b'", "expected token 'RightParenthesis' and actual 'EndOfData'"),
    ("noSuchFunction('a')", "The template function 'noSuchFunction' is not valid"),
    ("createArray(1)[3]", "array index '3' is out of bounds"),
    ("json('{\"a\": 1}').b", "property 'b' doesn't exist, available properties are 'a'"),
    ("parameters('nope')", "The template parameter 'nope' is not found"),
    ("variables('nope')", "The template variable 'nope' is not found"),
    ("copyIndex()", "'copyIndex' is not expected at this location"),
    ("'unterminated", "not terminated"),
    ("int('seven')", "cannot convert 'seven' to an integer"),
    ("resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet')", "requires '2' resource name argument(s)"),
])
def test_bad_expressions_are_invalid_template_with_position(expression: str, needle: str) -> None:
    template = {"resources": [], "outputs": {"bad": {"type": "string", "value": f"[{expression}]"}}}
    with pytest.raises(TemplateError) as info:  # syntax at prepare, the rest when the output is evaluated
        prepare(template, None, CTX).outputs()
    error = info.value
    assert error.code == "InvalidTemplate"
    assert needle in str(error)
    assert error.path == "outputs.bad.value"
    assert error.expression == f"[{expression}]"
    body = error.arm_error()
    assert body["code"] == "InvalidTemplate" and body["message"].startswith("Deployment template validation failed")
    assert body["additionalInfo"][0]["info"]["path"] == "outputs.bad.value"


def test_parse_error_reports_the_column() -> None:
    with pytest.raises(TemplateError) as info:
        prepare({"resources": [], "variables": {"v": "[concat('a',, 'b')]"},
                 "outputs": {"o": {"type": "string", "value": "[variables('v')]"}}}, None, CTX).outputs()
    assert info.value.column == 13  # the second comma, counted from the opening '['
    assert info.value.path == "variables.v"


def test_unknown_function_is_refused_even_in_an_unused_branch() -> None:
    with pytest.raises(TemplateError, match="'bogus' is not valid"):
        out("if(true(), 1, bogus())")


# ----------------------------------------------------------------------------- parameters

def test_parameter_defaults_types_and_limits() -> None:
    declared = {"count": {"type": "int", "defaultValue": 2, "minValue": 1, "maxValue": 5},
                "size": {"type": "string", "allowedValues": ["Small", "Large"], "defaultValue": "Small"},
                "loc": {"type": "string", "defaultValue": "[resourceGroup().location]"}}
    template = {"parameters": declared, "resources": [], "outputs": {
        "all": {"type": "string", "value": "[format('{0}-{1}-{2}', parameters('count'), parameters('SIZE'), parameters('loc'))]"}}}
    assert prepare(template, None, CTX).outputs()["all"]["value"] == "2-Small-westus"
    assert prepare(template, {"count": {"value": 5}}, CTX).outputs()["all"]["value"] == "5-Small-westus"
    for given, needle in [({"count": {"value": 9}}, "greater than the max value '5'"),
                          ({"count": {"value": 0}}, "less than the min value '1'"),
                          ({"count": {"value": "3"}}, "Expected 'Int'. Actual 'String'"),
                          ({"size": {"value": "Huge"}}, "not part of the allowed value(s): 'Small,Large'"),
                          ({"other": {"value": 1}}, "not present in the original template"),
                          ({"count": 3}, "must be given as {\"value\": ...}")]:
        with pytest.raises(TemplateError, match=re.escape(needle)):
            prepare(template, given, CTX)


def test_missing_parameter_value_is_invalid_template() -> None:
    with pytest.raises(TemplateError, match="The value for the template parameter 'p' .* is not provided"):
        prepare({"parameters": {"p": {"type": "string"}}, "resources": []}, {}, CTX)


def test_secure_parameters_are_never_echoed() -> None:
    template = {"parameters": {"pw": {"type": "secureString", "allowedValues": ["s3cret!", "other"]},
                               "obj": {"type": "secureObject"}, "user": {"type": "string"}},
                "resources": [], "outputs": {"echo": {"type": "securestring", "value": "[parameters('pw')]"}}}
    plan = prepare(template, {"pw": {"value": "s3cret!"}, "obj": {"value": {"k": "v"}}, "user": {"value": "me"}}, CTX)
    assert plan.parameters_view() == {"pw": {"type": "SecureString"}, "obj": {"type": "SecureObject"},
                                      "user": {"type": "String", "value": "me"}}
    assert plan.outputs() == {"echo": {"type": "SecureString"}}
    assert "s3cret!" in plan.secret_values()
    with pytest.raises(TemplateError) as info:
        prepare(template, {"pw": {"value": "wrong-secret"}, "obj": {"value": {}}, "user": {"value": "me"}}, CTX)
    assert "wrong-secret" not in str(info.value)


# ----------------------------------------------------------------------------- variables, copy, condition, dependsOn

def test_variables_reference_each_other_and_variable_copy() -> None:
    template = {"variables": {"prefix": "[toLower('VM')]", "name": "[concat(variables('prefix'), '-1')]",
                              "copy": [{"name": "disks", "count": 3,
                                        "input": {"lun": "[copyIndex('disks')]", "name": "[concat('d', copyIndex('disks', 1))]"}}]},
                "outputs": {"name": {"type": "string", "value": "[variables('name')]"},
                            "disks": {"type": "array", "value": "[variables('disks')]"}}}
    assert outputs(template) == {"name": "vm-1", "disks": [{"lun": 0, "name": "d1"}, {"lun": 1, "name": "d2"},
                                                           {"lun": 2, "name": "d3"}]}
    with pytest.raises(TemplateError, match="circular"):
        outputs({"variables": {"a": "[variables('b')]", "b": "[variables('a')]"},
                 "outputs": {"o": {"type": "string", "value": "[variables('a')]"}}})


def _resource(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2022-01-01", "name": name,
            "location": "[resourceGroup().location]", "properties": {}, **extra}


def test_copy_condition_and_dependency_order() -> None:
    template = {"parameters": {"n": {"type": "int", "defaultValue": 3}},
                "resources": [
                    _resource("last", dependsOn=["ips", "[resourceId('Microsoft.Network/publicIPAddresses', 'never')]"]),
                    _resource("[concat('ip', copyIndex())]", copy={"name": "ips", "count": "[parameters('n')]"},
                              properties={"idleTimeoutInMinutes": "[add(4, copyIndex())]"}),
                    _resource("never", condition="[equals(parameters('n'), 0)]"),
                    _resource("first")]}
    plan = prepare(template, None, CTX)
    names = [i.name for i in plan.instances]
    assert names.index("last") > max(names.index(f"ip{i}") for i in range(3))
    assert "never" not in names and [s.name for s in plan.skipped] == ["never"]
    bodies = {i.name: plan.evaluate(i) for i in plan.instances}
    assert bodies["ip2"] == {"location": "westus", "properties": {"idleTimeoutInMinutes": 6}}
    assert plan.instances[0].id.endswith("/providers/Microsoft.Network/publicIPAddresses/ip0")


def test_property_copy_builds_an_array() -> None:
    template = {"resources": [{"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2022-11-01",
                               "name": "s", "properties": {"copy": [{"name": "dataDisks", "count": 2, "input": {
                                   "lun": "[copyIndex('dataDisks')]", "diskSizeGB": 8}}]}}]}
    plan = prepare(template, None, CTX)
    assert plan.evaluate(plan.instances[0])["properties"] == {
        "dataDisks": [{"lun": 0, "diskSizeGB": 8}, {"lun": 1, "diskSizeGB": 8}]}


def test_dependency_cycle_and_unknown_dependency_are_invalid_template() -> None:
    with pytest.raises(TemplateError, match="Circular dependency detected on resource"):
        prepare({"resources": [_resource("a", dependsOn=["b"]), _resource("b", dependsOn=["a"])]}, None, CTX)
    with pytest.raises(TemplateError, match="The resource 'ghost' is not defined in the template"):
        prepare({"resources": [_resource("a", dependsOn=["ghost"])]}, None, CTX)
    with pytest.raises(TemplateError, match="defined multiple times"):
        prepare({"resources": [_resource("a"), _resource("A")]}, None, CTX)
    with pytest.raises(TemplateError, match="incorrect segment lengths"):
        prepare({"resources": [_resource("a/b")]}, None, CTX)
    with pytest.raises(TemplateError, match="Required property 'resources'"):
        prepare({}, None, CTX)


def test_nested_child_resources_get_full_type_name_and_parent_dependency() -> None:
    template = {"resources": [{"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2022-01-01", "name": "vnet",
                               "properties": {}, "resources": [{"type": "subnets", "apiVersion": "2022-01-01",
                                                                "name": "default", "properties": {}}]}]}
    plan = prepare(template, None, CTX)
    child = plan.instances[1]
    assert child.type == "Microsoft.Network/virtualNetworks/subnets" and child.name == "vnet/default"
    assert child.depends_on == [plan.instances[0].id]
    assert "resources" not in plan.evaluate(plan.instances[0])


def test_reference_goes_through_the_callback() -> None:
    seen: list[tuple[str, str | None]] = []

    def reference(rid: str, api: str | None) -> Any:
        seen.append((rid, api))
        return {"id": rid, "location": "westus", "properties": {"ipAddress": "10.0.0.4"}}

    template = {"resources": [_resource("ip")], "outputs": {
        "props": {"type": "string", "value": "[reference('ip').ipAddress]"},
        "full": {"type": "object", "value": "[reference(resourceId('Microsoft.Network/publicIPAddresses', 'ip'), "
                                            "'2022-01-01', 'Full')]"}}}
    result = prepare(template, None, CTX, reference=reference).outputs()
    assert result["props"]["value"] == "10.0.0.4"
    assert result["full"]["value"]["location"] == "westus" and result["full"]["value"]["apiVersion"] == "2022-01-01"
    assert seen[0] == (f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/publicIPAddresses/ip", None)


def test_output_type_mismatch_and_camel_cased_names() -> None:
    with pytest.raises(TemplateError, match="Expected 'String'. Actual 'Integer'"):
        outputs({"outputs": {"o": {"type": "string", "value": "[add(1, 2)]"}}})
    assert [camel_case(n) for n in ("VMSS", "MyOutput", "vmss", "URLValue", "a")] == \
        ["vmss", "myOutput", "vmss", "urlValue", "a"]


def test_supported_functions_cover_the_issue_list() -> None:
    wanted = ("parameters variables concat format resourceId subscriptionResourceId extensionResourceId resourceGroup "
              "subscription deployment reference uniqueString guid if equals not and or empty contains union length "
              "toLower toUpper replace split string int bool json createArray createObject copyIndex coalesce last "
              "first take skip base64 providers").split()
    assert {w.lower() for w in wanted} <= set(supported())


# ----------------------------------------------------------------------------- the corpus's real templates

def _corpus_deployments() -> list[tuple[str, int, Any, Any]]:
    found = []
    for path in sorted(RECORDINGS.glob("*.yaml")):
        cassette = load_cassette(path)
        for index, interaction in enumerate(cassette.interactions):
            if interaction.request.method == "PUT" and "/deployments/" in interaction.request.uri.lower():
                final = next((later.response.json() for later in cassette.interactions[index + 1:]
                              if later.request.method == "GET" and later.request.uri == interaction.request.uri), None)
                found.append((path.name, index, interaction.request, final))
    return found


CORPUS = _corpus_deployments()


def test_corpus_has_thirteen_az_vmss_create_deployments() -> None:
    assert len(CORPUS) == 13


@pytest.mark.parametrize(("name", "index", "request_", "final"), CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_template_evaluates_like_azure(name: str, index: int, request_: Any, final: Any) -> None:
    """Each real `az vmss create` template plans, evaluates and outputs; its resources are those
    Azure listed as outputResources, and secure parameters come back as Azure showed them."""
    props = request_.json()["properties"]
    group = re.search(r"/resourcegroups/([^/]+)/", request_.uri, re.I).group(1)  # type: ignore[union-attr]
    store: dict[str, Any] = {}
    plan = prepare(props["template"], props.get("parameters"), DeploymentContext(SUB, group, "westus", "mock"),
                   reference=lambda rid, api: store[rid.lower()])
    for instance in plan.instances:
        body = plan.evaluate(instance)
        assert "dependsOn" not in body and "apiVersion" not in body
        store[instance.id.lower()] = {"id": instance.id, **body}
    result = plan.outputs()
    assert list(result) == ["vmss"]
    scale_set = next(i for i in plan.instances if i.type == "Microsoft.Compute/virtualMachineScaleSets")
    assert plan.instances.index(scale_set) > max(plan.instances.index(next(i for i in plan.instances if i.id == d))
                                                 for d in scale_set.depends_on) if scale_set.depends_on else True
    if final is not None and "outputResources" in final["properties"]:
        expected = {r["id"].lower() for r in final["properties"]["outputResources"]}
        assert {i.id.lower() for i in plan.instances} == expected
        assert plan.parameters_view() == {k: v for k, v in final["properties"]["parameters"].items()}
    for secret in plan.secret_values():
        assert str(secret) not in str(plan.parameters_view())


def test_error_path_points_inside_the_resource() -> None:
    template = {"resources": [_resource("ok"), _resource("bad", properties={"dnsSettings": {
        "domainNameLabel": ["fine", "[concat('a', missing())]"]}})]}
    with pytest.raises(TemplateError) as info:  # parsed (not evaluated) before anything deploys, as ARM validates
        prepare(template, None, CTX)
    assert info.value.path == "resources[1].properties.dnsSettings.domainNameLabel[1]"
    assert info.value.expression == "[concat('a', missing())]" and info.value.column == 14


def test_new_guid_only_in_a_parameter_default() -> None:
    """template-functions-string: newGuid "can only be used within an expression for the default value of a
    parameter"."""
    template = {"parameters": {"g": {"type": "string", "defaultValue": "[newGuid()]"}}, "resources": [],
                "outputs": {"g": {"type": "string", "value": "[parameters('g')]"}}}
    first, second = outputs(template)["g"], outputs(template)["g"]
    assert re.fullmatch(r"[0-9a-f-]{36}", first) and first != second
    with pytest.raises(TemplateError, match="only valid within the default value"):
        out("newGuid()")
