"""vmss-contract: record, replay and contract-check Azure VMSS REST traffic.

The public API is re-exported lazily so that `import contract` stays cheap
(the pytest plugin imports it in every test session of every user).
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "check", "load_cassette", "load_spec"]


def __getattr__(name: str) -> Any:
    if name == "check":
        from contract.checker import check

        return check
    if name == "load_cassette":
        from contract.cassette import load_cassette

        return load_cassette
    if name == "load_spec":
        from contract.specs import load_spec

        return load_spec
    raise AttributeError(f"module 'contract' has no attribute {name!r}")
