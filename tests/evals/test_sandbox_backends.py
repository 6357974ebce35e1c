"""Backend choice: programs run as the reference harnesses run them; no backend means refusal unless
`none` is asked for explicitly; the active layers are recorded; a layer that fails to load stops the sample."""

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from codemill.cli import app
from codemill.recipe.base import RecipeError, validate_config
from codemill.recipe.eval import EvalConfig
from codemill.sandbox import Job, Limits, SandboxPool, SandboxUnavailable, detect
from codemill.pipeline.preflight import check_recipe
from codemill.pipeline.report_eval import sandbox_lines
from codemill.recipe.loader import load_recipe

SOLUTION = "def add(a, b):\n    return a + b\n\n\ndef main():\n    print(add(1, 2))\n    return 0\n"
TESTS = "\n\ndef check(candidate):\n    assert candidate(2, 3) == 5\n\n\ncheck(add)\n"
MAIN_BLOCKS = {
    "input": "if __name__ == '__main__':\n    a, b = map(int, input().split())\n    print(add(a, b))\n",
    "wrong_example_assert": "if __name__ == \"__main__\":\n    assert add(1, 1) == 3\n",
    "sys_exit_main": "if __name__ == '__main__':\n    import sys\n    sys.exit(main())\n",
    "raise_system_exit": "if __name__ == '__main__':\n    raise SystemExit(1)\n",
}


def _run(isolation, programs: dict[str, str]) -> dict:
    with SandboxPool(1, Limits(wall_s=3.0), isolation) as pool:
        return {outcome.key: outcome for outcome in pool.map(Job(key, program) for key, program in programs.items())}


@pytest.fixture(scope="module")
def isolation():
    try:
        return detect()
    except SandboxUnavailable as error:
        pytest.skip(str(error))


def test_a_trailing_main_block_does_not_run(isolation):
    programs = {key: SOLUTION + block + TESTS for key, block in MAIN_BLOCKS.items()}
    programs["wrong_solution"] = SOLUTION.replace("a + b", "a - b") + MAIN_BLOCKS["sys_exit_main"] + TESTS
    programs["class_helpers"] = ("from dataclasses import dataclass\nfrom typing import NamedTuple\nimport enum\n"
                                 "@dataclass\nclass P:\n    x: int\nclass N(NamedTuple):\n    a: int\n"
                                 "class E(enum.Enum):\n    A = 1\nassert P(1).x == N(1).a == E.A.value == 1\n")
    outcomes = _run(isolation, programs)
    for key in [*MAIN_BLOCKS, "class_helpers"]:
        assert outcomes[key].status == "pass", outcomes[key]
    assert outcomes["wrong_solution"].status == "fail"


def test_private_folders_are_emptied_between_samples(isolation):
    trap = ("import os\nos.symlink('/dev', '/tmp/to-dev')\nos.symlink('/dev/null', '/dev/shm/to-null')\n"
            "os.makedirs('/var/tmp/locked/inner')\nopen('/var/tmp/locked/inner/kept', 'w').write('x')\n"
            "os.chmod('/var/tmp/locked/inner', 0)\nos.chmod('/var/tmp/locked', 0)\nopen('/tmp/kept', 'w').write('x')")
    look = ("import os\nleft = {d: os.listdir(d) for d in ('/tmp', '/dev/shm', '/var/tmp')}\n"
            "left['/tmp'] = [name for name in left['/tmp'] if name != os.path.basename(os.getcwd())]\n"
            "assert left == {'/tmp': [], '/dev/shm': [], '/var/tmp': []}, left\n"
            "assert oct(os.stat('/dev/null').st_mode & 0o777) == '0o666'")
    outcomes = _run(isolation, {"trap": trap, "look": look})
    assert outcomes["trap"].status == "pass", outcomes["trap"]
    assert outcomes["look"].status == "pass", outcomes["look"]
    assert os.stat("/dev/null").st_mode & 0o777 == 0o666


def test_the_chosen_backend_contains_and_records_its_layers(isolation):
    record = isolation.record()
    assert record["backend"] in ("bwrap", "unshare")
    for layer in ("network", "filesystem", "private_tmp", "processes", "rlimits", "seccomp"):
        assert layer in record["active_layers"], record


def test_without_any_backend_auto_refuses_and_says_how_to_fix_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # neither bwrap nor unshare can be found
    with pytest.raises(SandboxUnavailable) as refused:
        detect("auto")
    message = str(refused.value)
    assert "apt-get install bubblewrap" in message and "sandbox: none" in message and "\n" not in message
    with pytest.raises(SandboxUnavailable, match="'unshare' was asked for"):
        detect("unshare")
    broken = tmp_path / "bwrap"  # installed, but namespaces are not allowed for this user
    broken.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    broken.chmod(0o755)
    with pytest.raises(SandboxUnavailable) as refused:
        detect("auto")
    assert "No permissions to create new namespace" in str(refused.value)
    assert "unprivileged user namespaces" in str(refused.value) and "sandbox: none" in str(refused.value)


def test_the_command_refuses_unless_sandbox_none_is_given(monkeypatch, tmp_path, tiny_problem_file):
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": f"Tiny/{i}", "completion": c}) + "\n"
                               for i, c in enumerate(["    return a + b\n", "    return x\n"])))
    monkeypatch.setenv("PATH", str(tmp_path))
    command = ["eval", "--samples", str(samples), "--data-file", str(tiny_problem_file), "--workers", "1"]
    refused = CliRunner().invoke(app, command + ["-o", str(tmp_path / "refused")])
    assert refused.exit_code == 2 and "install bubblewrap" in refused.output, refused.output
    assert not (tmp_path / "refused" / "results.json").exists()
    out = tmp_path / "eval" / "base" / "tiny"
    allowed = CliRunner().invoke(app, command + ["-o", str(out), "--sandbox", "none"])
    assert allowed.exit_code == 0, allowed.output
    record = json.loads((out / "results.json").read_text())["settings"]["sandbox"]
    assert record["backend"] == "none"
    assert {"network", "filesystem", "processes"} <= set(record["missing_layers"])
    assert "rlimits" in record["active_layers"] and record["warnings"]
    [line] = sandbox_lines(tmp_path / "eval")  # what the run report shows
    assert line.startswith("base/tiny: backend none;") and "missing: network, filesystem" in line


def test_preflight_reports_a_missing_sandbox_before_anything_starts(monkeypatch, tmp_path):
    smoke = Path(__file__).resolve().parents[2] / "samples" / "evals" / "smoke.jsonl"

    def problems(sandbox: str) -> list[str]:
        recipe = {"name": "x", "model": {"tiny": {}}, "finetune": {"wandb": {"mode": "disabled"}},
                  "eval": {"benchmarks": [{"name": "humaneval", "data_file": str(smoke)}], "sandbox": sandbox}}
        (tmp_path / "r.yaml").write_text(yaml.safe_dump(recipe))
        return check_recipe(load_recipe(tmp_path / "r.yaml"), {"eval"})

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("PATH", str(tmp_path))
    [line] = problems("auto")
    assert line.startswith("eval.sandbox: no sandbox can contain") and "install bubblewrap" in line
    assert problems("none") == []


def test_none_runs_samples_with_the_process_layers_only():
    isolation = detect("none")
    outcomes = _run(isolation, {"honest": "assert sorted([3, 1, 2]) == [1, 2, 3]",
                                "socket": "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)"})
    assert outcomes["honest"].status == "pass"
    assert outcomes["socket"].status == "error"  # the seccomp filter still refuses the socket


def test_the_recipe_key_accepts_a_backend_name_or_a_mapping():
    assert validate_config(EvalConfig, {"sandbox": "none"}).sandbox.backend == "none"
    assert validate_config(EvalConfig, {"sandbox": {"backend": "unshare", "workers": 2}}).sandbox.backend == "unshare"
    with pytest.raises(RecipeError, match="sandbox.backend"):
        validate_config(EvalConfig, {"sandbox": "chroot"})


def test_a_layer_that_fails_to_load_stops_the_sample_before_it_runs(isolation):
    isolation = detect(isolation.backend)
    isolation.seccomp_hex = "00" * 8  # one instruction and no return: the kernel rejects it
    [outcome] = _run(isolation, {"guarded": "print('ran')"}).values()
    assert outcome.status == "error" and "sandbox setup failed" in outcome.error
    assert "ran" not in outcome.output
