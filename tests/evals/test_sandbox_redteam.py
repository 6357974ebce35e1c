"""Red team: hostile programs run in one pool next to honest ones, under every backend this machine has,
as root and as an unprivileged user; every attack must be contained.

An attack program ends normally (status "pass") only if its attack worked, so "not pass" plus the
expected reason means contained. Attacks that may succeed inside the sandbox (writing to its private
/tmp) are checked on the host instead: nothing may appear there, on the loopback listener, or in the
process table. The honest programs in the same run must still pass and no worker may have died.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from codemill.sandbox import SandboxUnavailable, detect

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("sandbox_redteam_driver.py")
NOBODY = 65534
UNAVAILABLE = 3  # the driver's exit status when the backend does not work for its user
HOST_CHECKED = {"write_tmp", "write_dev_shm", "write_var_tmp", "leave_files", "leave_process", "kill_parent",
                "kill_everyone"}
EXPECTED_ERROR = {
    "network_out": "Error", "write_system": "Read-only file system", "write_etc": "Read-only file system",
    "write_checkout": "No such file", "write_host_folder": "No such file", "read_host_file": "No such file",
    "read_checkout": "No such file", "read_shadow": "Permission denied", "env_secret": "KeyError",
    "infinite_loop": "time limit", "fork_bomb": "time limit", "memory_bomb": ("MemoryError", "time limit"),
    "stdout_flood": "output limit", "write_dev": "Read-only file system", "write_root": "Read-only file system",
    "exit_before_tests": "exited before", "tmpfs_bomb": ("No space left", "time limit"), "sysv_shm": "shmget refused",
    "posix_mqueue": "mq_open refused", "clone_new_namespaces": "clone refused",
}


def _available_backends() -> list[str]:
    found = []
    for backend in ("bwrap", "unshare"):
        try:
            detect(backend)
            found.append(backend)
        except SandboxUnavailable:
            pass
    return found


BACKENDS = _available_backends()


def _unprivileged_python() -> list[str] | None:
    """A command prefix running Python with the checkout importable as uid/gid 65534, or None if impossible."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return None
    for python in (os.path.realpath(sys.executable), shutil.which("python3") or "", "/usr/bin/python3"):
        prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", python]
        check = "import os, sys, codemill.sandbox; os.listdir(os.path.dirname(os.path.realpath(sys.executable)))"
        probe = subprocess.run(prefix + ["-c", check], capture_output=True,
                               env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}, cwd="/")
        if python and probe.returncode == 0:
            return prefix
    return None


@pytest.fixture(scope="module", params=[(b, u) for b in BACKENDS for u in ("current", "unprivileged")] or
                [pytest.param(("none", "current"), marks=pytest.mark.skip(reason="no sandbox backend works here"))],
                ids=lambda p: f"{p[0]}-{p[1]}")
def run(request, tmp_path_factory):
    backend, user = request.param
    prefix = [sys.executable] if user == "current" else _unprivileged_python()
    if prefix is None:
        pytest.skip("needs root, setpriv and an interpreter and checkout that uid 65534 can read")
    host_dir = tmp_path_factory.mktemp("host")
    host_dir.chmod(0o777)
    host_file = host_dir / "host-secret.txt"
    secret = f"codemill-redteam-secret-{secrets.token_hex(4)}"
    host_file.write_text(secret)
    host_file.chmod(0o644)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    params = {"token": secrets.token_hex(6), "secret": secret, "port": listener.getsockname()[1],
              "checkout": str(REPO), "host_dir": str(host_dir), "host_file": str(host_file),
              "sleep_marker": f"{secrets.randbelow(10 ** 6) + 10 ** 6}.25"}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO), "HF_TOKEN": secret,
           "OPENAI_API_KEY": secret, "AWS_SECRET_ACCESS_KEY": secret}
    done = subprocess.run(prefix + [str(DRIVER), backend, json.dumps(params)], capture_output=True, text=True,
                          env=env, cwd="/", timeout=300)
    if done.returncode == UNAVAILABLE:
        pytest.skip(f"backend {backend} does not work for the {user} user here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    try:
        connection = listener.accept()
    except BlockingIOError:
        connection = None
    listener.close()
    yield {**json.loads(done.stdout), "params": params, "host_dir": host_dir, "connection": connection, "user": user}


def test_honest_samples_pass_and_no_worker_died(run):
    outcomes = run["outcomes"]
    for key in [k for k in outcomes if k.startswith("honest_")] + ["after"]:
        assert outcomes[key]["status"] == "pass", (key, outcomes[key])
    assert run["restarts"] == 0
    unprivileged = run["user"] == "unprivileged" or os.geteuid() != 0
    assert run["record"]["missing_layers"] == (["uid"] if unprivileged else [])


def test_every_attack_is_contained(run):
    outcomes, secret = run["outcomes"], run["params"]["secret"]
    attacks = [key for key in outcomes if not key.startswith("honest_") and key != "after"]
    assert len(attacks) > 30
    for attack in attacks:
        outcome = outcomes[attack]
        assert secret not in outcome["output"] + outcome["error"], (attack, outcome)
        if attack in HOST_CHECKED:
            continue
        assert outcome["status"] in ("fail", "timeout", "error"), (attack, outcome)
        if attack in EXPECTED_ERROR:  # a bomb on a loaded machine may reach its time limit first
            reasons = EXPECTED_ERROR[attack] if isinstance(EXPECTED_ERROR[attack], tuple) else (EXPECTED_ERROR[attack],)
            assert any(reason in outcome["error"] + outcome["output"] for reason in reasons), (attack, outcome)


def test_nothing_reached_the_host(run):
    marker = f"codemill-redteam-{run['params']['token']}"
    for folder in ("/", "/tmp", "/dev", "/dev/shm", "/var/tmp", str(REPO), str(run["host_dir"]), "/usr/lib", "/etc"):
        assert not list(Path(folder).glob(f"{marker}*")), folder
    assert run["connection"] is None, "a sample reached the loopback listener"


def test_no_sample_process_outlives_its_sample(run):
    assert run["outcomes"]["find_left_process"]["status"] != "pass"
    leftovers = []
    for entry in Path("/proc").iterdir():
        try:
            if run["params"]["sleep_marker"] in (entry / "cmdline").read_text():
                leftovers.append(entry.name)
        except OSError:
            continue
    assert leftovers == []

