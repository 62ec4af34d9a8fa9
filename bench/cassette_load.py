"""Load/save a 10,000-interaction cassette built from the corpus; vcrpy loads the same file.

Run: .venv/bin/python bench/cassette_load.py [--interactions N] [--repeat R]
Targets (issue 3): our load <= 1.0 s, our save <= 1.5 s. Prints the best of R runs.
"""
from __future__ import annotations

import argparse
import copy
import os
import tempfile
import time
from pathlib import Path

from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import yamlserializer

from contract import serializers
from contract.cassette import Cassette, load_cassette, save_cassette

RECORDINGS = Path(__file__).resolve().parent.parent / "tests" / "data" / "recordings"


def build(path: Path, count: int) -> None:
    """Deep copies of the corpus's real interactions, written by vcrpy's own serializer."""
    pool = []
    for f in sorted(RECORDINGS.glob("*.yaml")):
        pool.extend(serializers.pyyaml_load(f.read_text("utf-8"))["interactions"])
    items = [copy.deepcopy(pool[k % len(pool)]) for k in range(count)]
    path.write_text(yamlserializer.serialize({"interactions": items, "version": 1}), "utf-8")


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "big.yaml"
        build(src, args.interactions)
        size = src.stat().st_size / 1e6
        cassette: Cassette = load_cassette(src)
        assert len(cassette.interactions) == args.interactions
        ours_load = best(lambda: load_cassette(src), args.repeat)
        ours_save = best(lambda: save_cassette(cassette, Path(tmp) / "out.yaml"), args.repeat)
        ours_reload = best(lambda: load_cassette(Path(tmp) / "out.yaml"), args.repeat)
        vcrpy_load = best(lambda: FilesystemPersister.load_cassette(src, yamlserializer), 1)
        vcrpy_dict = _vcrpy_dict(src)
        vcrpy_save = best(lambda: FilesystemPersister.save_cassette(
            Path(tmp) / "vcrpy.yaml", vcrpy_dict, yamlserializer), 1)
    print(f"cassette: {args.interactions} interactions, {size:.1f} MB (built from tests/data/recordings)")
    print(f"{'':28}{'ours':>9}{'vcrpy':>9}{'ratio':>8}{'target':>9}")
    print(f"{'load (vcrpy-written file)':28}{ours_load:8.2f}s{vcrpy_load:8.2f}s{vcrpy_load / ours_load:7.1f}x{'<= 1.0s':>9}")
    print(f"{'load (our file)':28}{ours_reload:8.2f}s{'':9}{'':8}{'<= 1.0s':>9}")
    print(f"{'save':28}{ours_save:8.2f}s{vcrpy_save:8.2f}s{vcrpy_save / ours_save:7.1f}x{'<= 1.5s':>9}")
    load1 = os.getloadavg()[0]
    print(f"machine load average {load1:.1f} on {os.cpu_count()} cores (shared: figures scale with it)")
    print("ours: yaml-rs parse + exact-type check (PyYAML fallback); own emitter; save = temp+fsync+rename")


def _vcrpy_dict(src: Path) -> dict:
    requests, responses, *_ = FilesystemPersister.load_cassette(src, yamlserializer)
    return {"requests": requests, "responses": responses}


if __name__ == "__main__":
    main()
