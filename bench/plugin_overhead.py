"""What the pytest plugin costs per test, beside a baseline measured in the same run.

Both sessions run N identical tests, each one GET of a recorded scale set over TLS:
- plugin: `vmss_endpoint` (one replay server per session switched to each test's cassette,
  the miss recorder, and a contract check of the test's cassette afterwards);
- baseline: the plugin disabled (`-p no:vmss_contract`) and one replay server for the whole
  session from a conftest fixture, no contract check.
Prints each session's own time (median of 3), and the plugin's added cost per test: with the
session's one-time start-up spread over the tests, and without it (the difference between
N and SCALE x N tests), which is what a suite of thousands of tests pays.

    .venv/bin/python bench/plugin_overhead.py [--tests 40]
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contract.cassette import load_cassette, save_cassette  # noqa: E402
from contract.plugin import cassette_name  # noqa: E402

CASSETTE = ROOT / "tests" / "data" / "recordings" / "test_vmss_update_policy.yaml"
GET_INDEX = 14

TEST = '''
import pytest, requests

@pytest.mark.parametrize("n", range({n}))
def test_get(vmss_endpoint, n):
    answer = requests.get(vmss_endpoint.url + {path!r}, verify=vmss_endpoint.ca_path,
                          headers={{"Authorization": "Bearer x"}}, timeout=30)
    assert answer.status_code == 200 and answer.json()["name"] == "winvmss"
'''

BASELINE_CONFTEST = '''
import pytest, tempfile
from types import SimpleNamespace
from contract import replay
from contract.servers import BackgroundServer

@pytest.fixture(scope="session")
def vmss_endpoint():
    with tempfile.TemporaryDirectory() as tls, BackgroundServer(
            lambda: replay.create_app([{cassette!r}], allow_repeats=True), tls=True, tls_dir=tls) as server:
        yield SimpleNamespace(url=server.url, ca_path=str(server.ca_path))
'''


def session(project: Path, *args: str) -> float:
    """The session's own time ("N passed in X s"): interpreter start-up and plugin imports
    are the same on both sides and, on a shared machine, mostly noise."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=project, capture_output=True, text=True)
    found = re.search(r"passed in ([0-9.]+)s", done.stdout)
    if done.returncode != 0 or not found:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-2000:])
    return float(found.group(1))


def _sessions(tmp: Path, n: int, cassette: Any, path: str) -> tuple[float, float]:
    """(baseline, plugin) session times for n tests, each the median of 3 runs."""
    plugin, base = tmp / f"plugin-{n}", tmp / f"baseline-{n}"
    for project in (plugin, base):
        project.mkdir()
        (project / "test_bench.py").write_text(TEST.format(n=n, path=path))
        (project / "pytest.ini").write_text("[pytest]\n")
    for i in range(n):
        save_cassette(cassette, plugin / "cassettes" / "test_bench" / cassette_name(f"test_bench.py::test_get[{i}]"))
    (base / "conftest.py").write_text(BASELINE_CONFTEST.format(cassette=str(CASSETTE)))
    t_base = statistics.median(session(base, "-p", "no:vmss_contract") for _ in range(3))
    t_plugin = statistics.median(session(plugin) for _ in range(3))
    return t_base, t_plugin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=40)
    parser.add_argument("--scale", type=int, default=4,
                        help="also run SCALE x --tests tests: the difference is the cost per test, without the "
                             "once-per-session start-up (loading the spec, starting the server)")
    args = parser.parse_args()
    n, big = args.tests, args.tests * args.scale
    cassette = load_cassette(CASSETTE)
    path = cassette.interactions[GET_INDEX].request.uri.split("management.azure.com", 1)[1]
    with tempfile.TemporaryDirectory() as tmp:
        t_base, t_plugin = _sessions(Path(tmp), n, cassette, path)
        b_big, p_big = _sessions(Path(tmp), big, cassette, path) if args.scale > 1 else (t_base, t_plugin)
    print(f"{n} tests, one recorded GET each over TLS")
    print(f"baseline (plugin off, one shared replay server, no check): {t_base:6.2f} s")
    print(f"plugin (replay server per session + contract check):      {t_plugin:6.2f} s")
    print(f"added per test, start-up included: {(t_plugin - t_base) / n * 1000:6.1f} ms")
    if args.scale > 1:
        marginal = ((p_big - t_plugin) - (b_big - t_base)) / (big - n) * 1000
        print(f"{big} tests: baseline {b_big:6.2f} s, plugin {p_big:6.2f} s")
        print(f"added per test, start-up excluded ({n} -> {big} tests): {marginal:6.1f} ms")


if __name__ == "__main__":
    main()
