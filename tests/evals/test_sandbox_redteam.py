"""Red team: hostile programs run in one pool next to honest ones; each attack must be contained.

Every hostile program would end normally (status "pass") only if its attack worked, so "not pass"
plus the expected reason means contained. The honest programs in the same run must still pass.
"""

import os
from pathlib import Path

import pytest

from codemill.evals.sandbox import Job, Limits, SandboxPool, detect

SECRET = "codemill-redteam-secret-value"

ATTACKS = {
    "socket": "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\ns.settimeout(2)\n"
              "s.connect(('1.1.1.1', 80))",
    "dns": "import socket\nsocket.getaddrinfo('pypi.org', 443)",
    "write_system": "open('/usr/lib/codemill-pwned', 'w').write('x')",
    "write_etc": "open('/etc/codemill-pwned', 'w').write('x')",
    "write_shared_tmp": "open('/tmp/left-for-the-next-sample', 'w').write('x')",
    "read_shadow": "print(open('/etc/shadow').read())",
    "read_ssh": "import os, glob\nkeys = glob.glob('/root/.ssh/*') + glob.glob('/home/*/.ssh/*')\n"
                "assert keys, 'no key visible'\nprint(open(keys[0]).read())",
    "env_secret": "import os\nprint(os.environ['HF_TOKEN'])",
    "proc_environ": f"import glob\nfound = False\nfor p in glob.glob('/proc/*/environ'):\n"
                    f"    try:\n        found |= b'{SECRET}' in open(p, 'rb').read()\n    except OSError:\n        pass\n"
                    f"assert found, 'secret not found'",
    "fork_bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
    "memory_bomb": "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))",
    "infinite_loop": "while True:\n    pass",
    "kill_parent": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(1, signal.SIGKILL)",
    "kill_everyone": "import os, signal\nkilled = 0\nfor p in os.listdir('/proc'):\n"
                     "    if p.isdigit() and int(p) != os.getpid():\n        try:\n"
                     "            os.kill(int(p), signal.SIGKILL)\n            killed += 1\n"
                     "        except OSError:\n            pass\nassert killed, 'could not kill anything'",
    "stdout_flood": "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)",
    "exit_before_tests": "import os\nos._exit(0)\nassert False",
    "ptrace": "import ctypes\nassert ctypes.CDLL(None).ptrace(16, 1, 0, 0) == 0, 'ptrace refused'",
}
HONEST = {f"honest_{i}": f"import math\nassert math.factorial({i}) > 0" for i in range(6)}
FILE_SYSTEM_ATTACKS = {"write_system", "write_etc", "write_shared_tmp", "read_ssh", "proc_environ", "host_tmp",
                       "host_tmp_write"}
EXPECTED_ERROR = {
    "socket": "Error", "write_system": "Read-only file system", "write_etc": "Read-only file system",
    "write_shared_tmp": "Permission denied",
    "read_shadow": "Permission denied", "env_secret": "KeyError", "infinite_loop": "time limit",
    "memory_bomb": "MemoryError", "stdout_flood": "output limit", "exit_before_tests": "exited before",
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    host_file = tmp_path_factory.mktemp("host") / "host-secret.txt"
    host_file.write_text(SECRET)
    attacks = dict(ATTACKS, host_tmp=f"print(open({str(host_file)!r}).read())",
                   host_tmp_write=f"open({str(host_file.parent / 'dropped.txt')!r}, 'w').write('x')")
    os.environ["HF_TOKEN"] = SECRET
    try:
        isolation = detect()
        jobs = [Job(key, program) for key, program in {**attacks, **HONEST}.items()]
        with SandboxPool(2, Limits(wall_s=1.5, memory_mb=256), isolation) as pool:
            results = {outcome.key: outcome for outcome in pool.map(jobs)}
            after = {o.key: o for o in pool.map([Job("after", "assert sum(range(10)) == 45")])}
    finally:
        del os.environ["HF_TOKEN"]
    return {"results": results, "after": after, "isolation": isolation, "host_dir": host_file.parent}


def test_parent_survives_and_honest_samples_pass(outcomes):
    for key in HONEST:
        assert outcomes["results"][key].status == "pass", outcomes["results"][key]
    assert outcomes["after"]["after"].status == "pass"


@pytest.mark.parametrize("attack", sorted(ATTACKS) + ["host_tmp", "host_tmp_write"])
def test_attack_is_contained_and_reported_as_failure(outcomes, attack):
    if outcomes["isolation"].backend != "bwrap" and attack in FILE_SYSTEM_ATTACKS:
        pytest.skip(f"file-system isolation needs bubblewrap; backend here: {outcomes['isolation'].backend}")
    outcome = outcomes["results"][attack]
    assert outcome.status in ("fail", "timeout", "error"), outcome
    assert SECRET not in outcome.output
    if attack in EXPECTED_ERROR:
        assert EXPECTED_ERROR[attack] in outcome.error + outcome.output, outcome


def test_nothing_was_written_on_the_host(outcomes):
    assert not Path("/usr/lib/codemill-pwned").exists()
    assert not Path("/etc/codemill-pwned").exists()
    assert not (outcomes["host_dir"] / "dropped.txt").exists()


def test_no_sample_process_outlives_the_pool(outcomes):
    leftovers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                uid = int((entry / "status").read_text().split("Uid:")[1].split()[0])
            except (OSError, IndexError, ValueError):
                continue
            if 61000 <= uid < 61100:
                leftovers.append(entry.name)
    assert leftovers == []


def test_loop_and_fork_bomb_end_within_their_time_limit(outcomes):
    for attack in ("infinite_loop", "fork_bomb"):
        outcome = outcomes["results"][attack]
        assert outcome.status in ("timeout", "error") and outcome.runtime_s < 1.5 + 1.0, outcome
