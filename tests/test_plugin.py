"""The pytest plugin, driven through real inner pytest sessions (pytester) and real servers."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contract.cassette import load_cassette, save_cassette
from contract.plugin import cassette_name

# pytester's in-process runs restore sys.modules afterwards; importing what the inner sessions
# use up front keeps cryptography's Rust bindings (via trustme) loaded exactly once.
for _module in ("trustme", "contract.servers", "contract.replay", "contract.emulator", "contract.checker",
                "contract.proxy", "requests", "azure.mgmt.compute", "azure.mgmt.resource.resources"):
    try:
        __import__(_module)
    except ImportError:  # pragma: no cover - a module still being written
        pass

pytest_plugins = ["pytester"]

HERE = Path(__file__).parent
RECORDINGS = HERE / "data" / "recordings"
UPDATE_POLICY = RECORDINGS / "test_vmss_update_policy.yaml"
WINVMSS_GET = 14  # GET .../virtualMachineScaleSets/winvmss in UPDATE_POLICY
DOWNSTREAM = HERE.parent / "examples" / "downstream"
# Inner sessions in subprocesses: plugins this venv carries for other tests (schemathesis,
# hypothesis, anyio) cost ~7 s of start-up each on a busy 2-core box and matter to none of them.
QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio")
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture(autouse=True)
def _quiet_inner_ini(pytester: pytest.Pytester) -> None:
    """Every inner session gets an ini (tests that need more write their own, starting with INI)."""
    pytester.makeini(INI)

REPLAY_TEST = f'''
import requests

def test_get(vmss_endpoint):
    uri = {load_cassette(UPDATE_POLICY).interactions[WINVMSS_GET].request.uri!r}
    path = uri.split("management.azure.com", 1)[1]
    answer = requests.get(vmss_endpoint.url + path, verify=vmss_endpoint.ca_path,
                          headers={{"Authorization": "Bearer x"}}, timeout=30)
    assert answer.status_code == 200
    assert answer.json()["name"] == "winvmss"
'''


def _place(pytester: pytest.Pytester, cassette: Path, module: str, test: str, tamper: bool = False) -> Path:
    """Put a cassette where the plugin looks for `module::test`; optionally plant an echoed secret."""
    target = pytester.path / "cassettes" / module / cassette_name(f"{module}.py::{test}")
    target.parent.mkdir(parents=True, exist_ok=True)
    loaded = load_cassette(cassette)
    if tamper:
        response = loaded.interactions[WINVMSS_GET].response
        body = json.loads(response.content)
        body["properties"]["virtualMachineProfile"]["osProfile"]["adminPassword"] = "Leaked-Passw0rd!"
        response.body = json.dumps(body)
        response.headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    save_cassette(loaded, target)
    return target


# --------------------------------------------------------------------------- cheap when unused


def test_importing_the_plugin_pulls_in_nothing_heavy() -> None:
    code = ("import sys, contract.plugin; "
            "print([m for m in ('aiohttp', 'contract.servers', 'contract.replay', 'azure.core', 'hypothesis', 'yaml')"
            " if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_sessions_that_never_use_it_are_untouched(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(tmp_path):\n    assert tmp_path.exists()\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "cassettes").exists()
    help_text = pytester.runpytest("--help").stdout.str()
    for flag in ("--vmss-record-mode", "--vmss-upstream", "--vmss-upstream-ca", "--vmss-cassette-dir", "--vmss-contract"):
        assert flag in help_text


# --------------------------------------------------------------------------- options, marker, names


SHOW_SETTINGS = '''
from contract.plugin import settings

def test_show(request):
    s = settings(request.config)
    print("SETTINGS", s.record_mode, s.contract, s.upstream, s.cassette_dir.name if s.cassette_dir else None)
'''


def test_ini_sets_options_and_the_command_line_wins(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "vmss_record_mode = all\nvmss_contract = warn\nvmss_cassette_dir = recorded\n"
                     "vmss_upstream = https://127.0.0.1:9/\n")
    pytester.makepyfile(SHOW_SETTINGS)
    ini_only = pytester.runpytest("-s", "-p", "no:cacheprovider")
    ini_only.stdout.fnmatch_lines(["*SETTINGS all warn https://127.0.0.1:9 recorded*"])
    overridden = pytester.runpytest("-s", "-p", "no:cacheprovider", "--vmss-record-mode=none", "--vmss-contract=off")
    overridden.stdout.fnmatch_lines(["*SETTINGS none off https://127.0.0.1:9 recorded*"])


def test_defaults_are_replay_only_and_strict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SHOW_SETTINGS)
    result = pytester.runpytest("-s", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*SETTINGS none strict https://management.azure.com None*"])


def test_a_bad_setting_is_a_usage_error_not_a_crash(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "vmss_record_mode = sometimes\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*vmss_record_mode must be one of none, once, new_episodes, all*sometimes*"])
    bad_flag = pytester.runpytest("-p", "no:cacheprovider", "--vmss-contract=loud")
    assert bad_flag.ret == pytest.ExitCode.USAGE_ERROR


def test_cassette_names_come_from_node_ids() -> None:
    assert cassette_name("tests/test_a.py::test_b") == "test_b.yaml"
    assert cassette_name("tests/test_a.py::TestC::test_d[x-1]") == "TestC.test_d[x-1].yaml"
    assert re.fullmatch(r"test_e\[a_b_c_d\]-[0-9a-f]{8}\.yaml", cassette_name("t.py::test_e[a/b c:d]"))
    ids = [f"t.py::test_p[{p}]" for p in ("a/b", "a b", "a-b", "a_b", "a\\b")]
    assert len({cassette_name(i) for i in ids}) == len(ids)  # distinct ids never share a cassette
    assert cassette_name(ids[0]) == cassette_name(ids[0])  # and the name is stable


def test_marker_and_cassette_dir_choose_the_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_where='''
import pytest

class TestGroup:
    @pytest.mark.parametrize("n", [1, 2])
    def test_default(self, vmss_endpoint, n):
        print("PATH", vmss_endpoint.cassette_path, vmss_endpoint.mode)

@pytest.mark.vmss(cassette="shared/one")
def test_named(vmss_endpoint):
    print("PATH", vmss_endpoint.cassette_path, vmss_endpoint.mode)
''')
    result = pytester.runpytest("-s", "-p", "no:cacheprovider", "--vmss-contract=off")
    result.assert_outcomes(passed=3)
    root = pytester.path
    result.stdout.fnmatch_lines([
        f"*PATH {root}/cassettes/test_where/TestGroup.test_default[[]1[]].yaml replay*",
        f"*PATH {root}/cassettes/test_where/TestGroup.test_default[[]2[]].yaml replay*",
        f"*PATH {root}/cassettes/shared/one.yaml replay*",
    ])
    moved = pytester.runpytest("-s", "-p", "no:cacheprovider", "--vmss-cassette-dir=elsewhere", "-k", "named")
    moved.stdout.fnmatch_lines([f"*PATH {root}/elsewhere/shared/one.yaml replay*"])


# --------------------------------------------------------------------------- replay


def test_replay_answers_from_the_test_cassette_and_the_contract_holds(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_replay=REPLAY_TEST)
    _place(pytester, UPDATE_POLICY, "test_replay", "test_get")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_request_no_cassette_answers_fails_with_the_replay_explanation(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_replay='''
import requests

def test_get(vmss_endpoint):
    path = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/cli_test_vmss_update_policy_000001"
            "/providers/Microsoft.Compute/virtualMachineScaleSets/othervmss?api-version=2022-11-01")
    answer = requests.get(vmss_endpoint.url + path, verify=vmss_endpoint.ca_path, timeout=30,
                          headers={"Authorization": "Bearer x"})
    assert answer.status_code >= 400  # the code under test tolerates it: the plugin must not
''')
    _place(pytester, UPDATE_POLICY, "test_replay", "test_get")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "request(s) not answered by" in out
    assert "virtualMachineScaleSets/othervmss" in out
    assert "winvmss" in out  # the replay server names the closest recorded request


def test_without_a_cassette_replay_says_how_to_record(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_replay=REPLAY_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no cassette at*test_replay/test_get.yaml*--vmss-record-mode=once*"])


def test_a_miss_during_fixture_setup_names_the_missing_cassette(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_setup='''
import pytest
import requests

@pytest.fixture
def group(vmss_endpoint):
    answer = requests.put(vmss_endpoint.url + "/subscriptions/00000000-0000-0000-0000-000000000000"
                          "/resourcegroups/rg?api-version=2022-09-01", json={"location": "westus"},
                          verify=vmss_endpoint.ca_path, headers={"Authorization": "Bearer x"}, timeout=30)
    assert answer.ok, answer.json()["error"]["message"]
    return "rg"

def test_uses_group(group):
    pass
''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    expected = "no cassette at {}: record it with --vmss-record-mode=once".format(
        pytester.path / "cassettes" / "test_setup" / "test_uses_group.yaml")
    assert out.count(expected) >= 2, out  # in the client's error and in the plugin's own section
    assert "holds no interactions" not in out


@pytest.mark.parametrize(("mode", "outcome"), [("strict", "failed"), ("warn", "passed"), ("off", "passed")])
def test_a_contract_violation_in_the_traffic(pytester: pytest.Pytester, mode: str, outcome: str) -> None:
    pytester.makepyfile(test_replay=REPLAY_TEST)
    _place(pytester, UPDATE_POLICY, "test_replay", "test_get", tamper=True)
    result = pytester.runpytest("-p", "no:cacheprovider", f"--vmss-contract={mode}", "-rA")
    result.assert_outcomes(**{outcome: 1})
    out = result.stdout.str()
    if mode == "off":
        assert "secret-echoed" not in out
        return
    # rule, operation, interaction and JSON path, readable
    assert "[secret-echoed] VirtualMachineScaleSets_Get, interaction #14" in out
    assert "$.properties.virtualMachineProfile.osProfile.adminPassword" in out
    assert "Leaked-Passw0rd!" not in out or mode == "strict"
    if mode == "warn":
        result.stdout.fnmatch_lines(["*vmss contract warnings*", "*test_get: 1 contract violation(s)*"])


@pytest.mark.parametrize("how", ["default", "option", "ini"])
def test_drift_is_shown_and_fails_only_when_asked(pytester: pytest.Pytester, how: str) -> None:
    """An answer member no schema documents (issue 14): listed with the test, failing with --vmss-fail-on-drift
    or `vmss_fail_on_drift = true`."""
    pytester.makepyfile(test_replay=REPLAY_TEST)
    target = _place(pytester, UPDATE_POLICY, "test_replay", "test_get")
    loaded = load_cassette(target)
    response = loaded.interactions[WINVMSS_GET].response
    body = json.loads(response.content)
    body["properties"]["futureKnob"] = True
    response.body = json.dumps(body)
    response.headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    save_cassette(loaded, target)
    args = ["-p", "no:cacheprovider", "-rA"]
    if how == "option":
        args.append("--vmss-fail-on-drift")
    elif how == "ini":
        pytester.makeini(INI + "vmss_fail_on_drift = true\n")
    result = pytester.runpytest(*args)
    result.assert_outcomes(**({"passed": 1} if how == "default" else {"failed": 1}))
    out = result.stdout.str()
    assert "$.properties.futureKnob" in out and "drift" in out


# --------------------------------------------------------------------------- record, emulator, async, xdist

SDK_TEST = '''
import pytest

def body(capacity, subnet_id):
    return {{
        "location": "westus",
        "sku": {{"name": "Standard_D2s_v3", "tier": "Standard", "capacity": capacity}},
        "properties": {{"upgradePolicy": {{"mode": "Manual"}}, "virtualMachineProfile": {{
            "osProfile": {{"computerNamePrefix": "vm", "adminUsername": "azureuser", "adminPassword": "S3cret-Passw0rd!"}},
            "storageProfile": {{"imageReference": {{"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                                                   "sku": "22_04-lts-gen2", "version": "latest"}},
                               "osDisk": {{"createOption": "FromImage", "managedDisk": {{"storageAccountType": "Standard_LRS"}}}}}},
            "networkProfile": {{"networkInterfaceConfigurations": [{{"name": "nic", "properties": {{"primary": True,
                "ipConfigurations": [{{"name": "ip", "properties": {{"subnet": {{"id": subnet_id}}}}}}]}}}}]}}}}}},
    }}

{tests}
'''

SYNC_TESTS = '''
@pytest.mark.parametrize("capacity", {capacities})
def test_create(vmss_endpoint, vmss_credential, vmss_resource_group, vmss_subnet_id, vmss_compute_client, capacity):
    rg = vmss_resource_group
    created = vmss_compute_client.virtual_machine_scale_sets.begin_create_or_update(
        rg, "ss", body(capacity, vmss_subnet_id)).result()
    assert created.properties.provisioning_state == "Succeeded"
    assert len(list(vmss_compute_client.virtual_machine_scale_set_vms.list(rg, "ss"))) == capacity
    print("MODE", vmss_endpoint.mode, type(vmss_credential).__name__)
'''

ASYNC_TESTS = '''
@pytest.mark.asyncio
async def test_create_async(vmss_resource_group, vmss_subnet_id, vmss_compute_client_aio):
    ops = vmss_compute_client_aio.virtual_machine_scale_sets
    poller = await ops.begin_create_or_update(vmss_resource_group, "ss", body(2, vmss_subnet_id))
    created = await poller.result()
    assert created.properties.provisioning_state == "Succeeded"
    got = await ops.get(vmss_resource_group, "ss")
    assert got.sku.capacity == 2
'''


def _sdk_tests(pytester: pytest.Pytester, capacities: list[int], with_async: bool = False) -> None:
    tests = SYNC_TESTS.format(capacities=capacities) + (ASYNC_TESTS if with_async else "")
    pytester.makepyfile(test_sdk=SDK_TEST.format(tests=tests))
    pytester.makeini(INI + "asyncio_mode = strict\n")


def test_record_from_the_emulator_then_replay_offline(pytester: pytest.Pytester) -> None:
    _sdk_tests(pytester, [1, 2], with_async=True)
    recorded = pytester.runpytest_subprocess("-s", *QUIET, "--vmss-record-mode=all",
                                             "--vmss-upstream=emulator")
    recorded.assert_outcomes(passed=3)
    recorded.stdout.fnmatch_lines(["*MODE record StaticCredential*"])
    cassettes = sorted((pytester.path / "cassettes" / "test_sdk").glob("*.yaml"))
    assert [c.name for c in cassettes] == ["test_create[1].yaml", "test_create[2].yaml", "test_create_async.yaml"]
    for cassette in cassettes:
        raw = cassette.read_bytes()
        assert b"S3cret-Passw0rd!" not in raw and b"Authorization" not in raw  # scrubbed before disk
        assert len(load_cassette(cassette).interactions) >= 4
    before = {c: c.read_bytes() for c in cassettes}
    replayed = pytester.runpytest_subprocess("-s", *QUIET)  # default: replay only
    replayed.assert_outcomes(passed=3)
    replayed.stdout.fnmatch_lines(["*MODE replay StaticCredential*"])
    once = pytester.runpytest_subprocess(*QUIET, "--vmss-record-mode=once",
                                         "--vmss-upstream=https://127.0.0.1:9")  # nothing listens there
    once.assert_outcomes(passed=3)  # `once` with cassettes on disk replays them
    assert {c: c.read_bytes() for c in cassettes} == before


def test_a_missing_azure_sdk_is_an_error_naming_the_extra_not_a_skip(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import sys\nsys.modules['azure.mgmt.compute'] = None  # as if not installed\n")
    pytester.makepyfile(test_sdk_missing="def test_client(vmss_compute_client):\n    pass\n")
    _place(pytester, UPDATE_POLICY, "test_sdk_missing", "test_client")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*vmss_compute_client needs azure.mgmt.compute*pip install 'vmss-contract?azure?'*"])
    assert "During handling" not in result.stdout.str()


def test_re_recording_prints_the_drift_against_the_previous_cassette(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_drift='''
import requests

def test_absent(vmss_endpoint):
    answer = requests.get(vmss_endpoint.url + "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"
                          "/providers/Microsoft.Compute/virtualMachineScaleSets/none?api-version=2024-07-01",
                          verify=vmss_endpoint.ca_path, headers={"Authorization": "Bearer x"}, timeout=30)
    assert answer.status_code == 404
''')
    args = ("-p", "no:cacheprovider", "--vmss-record-mode=all", "--vmss-upstream=emulator")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_drift" / "test_absent.yaml"
    recorded = load_cassette(cassette)
    answer = recorded.interactions[0].response
    code = json.loads(answer.content)["error"]["code"]
    answer.body = answer.content.decode().replace(code, "OlderCode")
    answer.headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
    save_cassette(recorded, cassette)
    again = pytester.runpytest(*args)
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*vmss drift against the previous cassettes*", "*test_drift.py::test_absent:*",
                                f"*$.error.code: never seen before: {code} (seen before: OlderCode)*"])
    same = pytester.runpytest(*args)  # the same answers again: nothing to say
    same.assert_outcomes(passed=1)
    assert "vmss drift" not in same.stdout.str()


def test_xdist_workers_record_and_replay_side_by_side(pytester: pytest.Pytester) -> None:
    _sdk_tests(pytester, [1, 2, 3, 4])
    recorded = pytester.runpytest_subprocess(*QUIET, "-n", "2", "--vmss-record-mode=all",
                                             "--vmss-upstream=emulator")
    recorded.assert_outcomes(passed=4)
    cassettes = sorted((pytester.path / "cassettes" / "test_sdk").glob("*.yaml"))
    assert len(cassettes) == 4
    for n, cassette in enumerate(cassettes, 1):  # each cassette holds its own test's traffic only
        creates = [i for i in load_cassette(cassette).interactions if i.request.method == "PUT" and "virtualMachineScaleSets" in i.request.uri]
        assert len(creates) == 1 and json.loads(creates[0].request.content)["sku"]["capacity"] == n
    replayed = pytester.runpytest_subprocess(*QUIET, "-n", "2")
    replayed.assert_outcomes(passed=4)


def test_vmss_emulator_is_fresh_for_every_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_emu='''
import pytest
from azure.mgmt.resource.resources import ResourceManagementClient
from contract.plugin import StaticCredential

@pytest.mark.parametrize("n", [1, 2])
def test_fresh(vmss_emulator, n):
    client = ResourceManagementClient(StaticCredential(), "00000000-0000-0000-0000-000000000000",
                                      base_url=vmss_emulator.url, connection_verify=vmss_emulator.ca_path,
                                      credential_scopes=["https://management.azure.com/.default"])
    assert not client.resource_groups.check_existence("rg")  # nothing left from the other test
    client.resource_groups.create_or_update("rg", {"location": "westus"})
    assert client.resource_groups.check_existence("rg")
''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


# --------------------------------------------------------------------------- the downstream example


def _downstream(tmp_path: Path) -> Path:
    copy = tmp_path / "downstream"
    shutil.copytree(DOWNSTREAM, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return copy


def _pytest_in(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AZURE_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", *QUIET, "--rootdir", str(project), *args],
                          cwd=project, capture_output=True, text=True, timeout=300, env=env)


def test_downstream_example_passes_offline_from_its_shipped_cassettes(tmp_path: Path) -> None:
    project = _downstream(tmp_path)
    assert list((project / "tests" / "cassettes").rglob("*.yaml")), "the example ships its cassettes"
    done = _pytest_in(project)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout


def test_downstream_record_then_replay_then_tampered_cassette_fails(tmp_path: Path) -> None:
    project = _downstream(tmp_path)
    shutil.rmtree(project / "tests" / "cassettes")
    recorded = _pytest_in(project, "--vmss-record-mode=all", "--vmss-upstream=emulator")
    assert recorded.returncode == 0, recorded.stdout[-4000:]
    replayed = _pytest_in(project)
    assert replayed.returncode == 0 and "4 passed" in replayed.stdout, replayed.stdout[-4000:]

    # Plant an echoed secret in one recorded GET answer: the SDK and the test's asserts do not care,
    # the contract does.
    cassette = project / "tests" / "cassettes" / "test_fleet" / "test_deploy_scale_and_teardown.yaml"
    loaded = load_cassette(cassette)
    for interaction in loaded.interactions:
        request, response = interaction.request, interaction.response
        if request.method == "GET" and request.uri.split("?")[0].endswith("/virtualMachineScaleSets/web"):
            body = response.json()
            body["properties"]["virtualMachineProfile"]["osProfile"]["adminPassword"] = "Tampered-Passw0rd!"
            response.body = json.dumps(body)
            response.headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
            break
    else:
        pytest.fail("no GET of the scale set in the recorded cassette")
    save_cassette(loaded, cassette)
    tampered = _pytest_in(project)
    assert tampered.returncode == 1
    assert "1 failed, 3 passed" in tampered.stdout
    assert "[secret-echoed] VirtualMachineScaleSets_Get" in tampered.stdout
    assert "osProfile.adminPassword" in tampered.stdout


def test_recording_keeps_the_proxy_safety_guards_from_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "vmss_read_only = true\n")
    pytester.makepyfile(test_guard='''
import requests

def test_write_refused(vmss_endpoint):
    path = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg?api-version=2022-09-01"
    kw = dict(verify=vmss_endpoint.ca_path, timeout=30, headers={"Authorization": "Bearer x"})
    refused = requests.put(vmss_endpoint.url + path, json={"location": "westus"}, **kw)
    assert refused.status_code == 403 and refused.json()["error"]["code"]
    assert requests.get(vmss_endpoint.url + path, **kw).status_code == 404  # nothing was created upstream
''')
    result = pytester.runpytest("-p", "no:cacheprovider", "--vmss-record-mode=all", "--vmss-upstream=emulator")
    result.assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_guard" / "test_write_refused.yaml"
    assert [i.request.method for i in load_cassette(cassette).interactions] == ["GET"]  # the refusal is not recorded


NEW_EPISODES_TEST = '''
import requests

def test_groups(vmss_endpoint):
    kw = dict(verify=vmss_endpoint.ca_path, timeout=30, headers={{"Authorization": "Bearer x"}})
    base = vmss_endpoint.url + "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/"
    assert requests.put(base + "rg1?api-version=2022-09-01", json={{"location": "westus"}}, **kw).status_code in (200, 201)
    for name in {names}:
        assert requests.get(base + name + "?api-version=2022-09-01", **kw).status_code in (200, 404)
'''


def test_new_episodes_keeps_the_recorded_and_appends_the_new(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_ep=NEW_EPISODES_TEST.format(names=["rg1"]))
    pytester.runpytest("-p", "no:cacheprovider", "--vmss-record-mode=all", "--vmss-upstream=emulator").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_ep" / "test_groups.yaml"
    first = [i.request.uri for i in load_cassette(cassette).interactions]
    pytester.makepyfile(test_ep=NEW_EPISODES_TEST.format(names=["rg1", "rg2"]))
    pytester.runpytest("-p", "no:cacheprovider", "--vmss-record-mode=new_episodes",
                       "--vmss-upstream=emulator").assert_outcomes(passed=1)
    second = [i.request.uri for i in load_cassette(cassette).interactions]
    assert second[: len(first)] == first and len(second) == len(first) + 1 and second[-1].split("?")[0].endswith("/rg2")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)  # and it all replays offline


def test_fixtures_can_still_clean_up_through_the_proxy_in_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_cleanup='''
import pytest, requests

BASE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/"

@pytest.fixture
def group(vmss_endpoint):
    kw = dict(verify=vmss_endpoint.ca_path, timeout=30, headers={"Authorization": "Bearer x"})
    requests.put(vmss_endpoint.url + BASE + "tmp-rg?api-version=2022-09-01", json={"location": "westus"}, **kw)
    yield "tmp-rg"
    gone = requests.delete(vmss_endpoint.url + BASE + "tmp-rg?api-version=2022-09-01", **kw)
    assert gone.status_code in (200, 202)

def test_uses_group(vmss_endpoint, group):
    assert group == "tmp-rg"
''')
    result = pytester.runpytest("-p", "no:cacheprovider", "--vmss-record-mode=all", "--vmss-upstream=emulator")
    result.assert_outcomes(passed=1)  # no teardown error: the proxy was still there
    cassette = pytester.path / "cassettes" / "test_cleanup" / "test_uses_group.yaml"
    assert [i.request.method for i in load_cassette(cassette).interactions][:2] == ["PUT", "DELETE"]
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_recording_from_azure_uses_the_real_credential_and_replay_a_fake_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_cred='''
def test_which(vmss_endpoint, vmss_credential):
    print("CRED", vmss_endpoint.mode, type(vmss_credential).__name__, vmss_endpoint.upstream)
''')
    # The proxy connects upstream only when a request comes: nothing here leaves the machine.
    recording = pytester.runpytest("-s", "-p", "no:cacheprovider", "--vmss-record-mode=all", "--vmss-contract=off")
    recording.stdout.fnmatch_lines(["*CRED record DefaultAzureCredential https://management.azure.com*"])
    replaying = pytester.runpytest("-s", "-p", "no:cacheprovider", "--vmss-contract=off")
    replaying.stdout.fnmatch_lines(["*CRED replay StaticCredential None*"])


def test_warn_mode_summary_survives_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_replay=REPLAY_TEST)
    _place(pytester, UPDATE_POLICY, "test_replay", "test_get", tamper=True)
    result = pytester.runpytest_subprocess(*QUIET, "-n", "2", "--vmss-contract=warn")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*vmss contract warnings*", "*test_replay.py::test_get: 1 contract violation(s)*",
                                 "*[[]secret-echoed] VirtualMachineScaleSets_Get, interaction #14*",
                                 "*at $.properties.virtualMachineProfile.osProfile.adminPassword*"])
    assert "-rP" not in result.stdout.str()  # nothing extra to ask for: the summary says it all


def test_replay_addresses_the_subscription_the_cassette_holds(pytester: pytest.Pytester,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_sub='''
def test_sub(vmss_endpoint, vmss_subscription_id):
    print("SUB", vmss_endpoint.mode, vmss_subscription_id)
''')
    target = pytester.path / "cassettes" / "test_sub" / "test_sub.yaml"
    cassette = load_cassette(UPDATE_POLICY)
    for interaction in cassette.interactions:
        interaction.request.uri = interaction.request.uri.replace(
            "00000000-0000-0000-0000-000000000000", "5f0c6a3e-1d2b-4c8e-9a7f-3b2e1d0c9f8a")
    save_cassette(cassette, target)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "11111111-2222-3333-4444-555555555555")  # a developer's real one
    replaying = pytester.runpytest("-s", "-p", "no:cacheprovider", "--vmss-contract=off")
    replaying.stdout.fnmatch_lines(["*SUB replay 5f0c6a3e-1d2b-4c8e-9a7f-3b2e1d0c9f8a*"])
    target.unlink()
    recording = pytester.runpytest("-s", "-p", "no:cacheprovider", "--vmss-contract=off",
                                   "--vmss-record-mode=once", "--vmss-upstream=emulator")
    recording.stdout.fnmatch_lines(["*SUB record 11111111-2222-3333-4444-555555555555*"])


def test_record_mode_all_never_deletes_a_cassette_another_recorder_holds(tmp_path: Path) -> None:
    """`all` re-records through the recorder, which replaces the file under the cassette's lock: a
    worker that finds the cassette locked is refused and the holder's file is left whole."""
    from contract.cassette import CassetteError, CassetteLock
    from contract.plugin import Settings, _start_recording, _Traffic

    path = tmp_path / "cassettes" / "held.yaml"
    path.parent.mkdir()
    shutil.copy(Path(__file__).parent / "data" / "recordings" / "test_vmss_update_policy.yaml", path)
    before = path.read_bytes()
    held = CassetteLock(path)
    traffic = _Traffic()
    try:
        with pytest.raises(CassetteError, match="another recorder"):
            _start_recording(path, Settings(record_mode="all", upstream="https://127.0.0.1:9", upstream_ca=None,
                                            cassette_dir=None, contract="strict"), traffic, tmp_path / "tls")
    finally:
        traffic.finish()
        held.release()
    assert path.read_bytes() == before
