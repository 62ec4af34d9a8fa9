"""The one error the template language raises: ARM's `InvalidTemplate`, with where it happened."""
from __future__ import annotations

from typing import Any


class TemplateError(ValueError):
    """A template ARM would refuse before deploying anything.

    `code` is ARM's (`InvalidTemplate` for the language, parameters and structure);
    `path` is the JSON path inside the template (`resources[2].properties.sku.name`);
    `column` is the 1-based position inside the expression when the expression itself is bad.
    ARM answers such a template with 400 and a `TemplateViolation` additionalInfo naming
    the path; `arm_error()` gives that body.
    """

    def __init__(self, message: str, *, path: str = "", expression: str | None = None,
                 column: int | None = None, code: str = "InvalidTemplate") -> None:
        self.reason = message
        self.path = path
        self.expression = expression
        self.column = column
        self.code = code
        self.trail: list[str] = []  # path segments collected while unwinding, innermost first
        super().__init__(self.describe())

    def at(self, path: str, expression: str | None = None) -> "TemplateError":
        """The same error, placed at a JSON path (the innermost placement wins)."""
        if not self.path:
            self.path = path
        if self.expression is None:
            self.expression = expression
        self.args = (self.describe(),)
        return self

    def place(self, base: str) -> "TemplateError":
        """Give the error its full path: `base` plus the segments collected below it."""
        if not self.path:
            self.path = (base + "".join(reversed(self.trail))).lstrip(".")
            self.args = (self.describe(),)
        self.trail = []
        return self

    def describe(self) -> str:
        where = ""
        if self.path.startswith("outputs."):
            where = f"The template output '{self.path.split('.')[1]}' is not valid: "
        elif self.path.startswith("variables."):
            where = f"The template variable '{self.path.split('.')[1].split('[')[0]}' is not valid: "
        elif self.path:
            where = f"The template value at '{self.path}' is not valid: "
        text = f"{where}{self.reason}"
        if self.expression is not None:
            text += f" (expression '{self.expression}'"
            text += f", column {self.column})" if self.column is not None else ")"
        return text

    def arm_error(self) -> dict[str, Any]:
        """ARM's 400 body for a template that fails validation (code, message, TemplateViolation info)."""
        info: dict[str, Any] = {"lineNumber": 0, "linePosition": self.column or 0, "path": self.path}
        return {"code": self.code,
                "message": f"Deployment template validation failed: '{self.describe()}'.",
                "additionalInfo": [{"type": "TemplateViolation", "info": info}]}
