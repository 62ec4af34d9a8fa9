"""pytest plugin (loaded through the `pytest11` entry point).

It must stay cheap and harmless for projects that never use it: nothing
heavy is imported at module level.
"""
from __future__ import annotations
