"""Cheap draws: a payload's many small choices served from a few wide hypothesis draws.

Strategies made here (`ints`, `pick`, `BOOL`, `cheap`) are registered by id, so a `Bits`
can answer them from its own bit pool; any other strategy goes to hypothesis as usual.
"""
from __future__ import annotations

import hashlib
import uuid
from functools import lru_cache
from typing import Any, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

# Strategies a `Bits` can serve itself, by id:
# ("int", lo, hi) | ("pick", pool) | ("bool",) | ("uuid",) | ("hex", digits).
_CHEAP: dict[int, tuple[Any, ...]] = {}


def cheap(strategy: st.SearchStrategy[T], *kind: Any) -> st.SearchStrategy[T]:
    """Register `strategy` as one a `Bits` serves itself (keep it alive: the key is its id)."""
    _CHEAP[id(strategy)] = kind
    return strategy


@lru_cache(maxsize=None)
def ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return cheap(st.integers(lo, hi), "int", lo, hi)


@lru_cache(maxsize=None)
def pick(pool: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return cheap(st.sampled_from(pool), "pick", pool)


BOOL = cheap(st.booleans(), "bool")
_CHUNK = st.binary(min_size=48, max_size=48)  # a draw costs about the same whatever its size
_PAD = int.from_bytes(hashlib.shake_256(b"vmss-contract bits").digest(48), "big")


class Bits:
    """A `draw` that serves a payload's many small choices from a few wide draws.

    Hypothesis pays tens of microseconds per draw and a create body makes ~60 small
    choices (which optional members, which enum value, which name); taking them as bits
    of a few 48-byte draws makes generation several times faster. A chunk shrinks to
    zero bytes, and zero bits mean "first choice, no optional member", so shrinking
    still ends at the smallest payload. Anything else is passed to the real `draw`.
    """

    def __init__(self, draw: st.DrawFn, mix: bool = False) -> None:
        self.draw = draw
        self.mix = mix  # hash each chunk: uniform picks, at the cost of shrinking locality
        self.pool = 0
        self.left = 0

    def take(self, bits: int) -> int:
        while self.left < bits:
            chunk = self.draw(_CHUNK)
            # Hypothesis favours "interesting" bytes (00, FF, repeats), which would pin
            # choices to a few values; a fixed XOR pad spreads them while each byte still
            # maps to its own bits (shrinking stays local). An all-zero chunk stays zero
            # so a shrunk chunk still means "first choice, nothing optional".
            value = int.from_bytes(chunk, "big")
            if value and self.mix:
                value = int.from_bytes(hashlib.shake_256(chunk).digest(len(chunk)), "big")
            elif value:
                value ^= _PAD
            self.pool |= value << self.left
            self.left += 8 * len(chunk)
        value = self.pool & ((1 << bits) - 1)
        self.pool >>= bits
        self.left -= bits
        return value

    def below(self, n: int) -> int:
        """0 <= value < n (8 spare bits keep the modulo bias under 0.4%)."""
        return 0 if n <= 1 else self.take((n - 1).bit_length() + 8) % n

    def __call__(self, strategy: st.SearchStrategy[Any], label: Any = None) -> Any:
        kind = _CHEAP.get(id(strategy))
        if kind is None:
            return self.draw(strategy)
        if kind[0] == "int":
            return kind[1] + self.below(kind[2] - kind[1] + 1)
        if kind[0] == "pick":
            return kind[1][self.below(len(kind[1]))]
        if kind[0] == "uuid":
            return str(uuid.UUID(int=self.take(128), version=4))
        if kind[0] == "hex":
            return format(self.take(4 * kind[1]), f"0{kind[1]}x")
        return bool(self.take(1))
