"""`uniqueString` and `guid`: deterministic names, as ARM computes them where that is known.

uniqueString: ARM joins its arguments with '-' and hashes the UTF-8 bytes with the 64-bit
MurmurHash variant of Microsoft's ResourceStack library, then writes the top 65 bits as 13
base-32 characters (a-z, 2-7). The documentation only says "a 64-bit hash, 13 characters";
the algorithm and its test vectors (tests/test_templates.py) come from public
reimplementations checked against Bicep's own output (e.g. a `uniquestring.sh` published on
GitHub, verified with `uniqueString('test') == 'rbgf3xv4ufgzg'`).

guid: ARM documents only that the result is a deterministic GUID of its arguments. We make a
name-based UUID (RFC 4122 version 5, SHA-1) of the arguments joined with '-' under a fixed
namespace: deterministic and well formed, but not promised to equal Azure's value.
"""
from __future__ import annotations

import uuid

_M32 = 0xFFFFFFFF
_C1, _C2, _C3, _C4 = 0xAB0E9789, 0x239B961B, 0x85EBCA6B, 0xC2B2AE35
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def _mix_k1(k: int) -> int:
    return (_rotl((k * _C2) & _M32, 15) * _C1) & _M32


def _mix_k2(k: int) -> int:
    return (_rotl((k * _C1) & _M32, 17) * _C2) & _M32


def _fmix(h: int) -> int:
    h = ((h ^ (h >> 16)) * _C3) & _M32
    h = ((h ^ (h >> 13)) * _C4) & _M32
    return h ^ (h >> 16)


def murmur64(data: bytes) -> int:
    """ResourceStack's MurmurHash64: two 32-bit lanes over 8-byte blocks, seed 0."""
    h1 = h2 = 0
    n = len(data)
    full = n - n % 8
    for i in range(0, full, 8):
        k1 = int.from_bytes(data[i:i + 4], "little")
        k2 = int.from_bytes(data[i + 4:i + 8], "little")
        h1 = _rotl(h1 ^ _mix_k1(k1), 19)
        h1 = (h1 + h2) & _M32
        h1 = (h1 * 5 + 0x561CCD1B) & _M32
        h2 = _rotl(h2 ^ _mix_k2(k2), 13)
        h2 = (h2 + h1) & _M32
        h2 = (h2 * 5 + 0x0BCAA747) & _M32
    tail = data[full:]
    if tail:
        h1 ^= _mix_k1(int.from_bytes(tail[:4], "little"))
        if len(tail) > 4:
            h2 ^= _mix_k2(int.from_bytes(tail[4:], "little"))
    h2 ^= n
    h1 = ((h1 ^ n) + h2) & _M32
    h2 = (h2 + h1) & _M32
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    return (h2 << 32) | h1


def unique_string(*values: str) -> str:
    h = murmur64("-".join(values).encode("utf-8"))
    out = []
    for _ in range(13):
        out.append(_ALPHABET[(h >> 59) & 31])
        h = (h << 5) & 0xFFFFFFFFFFFFFFFF
    return "".join(out)


def deterministic_guid(*values: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, "-".join(values)))
