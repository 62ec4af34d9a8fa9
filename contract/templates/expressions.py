"""ARM template expressions: `"[concat(parameters('a'), '-x')[0]]"` parsed once, compiled to a closure.

A JSON string is an expression when it starts with '[' and ends with ']'; a leading '[['
escapes it (the value is the string less its first '['). Inside: function calls with
nested arguments, 'single-quoted' strings ('' is a quote), integers, and property access
`.name` / `[index]` after any value. The grammar and the messages follow ARM's own
("Unable to parse language expression ...: expected token ... and actual ...").

Compiled expressions are cached by text, so evaluating the same template again only runs
closures. Functions come from `functions.FUNCTIONS`; a name it lacks is ARM's
"The template function 'x' is not valid".
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from contract.templates.errors import TemplateError

Evaluator = Callable[[Any], Any]  # scope -> value

# Functions whose arguments are evaluated only when needed (if: only the chosen branch, as ARM does).
LAZY: dict[str, Callable[[Any, list[Evaluator]], Any]] = {}
EAGER: dict[str, Callable[..., Any]] = {}


def is_expression(text: str) -> bool:
    return len(text) >= 2 and text[0] == "[" and text[-1] == "]" and text[1] != "["


def unescape(text: str) -> str:
    """'[[x]' is the literal '[x]'."""
    return text[1:] if text.startswith("[[") else text


class _Tokens:
    """A cursor over the expression body; positions are 1-based columns of the whole string."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.i = 0
        self.targets: list[Evaluator] = []  # first arguments of reference() / list*() calls (implicit dependencies)

    def error(self, message: str) -> TemplateError:
        return TemplateError(f"Unable to parse language expression '{self.text}': {message}",
                             expression=self.source, column=self.i + 2)

    def skip_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in " \t\r\n":
            self.i += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.i] if self.i < len(self.text) else ""

    def expect(self, char: str, name: str) -> None:
        actual = self.peek()
        if actual != char:
            raise self.error(f"expected token '{name}' and actual '{_token_name(actual)}'.")
        self.i += 1


def _token_name(char: str) -> str:
    return {"": "EndOfData", ")": "RightParenthesis", "(": "LeftParenthesis", ",": "Comma", ".": "Dot",
            "[": "LeftSquareBracket", "]": "RightSquareBracket", "'": "Literal"}.get(char, "Identifier")


def _parse_value(tok: _Tokens) -> Evaluator:
    char = tok.peek()
    if char == "'":
        value = _parse_string(tok)
        node: Evaluator = lambda scope, v=value: v  # noqa: E731
    elif char.isdigit() or char == "-":
        start = tok.i
        tok.i += 1
        while tok.i < len(tok.text) and tok.text[tok.i].isdigit():
            tok.i += 1
        literal = tok.text[start:tok.i]
        if literal == "-":
            raise tok.error("expected token 'Integer' and actual '-'.")
        number = int(literal)
        node = lambda scope, v=number: v  # noqa: E731
    elif char.isalpha() or char == "_":
        node = _parse_call(tok)
    else:
        raise tok.error(f"expected token 'Identifier' and actual '{_token_name(char)}'.")
    return _parse_accessors(tok, node)


def _parse_string(tok: _Tokens) -> str:
    tok.i += 1  # opening quote
    out = []
    while True:
        end = tok.text.find("'", tok.i)
        if end < 0:
            tok.i = len(tok.text)
            raise tok.error("the string literal is not terminated.")
        out.append(tok.text[tok.i:end])
        if tok.text.startswith("''", end):
            out.append("'")
            tok.i = end + 2
            continue
        tok.i = end + 1
        return "".join(out)


def _parse_call(tok: _Tokens) -> Evaluator:
    start = tok.i
    while tok.i < len(tok.text) and (tok.text[tok.i].isalnum() or tok.text[tok.i] in "_."):
        tok.i += 1
    name = tok.text[start:tok.i]
    column = start + 2
    tok.expect("(", "LeftParenthesis")
    args: list[Evaluator] = []
    if tok.peek() == ")":
        tok.i += 1
    else:
        while True:
            args.append(_parse_value(tok))
            char = tok.peek()
            if char == ",":
                tok.i += 1
                continue
            tok.expect(")", "RightParenthesis")
            break
    if args and is_resource_reader(name):
        tok.targets.append(args[0])
    return _bind(name, args, tok.source, column)


def is_resource_reader(name: str) -> bool:
    """reference() and the list*() functions: ARM reads a deployed resource for them, and when the resource
    is in the same template and named by its name (not its id), that is an implicit dependency."""
    key = name.lower()
    return key == "reference" or (key.startswith("list") and len(key) > 4)


def _bind(name: str, args: list[Evaluator], source: str, column: int) -> Evaluator:
    key = name.lower()
    lazy = LAZY.get(key)
    if lazy is not None:
        def call_lazy(scope: Any) -> Any:
            try:
                return lazy(scope, args)
            except TemplateError:
                raise
            except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, AttributeError) as exc:
                raise _call_error(name, exc, source, column) from None
        return call_lazy
    fn = EAGER.get(key)
    if fn is None and is_resource_reader(key):
        fn = EAGER.get("list*")
        if fn is not None:
            fn = _list_action(name, fn)
    if fn is None:
        raise TemplateError(f"The template function '{name}' is not valid. Please see "
                            f"https://aka.ms/arm-functions for usage details.", expression=source, column=column)
    if len(args) == 1:
        (only,) = args

        def call_one(scope: Any) -> Any:
            value = only(scope)
            try:
                return fn(scope, value)
            except TemplateError as exc:
                raise exc.at("", source) from None
            except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, AttributeError) as exc:
                raise _call_error(name, exc, source, column) from None
        return call_one

    def call(scope: Any) -> Any:
        values = [a(scope) for a in args]
        try:
            return fn(scope, *values)
        except TemplateError as exc:
            raise exc.at("", source) from None
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, AttributeError) as exc:
            raise _call_error(name, exc, source, column) from None
    return call


def _list_action(name: str, generic: Callable[..., Any]) -> Callable[..., Any]:
    """listKeys(...), listSecrets(...): ARM's list{Value} functions, one generic POST {id}/{name}."""
    def call(scope: Any, *values: Any) -> Any:
        return generic(scope, name, *values)
    return call


def _call_error(name: str, exc: Exception, source: str, column: int) -> TemplateError:
    reason = str(exc) if isinstance(exc, ValueError) and str(exc) else \
        f"The template function '{name}' was called with arguments it does not accept ({type(exc).__name__}: {exc})."
    return TemplateError(reason, expression=source, column=column)


def _parse_accessors(tok: _Tokens, node: Evaluator) -> Evaluator:
    while True:
        char = tok.peek()
        if char == ".":
            tok.i += 1
            tok.skip_space()
            start = tok.i
            while tok.i < len(tok.text) and (tok.text[tok.i].isalnum() or tok.text[tok.i] in "_$"):
                tok.i += 1
            if tok.i == start:
                raise tok.error(f"expected token 'Identifier' and actual '{_token_name(tok.peek())}'.")
            node = _property(node, tok.text[start:tok.i], tok.source, start + 2)
        elif char == "[":
            tok.i += 1
            index = _parse_value(tok)
            tok.expect("]", "RightSquareBracket")
            node = _index(node, index, tok.source, tok.i + 1)
        else:
            return node


def _property(node: Evaluator, name: str, source: str, column: int) -> Evaluator:
    def get(scope: Any) -> Any:
        return access(node(scope), name, source, column)
    return get


def _index(node: Evaluator, index: Evaluator, source: str, column: int) -> Evaluator:
    def get(scope: Any) -> Any:
        return access(node(scope), index(scope), source, column)
    return get


def access(value: Any, key: Any, source: str | None = None, column: int | None = None) -> Any:
    """`value.key` / `value[key]` with ARM's case-insensitive property names and its messages."""
    if isinstance(value, list):
        if isinstance(key, bool) or not isinstance(key, int):
            raise TemplateError(f"The language expression property '{key}' can't be evaluated, "
                                f"property name must be an integer.", expression=source, column=column)
        if not 0 <= key < len(value):
            raise TemplateError(f"The language expression property array index '{key}' is out of bounds.",
                                expression=source, column=column)
        return value[key]
    if isinstance(value, dict):
        if not isinstance(key, str):
            raise TemplateError(f"The language expression property '{key}' can't be evaluated, "
                                f"property name must be a string.", expression=source, column=column)
        if key in value:
            return value[key]
        lowered = key.lower()
        for name, item in value.items():
            if name.lower() == lowered:
                return item
        raise TemplateError(f"The language expression property '{key}' doesn't exist, available properties "
                            f"are '{', '.join(value)}'.", expression=source, column=column)
    raise TemplateError(f"The language expression property '{key}' can't be evaluated on a value of type "
                        f"'{type_name(value)}'.", expression=source, column=column)


def type_name(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


@lru_cache(maxsize=8192)
def compile_expression(text: str) -> Evaluator:
    """The closure for one '[...]' string (cached: real templates repeat their expressions)."""
    body = text[1:-1]
    tok = _Tokens(body, text)
    if not tok.peek():
        raise TemplateError("The language expression is empty.", expression=text, column=2)
    node = _parse_value(tok)
    if tok.peek():
        raise tok.error(f"expected token 'EndOfData' and actual '{_token_name(tok.peek())}'.")
    if tok.targets:
        node = _with_targets(node, tuple(tok.targets))
    return node


def _with_targets(node: Evaluator, targets: tuple[Evaluator, ...]) -> Evaluator:
    def run(scope: Any) -> Any:
        return node(scope)
    run.targets = targets  # type: ignore[attr-defined]
    return run


def reader_targets(text: str) -> tuple[Evaluator, ...]:
    """The first-argument evaluators of every reference()/list*() call in an expression string ('' if none)."""
    if not is_expression(text):
        return ()
    return getattr(compile_expression(text), "targets", ())


def evaluate_string(text: str, scope: Any) -> Any:
    """A template string's value: an expression's result, or the (unescaped) literal."""
    if is_expression(text):
        return compile_expression(text)(scope)
    return unescape(text)
