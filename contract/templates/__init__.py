"""The ARM template language, pure: expressions, functions, parameters, variables, copy, dependsOn, outputs.

No HTTP and no emulator here: the emulator's deployment engine and the checker both use it,
giving `reference()` a callback that reads resources from wherever they live.
"""
from contract.templates.errors import TemplateError
from contract.templates.expressions import compile_expression, evaluate_string, is_expression
from contract.templates.functions import supported
from contract.templates.template import (
    DeploymentContext,
    Plan,
    ResourceInstance,
    Scope,
    camel_case,
    contains_expression,
    prepare,
)

__all__ = ["DeploymentContext", "Plan", "ResourceInstance", "Scope", "TemplateError", "camel_case",
           "compile_expression", "contains_expression", "evaluate_string", "is_expression", "prepare", "supported"]
