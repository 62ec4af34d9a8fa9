"""The package as a user gets it: a wheel installed into a fresh venv, used from outside the checkout.

A wheel has no `specs/` folder beside it, so this is the test that catches specs (or any other data
file) missing from the package. To stay fast and work offline, the fresh venv installs only the wheel
(`--no-deps`) and borrows every dependency from this test run's own site-packages through a `.pth`
line (a path listed in a `.pth` file is put on sys.path, but its own `.pth` files, such as the editable
install's import hook, are not run, so `import contract` can only find the wheel's copy).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What a build reads: the package, the specs it ships, and the files naming them.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in", "contract", "specs")

pytestmark = pytest.mark.slow


def _run(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _clean_env(home: Path) -> dict[str, str]:
    """The environment a user has: no override of the specs, nothing of this checkout on the path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VMSS_CONTRACT_SPECS", "PYTHONPATH", "PYTEST_ADDOPTS", "VIRTUAL_ENV")
           and not k.startswith("PYTEST_XDIST")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["VMSS_CONTRACT_SALT"] = "install-test-salt"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(venv bin folder, a work folder outside the checkout, environment) with the built wheel installed."""
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    src.mkdir()
    for name in BUILD_INPUTS:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, src / name, ignore=shutil.ignore_patterns("__pycache__", "_specs"))
        elif origin.exists():
            shutil.copy2(origin, src / name)
    env = _clean_env(base)
    dist = base / "dist"
    # Build isolation fetches setuptools and wheel from the index the first time, then pip's cache.
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, src], base, env, timeout=300)
    wheel = next(dist.glob("vmss_contract-*.whl"))

    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], base, env)
    bin_dir = venv / "bin"
    purelib = Path(_run([bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        base, env).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "_vmss_contract_test_deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    _run([sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q", "--no-deps", "--no-index",
          wheel], base, env)
    work = base / "work"
    work.mkdir()
    return bin_dir, work, env


def test_the_wheel_ships_the_specs_and_reads_them_from_the_package(installed: tuple[Path, Path, dict[str, str]]) -> None:
    bin_dir, work, env = installed
    out = _run([bin_dir / "python", "-c",
                "import contract, contract.specs as s; print(contract.__file__); print(s.specs_dir());"
                "print(sorted(p.name for p in s.specs_dir().iterdir()))"], work, env).stdout.splitlines()
    venv = str(bin_dir.parent)
    assert out[0].startswith(venv) and out[1].startswith(venv), out  # the wheel's copy, not the checkout
    shipped = set(eval(out[2]))  # noqa: S307 - our own print of a list of names
    assert {p.name for p in (ROOT / "specs").iterdir() if p.is_file()} <= shipped


def test_vmss_contract_run_works_from_the_wheel(installed: tuple[Path, Path, dict[str, str]]) -> None:
    bin_dir, work, env = installed
    result = _run([bin_dir / "vmss-contract", "run", "--out", "run-out"], work, env)
    assert "the contract holds" in result.stdout
    assert (work / "run-out" / "report.json").exists()


# --------------------------------------------------------------------------- docs/quickstart.md, as written

QUICKSTART = ROOT / "docs" / "quickstart.md"
_BLOCK = re.compile(r"<!-- (?P<what>file: [^ ]+|run|output: [^>]*) -->\n```\w*\n(?P<body>.*?)```", re.S)


def _quickstart_blocks() -> list[tuple[str, str]]:
    return [(m.group("what"), m.group("body")) for m in _BLOCK.finditer(QUICKSTART.read_text(encoding="utf-8"))]


def test_the_quickstart_works_exactly_as_written(installed: tuple[Path, Path, dict[str, str]]) -> None:
    """Also the plugin from the wheel, outside the checkout: it records from the emulator, replays, and fails."""
    bin_dir, work, env = installed
    project = work / "quickstart"
    project.mkdir()
    env = {**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"}
    blocks = _quickstart_blocks()
    assert [w.split(":")[0] for w, _ in blocks] == ["file", "run", "run", "output"]
    for what, body in blocks:
        if what.startswith("file: "):
            target = project / what.removeprefix("file: ")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
        elif what == "run":
            for line in body.strip().splitlines():
                _run(["bash", "-c", line], project, env)
        else:  # the documented failure: the change it names, then its command; the output holds the lines shown
            test_file = project / "tests" / "test_first.py"
            test_file.write_text(test_file.read_text().replace('"web"', '"api"'))
            failed = subprocess.run(["bash", "-c", "python -m pytest -q"], cwd=project, env=env, capture_output=True,
                                    text=True, timeout=120)
            assert failed.returncode == 1, failed.stdout + failed.stderr
            for line in body.strip().splitlines():
                assert line in failed.stdout, (line, failed.stdout[-3000:])
    assert (project / "tests" / "cassettes" / "test_first" / "test_create_then_scale.yaml").is_file()


def test_the_quickstart_lists_every_fixture_and_option() -> None:
    from contract import plugin

    text = QUICKSTART.read_text(encoding="utf-8")
    fixtures = {name for name in dir(plugin) if name.startswith("vmss_") and hasattr(getattr(plugin, name), "__call__")
                and "fixture" in type(getattr(plugin, name)).__name__.lower()}
    assert {"vmss_endpoint", "vmss_resource_group", "vmss_compute_client"} <= fixtures
    names = fixtures | set(plugin._OPTIONS) | {dest for dest, _, _ in plugin._OPTIONS.values()}
    names |= {"vmss_read_only", "vmss_allow_resource_groups", "vmss_subscription_id", "vmss_location"}
    missing = sorted(n for n in names if f"`{n}`" not in text and f"`{n} " not in text and f"{n}`" not in text)
    assert not missing, missing
