"""The built-in template functions, by lower-cased name (ARM function names are case-insensitive).

Each eager function takes the scope and its evaluated arguments; `if` is lazy (ARM evaluates
only the chosen branch, which is what lets `if(cond, reference(x), null())` work when `x` is
not deployed). Semantics and messages follow the ARM template function reference
(learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-*); the
function examples there are tests in tests/test_templates.py.

The scope offers: `parameter(name)`, `variable(name)`, `copy_index(loop)`, `subscription_id`,
`resource_group_name`, `resource_group()`, `subscription()`, `deployment()`,
`reference(id, api_version, full)`, `list_action(name, id, api_version, values)`, `providers(namespace, type)`,
`resolve_resource(name)`.
"""
from __future__ import annotations

import base64 as _b64
import uuid as _uuid
import json as _json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from contract.templates import hashing
from contract.templates.errors import TemplateError
from contract.templates.expressions import EAGER, LAZY, Evaluator, type_name

Fn = Callable[..., Any]


def _register(name: str) -> Callable[[Fn], Fn]:
    def add(fn: Fn) -> Fn:
        EAGER[name.lower()] = fn
        return fn
    return add


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise ValueError(message)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _text(fn: str, v: Any) -> str:
    if type(v) is not str:
        raise ValueError(f"The template language function '{fn}' expects its parameter to be of type "
                         f"'String'. The provided value is of type '{type_name(v)}'.")
    return v


def _ints(fn: str, *values: Any) -> None:
    for v in values:
        if not _is_int(v):
            raise ValueError(f"The template language function '{fn}' expects its parameters to be integers. "
                             f"The provided value is of type '{type_name(v)}'.")


# ----------------------------------------------------------------------------- deployment values

@_register("parameters")
def parameters(scope: Any, name: Any) -> Any:
    return scope.parameter(_text("parameters", name))


@_register("variables")
def variables(scope: Any, name: Any) -> Any:
    return scope.variable(_text("variables", name))


@_register("copyIndex")
def copy_index(scope: Any, *args: Any) -> int:
    loop: str | None = None
    offset = 0
    for arg in args:
        if isinstance(arg, str):
            loop = arg
        else:
            _ints("copyIndex", arg)
            offset = arg
    return int(scope.copy_index(loop)) + offset


@_register("resourceGroup")
def resource_group(scope: Any) -> dict[str, Any]:
    return scope.resource_group()  # type: ignore[no-any-return]


@_register("subscription")
def subscription(scope: Any) -> dict[str, Any]:
    return scope.subscription()  # type: ignore[no-any-return]


@_register("managementGroup")
def management_group(scope: Any) -> dict[str, Any]:
    return scope.management_group()  # type: ignore[no-any-return]


@_register("tenant")
def tenant(scope: Any) -> dict[str, Any]:
    return scope.tenant()  # type: ignore[no-any-return]


@_register("deployment")
def deployment(scope: Any) -> dict[str, Any]:
    return scope.deployment()  # type: ignore[no-any-return]


@_register("environment")
def environment(scope: Any) -> dict[str, Any]:
    return {"name": "AzureCloud", "gallery": "https://gallery.azure.com/",
            "resourceManager": "https://management.azure.com/",
            "authentication": {"loginEndpoint": "https://login.microsoftonline.com/",
                               "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"]},
            "suffixes": {"storage": "core.windows.net", "keyvaultDns": ".vault.azure.net"}}


@_register("reference")
def reference(scope: Any, target: Any, api_version: Any = None, full: Any = None) -> Any:
    target = _text("reference", target)
    if not target.startswith("/"):
        target = scope.resolve_resource(target)
    is_full = isinstance(full, str) and full.lower() == "full"
    return scope.reference(target, api_version if isinstance(api_version, str) else None, is_full)


@_register("list*")
def list_action(scope: Any, name: str, target: Any, api_version: Any = None, values: Any = None) -> Any:
    """list{Value}(resourceName or resourceIdentifier, apiVersion, functionValues): ARM POSTs
    {id}/{name} (e.g. listKeys) at that api-version with functionValues as the body."""
    target = _text(name, target)
    if not target.startswith("/"):
        target = scope.resolve_resource(target)
    _need(isinstance(api_version, str) and bool(api_version),
          f"The template function '{name}' expects an api-version as its second parameter.")
    return scope.list_action(name, target, api_version, values)


@_register("providers")
def providers(scope: Any, namespace: Any, resource_type: Any = None) -> Any:
    return scope.providers(_text("providers", namespace), resource_type)


# ----------------------------------------------------------------------------- resource ids

def _type_and_names(fn: str, args: tuple[Any, ...]) -> tuple[list[str], str, list[str]]:
    texts = [_text(fn, a) for a in args]
    for i, text in enumerate(texts):
        if "/" in text:
            # a trailing '/' is accepted: the documentation's own examples write
            # resourceId('Microsoft.Network/networkSecurityGroups/', name) (resource-dependency, deploy-to-subscription)
            text = texts[i] = text.rstrip("/") if text.count("/") > 1 else text
            segments = text.split("/")
            names = texts[i + 1:]
            if len(segments) < 2 or not all(segments):
                raise ValueError(f"Unable to evaluate template language function '{fn}': '{text}' is not a valid "
                                 f"resource type.")
            if len(names) != len(segments) - 1:
                raise ValueError(f"Unable to evaluate template language function '{fn}': the type '{text}' requires "
                                 f"'{len(segments) - 1}' resource name argument(s).")
            return texts[:i], text, names
    raise ValueError(f"Unable to evaluate template language function '{fn}': no resource type (a value with '/') "
                     f"among its arguments.")


def _provider_path(resource_type: str, names: list[str]) -> str:
    segments = resource_type.split("/")
    path = f"/providers/{segments[0]}"
    for kind, name in zip(segments[1:], names):
        path += f"/{kind}/{name}"
    return path


@_register("resourceId")
def resource_id(scope: Any, *args: Any) -> str:
    scope_args, resource_type, names = _type_and_names("resourceId", args)
    _need(len(scope_args) <= 2, "Unable to evaluate template language function 'resourceId': too many "
                                "arguments before the resource type.")
    sub = scope_args[0] if len(scope_args) == 2 else scope.subscription_id
    group = scope_args[-1] if scope_args else scope.resource_group_name
    if not group:  # a subscription-scope deployment: the id at subscription level (template-functions-resource)
        return f"/subscriptions/{sub}{_provider_path(resource_type, names)}"
    return f"/subscriptions/{sub}/resourceGroups/{group}{_provider_path(resource_type, names)}"


@_register("subscriptionResourceId")
def subscription_resource_id(scope: Any, *args: Any) -> str:
    scope_args, resource_type, names = _type_and_names("subscriptionResourceId", args)
    _need(len(scope_args) <= 1, "Unable to evaluate template language function 'subscriptionResourceId': too many "
                                "arguments before the resource type.")
    sub = scope_args[0] if scope_args else scope.subscription_id
    return f"/subscriptions/{sub}{_provider_path(resource_type, names)}"


@_register("tenantResourceId")
def tenant_resource_id(scope: Any, *args: Any) -> str:
    scope_args, resource_type, names = _type_and_names("tenantResourceId", args)
    _need(not scope_args, "Unable to evaluate template language function 'tenantResourceId': it takes no scope.")
    return _provider_path(resource_type, names)


@_register("extensionResourceId")
def extension_resource_id(scope: Any, base: Any, *args: Any) -> str:
    base = _text("extensionResourceId", base).rstrip("/")
    scope_args, resource_type, names = _type_and_names("extensionResourceId", args)
    _need(not scope_args, "Unable to evaluate template language function 'extensionResourceId': extra arguments "
                          "between the resource id and the type.")
    return f"{base}{_provider_path(resource_type, names)}"


# ----------------------------------------------------------------------------- strings

@_register("concat")
def concat(scope: Any, *args: Any) -> Any:
    if args and all(isinstance(a, list) or a is None for a in args) and any(isinstance(a, list) for a in args):
        out: list[Any] = []
        for a in args:
            out.extend(a or [])
        return out
    return "".join(_string_of(a) for a in args)


def _string_of(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "True" if v else "False"
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return _json.dumps(v, separators=(",", ":"))
    return str(v)


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?::([^}]*))?\}")


@_register("format")
def format_(scope: Any, template: Any, *args: Any) -> str:
    template = _text("format", template)

    def item(m: re.Match[str]) -> str:
        if m.group(0) == "{{":
            return "{"
        if m.group(0) == "}}":
            return "}"
        index = int(m.group(1))
        _need(index < len(args), f"The template language function 'format' has no argument {index} "
                                 f"(it was given {len(args)}).")
        return _format_value(args[index], m.group(2))
    return _FORMAT_ITEM.sub(item, template)


def _format_value(value: Any, spec: str | None) -> str:
    """.NET composite format items as templates use them: N<d> (thousands), D<d> (zero padded), X (hex)."""
    if spec and _is_int(value):
        kind, digits = spec[0].upper(), spec[1:]
        width = int(digits) if digits.isdigit() else None
        if kind == "N":
            return f"{value:,.{width if width is not None else 2}f}"
        if kind == "D":
            return str(value).zfill(width or 0)
        if kind == "X":
            text = f"{value:x}"
            return (text.upper() if spec[0] == "X" else text).zfill(width or 0)
    return _string_of(value)


@_register("string")
def string(scope: Any, value: Any) -> str:
    return _string_of(value)


@_register("toLower")
def to_lower(scope: Any, value: Any) -> str:
    return _text("toLower", value).lower()


@_register("toUpper")
def to_upper(scope: Any, value: Any) -> str:
    return _text("toUpper", value).upper()


@_register("replace")
def replace(scope: Any, original: Any, old: Any, new: Any) -> str:
    return _text("replace", original).replace(_text("replace", old), _text("replace", new))


@_register("split")
def split(scope: Any, value: Any, delimiter: Any) -> list[str]:
    text = _text("split", value)
    delimiters = delimiter if isinstance(delimiter, list) else [delimiter]
    for d in delimiters:
        _text("split", d)
    if not delimiters:
        return [text]
    return re.split("|".join(re.escape(d) for d in delimiters), text)


@_register("trim")
def trim(scope: Any, value: Any) -> str:
    return _text("trim", value).strip()


@_register("substring")
def substring(scope: Any, value: Any, start: Any, length: Any = None) -> str:
    text = _text("substring", value)
    _ints("substring", start)
    end = len(text) if length is None else start + length
    _need(0 <= start <= len(text) and start <= end <= len(text),
          f"The index and length parameters must refer to a location within the string. "
          f"The index parameter: '{start}', the length parameter: '{length}', the length of the string "
          f"parameter: '{len(text)}'.")
    return text[start:end]


@_register("startsWith")
def starts_with(scope: Any, value: Any, prefix: Any) -> bool:
    return _text("startsWith", value).lower().startswith(_text("startsWith", prefix).lower())


@_register("endsWith")
def ends_with(scope: Any, value: Any, suffix: Any) -> bool:
    return _text("endsWith", value).lower().endswith(_text("endsWith", suffix).lower())


@_register("indexOf")
def index_of(scope: Any, value: Any, find: Any) -> int:
    return _text("indexOf", value).lower().find(_text("indexOf", find).lower())


@_register("lastIndexOf")
def last_index_of(scope: Any, value: Any, find: Any) -> int:
    return _text("lastIndexOf", value).lower().rfind(_text("lastIndexOf", find).lower())


@_register("padLeft")
def pad_left(scope: Any, value: Any, width: Any, char: Any = " ") -> str:
    _ints("padLeft", width)
    return _string_of(value).rjust(width, _text("padLeft", char)[:1] or " ")


@_register("uniqueString")
def unique_string(scope: Any, *values: Any) -> str:
    _need(bool(values), "The template language function 'uniqueString' must have at least one parameter.")
    return hashing.unique_string(*(_text("uniqueString", v) for v in values))


@_register("guid")
def guid(scope: Any, *values: Any) -> str:
    _need(bool(values), "The template language function 'guid' must have at least one parameter.")
    return hashing.deterministic_guid(*(_text("guid", v) for v in values))


@_register("newGuid")
def new_guid(scope: Any) -> str:
    """A fresh GUID, allowed only in a parameter's defaultValue (documented)."""
    if not getattr(scope, "in_default", False):
        raise ValueError("The template function 'newGuid' is only valid within the default value of a parameter.")
    return str(_uuid.uuid4())


@_register("base64")
def base64(scope: Any, value: Any) -> str:
    return _b64.b64encode(_text("base64", value).encode("utf-8")).decode("ascii")


@_register("base64ToString")
def base64_to_string(scope: Any, value: Any) -> str:
    return _b64.b64decode(_text("base64ToString", value)).decode("utf-8")


@_register("base64ToJson")
def base64_to_json(scope: Any, value: Any) -> Any:
    return loose_json(_b64.b64decode(_text("base64ToJson", value)).decode("utf-8"), "base64ToJson")


@_register("uri")
def uri(scope: Any, base: Any, relative: Any) -> str:
    base, relative = _text("uri", base), _text("uri", relative)
    return base.rsplit("/", 1)[0] + "/" + relative.lstrip("/") if not base.endswith("/") else base + relative.lstrip("/")


@_register("uriComponent")
def uri_component(scope: Any, value: Any) -> str:
    return quote(_text("uriComponent", value), safe="")


@_register("uriComponentToString")
def uri_component_to_string(scope: Any, value: Any) -> str:
    return unquote(_text("uriComponentToString", value))


# ----------------------------------------------------------------------------- conversions and literals

@_register("int")
def int_(scope: Any, value: Any) -> int:
    if _is_int(value):
        return value
    try:
        return int(_text("int", value).strip())
    except ValueError:
        raise ValueError(f"The template language function 'int' cannot convert '{value}' to an integer.") from None


@_register("bool")
def bool_(scope: Any, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if _is_int(value):
        return value != 0
    text = _text("bool", value).strip().lower()
    _need(text in ("true", "false"), f"The template language function 'bool' cannot convert '{value}' to a boolean.")
    return text == "true"


@_register("json")
def json_(scope: Any, value: Any) -> Any:
    return loose_json(_text("json", value), "json")


_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def loose_json(text: str, fn: str) -> Any:
    """JSON as ARM's parser (Newtonsoft) reads it: single-quoted strings too (the documented
    base64ToJson example decodes "{'one': 'a', 'two': 'b'}")."""
    try:
        return _json.loads(text)
    except _json.JSONDecodeError as exc:
        first = exc
    try:
        return _json.loads(_QUOTED.sub(lambda m: _json.dumps(m.group(1).replace("\\'", "'")), text))
    except _json.JSONDecodeError:
        raise ValueError(f"The template language function '{fn}' could not parse '{text}': {first.msg}.") from None


@_register("true")
def true_(scope: Any) -> bool:
    return True


@_register("false")
def false_(scope: Any) -> bool:
    return False


@_register("null")
def null(scope: Any) -> None:
    return None


@_register("createArray")
def create_array(scope: Any, *values: Any) -> list[Any]:
    return list(values)


@_register("array")
def array(scope: Any, value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@_register("createObject")
def create_object(scope: Any, *pairs: Any) -> dict[str, Any]:
    _need(len(pairs) % 2 == 0, "The template language function 'createObject' must have an even number of "
                               "parameters (property name, value, ...).")
    return {_text("createObject", pairs[i]): pairs[i + 1] for i in range(0, len(pairs), 2)}


# ----------------------------------------------------------------------------- logic and comparison

def _if(scope: Any, args: list[Evaluator]) -> Any:
    _need(len(args) == 3, "The template language function 'if' expects exactly three parameters.")
    condition = args[0](scope)
    if not isinstance(condition, bool):
        raise ValueError(f"The template language function 'if' expects its first parameter to be of type "
                         f"'Boolean'. The provided value is of type '{type_name(condition)}'.")
    return args[1](scope) if condition else args[2](scope)


LAZY["if"] = _if


def _bools(fn: str, values: tuple[Any, ...]) -> None:
    for v in values:
        if not isinstance(v, bool):
            raise ValueError(f"The template language function '{fn}' expects its parameters to be of type "
                             f"'Boolean'. The provided value is of type '{type_name(v)}'.")


@_register("not")
def not_(scope: Any, value: Any) -> bool:
    _bools("not", (value,))
    return not value


@_register("and")
def and_(scope: Any, *values: Any) -> bool:
    _bools("and", values)
    return all(values)


@_register("or")
def or_(scope: Any, *values: Any) -> bool:
    _bools("or", values)
    return any(values)


@_register("equals")
def equals(scope: Any, a: Any, b: Any) -> bool:
    """Deep equality; strings compare case-insensitively. The documented example
    (azure-docs-json-samples functions/comparison/equals.json, changed in 2024 to compare
    'demo' with 'Demo') answers True."""
    return _same(a, b, fold=True)


def _same(a: Any, b: Any, fold: bool = False) -> bool:
    """JSON equality: true is not 1; with `fold`, 'a' equals 'A' (at any depth)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower() if fold else a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y, fold) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        lowered = {k.lower(): v for k, v in b.items()}
        return all(k.lower() in lowered and _same(v, lowered[k.lower()], fold) for k, v in a.items())
    return type(a) is type(b) and bool(a == b)


@_register("coalesce")
def coalesce(scope: Any, *values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _compare(fn: str, a: Any, b: Any) -> int:
    """Integers numerically; strings as .NET's culture-aware compare does: letters first, then
    lower case before upper (the documented greater('A', 'a') is True, less('A', 'a') False)."""
    ok = (_is_int(a) and _is_int(b)) or (isinstance(a, str) and isinstance(b, str))
    _need(ok, f"The template language function '{fn}' expects two integers or two strings.")
    if isinstance(a, str):
        a, b = (a.lower(), a.swapcase()), (b.lower(), b.swapcase())
    return (a > b) - (a < b)


@_register("greater")
def greater(scope: Any, a: Any, b: Any) -> bool:
    return _compare("greater", a, b) > 0


@_register("greaterOrEquals")
def greater_or_equals(scope: Any, a: Any, b: Any) -> bool:
    return _compare("greaterOrEquals", a, b) >= 0


@_register("less")
def less(scope: Any, a: Any, b: Any) -> bool:
    return _compare("less", a, b) < 0


@_register("lessOrEquals")
def less_or_equals(scope: Any, a: Any, b: Any) -> bool:
    return _compare("lessOrEquals", a, b) <= 0


# ----------------------------------------------------------------------------- numbers

@_register("add")
def add(scope: Any, a: Any, b: Any) -> int:
    _ints("add", a, b)
    return a + b  # type: ignore[no-any-return]


@_register("sub")
def sub(scope: Any, a: Any, b: Any) -> int:
    _ints("sub", a, b)
    return a - b  # type: ignore[no-any-return]


@_register("mul")
def mul(scope: Any, a: Any, b: Any) -> int:
    _ints("mul", a, b)
    return a * b  # type: ignore[no-any-return]


@_register("div")
def div(scope: Any, a: Any, b: Any) -> int:
    _ints("div", a, b)
    _need(b != 0, "The template language function 'div' cannot divide by zero.")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q  # .NET truncates toward zero


@_register("mod")
def mod(scope: Any, a: Any, b: Any) -> int:
    _ints("mod", a, b)
    _need(b != 0, "The template language function 'mod' cannot divide by zero.")
    return a - b * div(scope, a, b)  # type: ignore[no-any-return]


@_register("min")
def min_(scope: Any, *values: Any) -> int:
    items = values[0] if len(values) == 1 and isinstance(values[0], list) else list(values)
    _ints("min", *items)
    _need(bool(items), "The template language function 'min' needs at least one value.")
    return min(items)  # type: ignore[no-any-return]


@_register("max")
def max_(scope: Any, *values: Any) -> int:
    items = values[0] if len(values) == 1 and isinstance(values[0], list) else list(values)
    _ints("max", *items)
    _need(bool(items), "The template language function 'max' needs at least one value.")
    return max(items)  # type: ignore[no-any-return]


@_register("range")
def range_(scope: Any, start: Any, count: Any) -> list[int]:
    _ints("range", start, count)
    _need(count >= 0, "The template language function 'range' needs a count of zero or more.")
    return list(range(start, start + count))


# ----------------------------------------------------------------------------- collections

def _sized(fn: str, v: Any) -> Any:
    if not isinstance(v, (str, list, dict)):
        raise ValueError(f"The template language function '{fn}' expects its parameter to be an array, an object "
                         f"or a string. The provided value is of type '{type_name(v)}'.")
    return v


@_register("length")
def length(scope: Any, value: Any) -> int:
    return len(_sized("length", value))


@_register("empty")
def empty(scope: Any, value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


@_register("contains")
def contains(scope: Any, container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return _string_of(item) in container
    if isinstance(container, dict):
        key = _text("contains", item).lower()
        return any(k.lower() == key for k in container)
    if isinstance(container, list):
        return any(_same(v, item) for v in container)  # documented as case-sensitive
    raise ValueError(f"The template language function 'contains' expects an array, an object or a string; "
                     f"got '{type_name(container)}'.")


@_register("first")
def first(scope: Any, value: Any) -> Any:
    value = _sized("first", value)
    _need(not isinstance(value, dict), "The template language function 'first' expects an array or a string.")
    return value[0] if value else (None if isinstance(value, list) else "")


@_register("last")
def last(scope: Any, value: Any) -> Any:
    value = _sized("last", value)
    _need(not isinstance(value, dict), "The template language function 'last' expects an array or a string.")
    return value[-1] if value else (None if isinstance(value, list) else "")


@_register("take")
def take(scope: Any, value: Any, count: Any) -> Any:
    _ints("take", count)
    value = _sized("take", value)
    _need(not isinstance(value, dict), "The template language function 'take' expects an array or a string.")
    return value[:max(0, count)]


@_register("skip")
def skip(scope: Any, value: Any, count: Any) -> Any:
    _ints("skip", count)
    value = _sized("skip", value)
    _need(not isinstance(value, dict), "The template language function 'skip' expects an array or a string.")
    return value[max(0, count):]


@_register("union")
def union(scope: Any, *values: Any) -> Any:
    _need(bool(values), "The template language function 'union' needs at least one parameter.")
    if all(isinstance(v, dict) for v in values):
        merged: dict[str, Any] = {}
        for v in values:
            for key, item in v.items():
                if isinstance(item, dict) and isinstance(merged.get(key), dict):
                    merged[key] = union(scope, merged[key], item)  # nested objects merge (documented)
                else:
                    merged[key] = item
        return merged
    _need(all(isinstance(v, list) for v in values), "The template language function 'union' expects all arrays or "
                                                    "all objects.")
    out: list[Any] = []
    for v in values:
        for item in v:
            if not any(_same(item, seen) for seen in out):
                out.append(item)
    return out


@_register("intersection")
def intersection(scope: Any, *values: Any) -> Any:
    _need(len(values) >= 2, "The template language function 'intersection' needs at least two parameters.")
    if all(isinstance(v, dict) for v in values):
        first_obj = values[0]
        return {k: x for k, x in first_obj.items() if all(k in v and _same(v[k], x) for v in values[1:])}
    _need(all(isinstance(v, list) for v in values), "The template language function 'intersection' expects all "
                                                    "arrays or all objects.")
    out: list[Any] = []
    for item in values[0]:
        if all(any(_same(item, x) for x in v) for v in values[1:]) and not any(_same(item, x) for x in out):
            out.append(item)
    return out


@_register("items")
def items(scope: Any, value: Any) -> list[dict[str, Any]]:
    _need(isinstance(value, dict), "The template language function 'items' expects an object.")
    return [{"key": k, "value": value[k]} for k in sorted(value, key=str.lower)]


@_register("objectKeys")
def object_keys(scope: Any, value: Any) -> list[str]:
    _need(isinstance(value, dict), "The template language function 'objectKeys' expects an object.")
    return list(value)


def supported() -> list[str]:
    """Every function name the evaluator knows (ARM spelling is case-insensitive)."""
    return sorted(set(EAGER) | set(LAZY))


__all__ = ["supported", "TemplateError"]
