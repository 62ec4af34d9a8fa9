"""OpenSSH public keys with a well-formed wire blob (RSA or ed25519), as Azure parses them."""
from __future__ import annotations

import base64
import hashlib
import struct
from functools import lru_cache

from hypothesis import strategies as st

from contract.strategies.bits import pick
from contract.strategies.values import resource_names, subscription_ids


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _ssh_key(kind: str, material: bytes) -> str:
    if kind == "ssh-ed25519":
        blob = _ssh_string(b"ssh-ed25519") + _ssh_string(material[:32])
    else:  # RSA: e=65537, n with the top bit set (an mpint needs a leading zero byte)
        n = bytes([material[0] | 0x80]) + material[1:]
        blob = _ssh_string(b"ssh-rsa") + _ssh_string(b"\x01\x00\x01") + _ssh_string(b"\x00" + n)
    return f"{kind} {base64.b64encode(blob).decode()}"


@lru_cache(maxsize=None)
def ssh_public_keys() -> st.SearchStrategy[str]:
    """OpenSSH public keys with a well-formed wire blob: RSA 2048/3072/4096 or ed25519."""
    rsa = st.sampled_from([256, 384, 512]).flatmap(
        lambda n: st.binary(min_size=n, max_size=n).map(lambda b: _ssh_key("ssh-rsa", b))
    )
    ed = st.binary(min_size=32, max_size=32).map(lambda b: _ssh_key("ssh-ed25519", b))
    comment = st.one_of(st.just(""), resource_names(3, 12).map(lambda n: f" {n}@example"))
    return st.builds(lambda k, c: k + c, st.one_of(rsa, ed), comment)


def ssh_key_from(draw: st.DrawFn) -> str:
    """An ssh public key whose key material is expanded from a 128-bit draw (one draw, not 512 bytes)."""
    kind, size = draw(pick((("ssh-rsa", 256), ("ssh-rsa", 384), ("ssh-rsa", 512), ("ssh-ed25519", 32))))
    seed = draw(subscription_ids()).encode()
    comment = draw(pick(("", " azureuser@laptop", " deploy@ci", " ops@bastion")))
    return _ssh_key(kind, hashlib.shake_256(seed).digest(size)) + comment
