"""Run the red-team programs in one sandbox pool and print their outcomes as JSON (used by test_sandbox_redteam).

A separate script so that the test can run it as root and, through setpriv, as an unprivileged user:
    python sandbox_redteam_driver.py BACKEND PARAMS_JSON
PARAMS_JSON names the loopback port, the marker token, the secret and the host paths the attacks aim at.
Each attack program ends normally (status "pass") only if its attack worked; the ones marked host-checked
may succeed inside the sandbox, and the test checks the host instead.
"""

from __future__ import annotations

import json
import sys


def attacks(params: dict) -> dict[str, str]:
    token, secret, port = params["token"], params["secret"], params["port"]
    marker = f"codemill-redteam-{token}"
    return {
        "network_out": "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\ns.settimeout(1)\n"
                       "s.connect(('1.1.1.1', 80))",
        "network_loopback": f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
                            f"s.sendall(b'{marker}')",
        "dns": "import socket\nsocket.getaddrinfo('pypi.org', 443)",
        "network_interfaces": "names = [line.split(':')[0].strip() for line in open('/proc/net/dev').readlines()[2:]]\n"
                              "assert set(names) - {'lo'}, 'only a loopback'",
        "host_processes": "import os\npids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
                          "assert len(pids) > 4, f'only {len(pids)} processes visible'",
        "unix_socket_to_host": "import socket, glob\n"
                               "paths = glob.glob('/run/*.sock') + glob.glob('/var/run/*/*.sock')\n"
                               "assert paths, 'no host socket visible'\ns = socket.socket(socket.AF_UNIX)\n"
                               "s.connect(paths[0])",
        # host-checked: these may succeed on the sandbox's private tmpfs, never on the host
        "write_tmp": f"open('/tmp/{marker}', 'w').write('x')",
        "write_dev_shm": f"open('/dev/shm/{marker}', 'w').write('x')",
        "write_var_tmp": f"open('/var/tmp/{marker}', 'w').write('x')",
        "write_checkout": f"open({params['checkout'] + '/' + marker!r}, 'w').write('x')",
        "write_host_folder": f"open({params['host_dir'] + '/' + marker!r}, 'w').write('x')",
        "write_system": f"open('/usr/lib/{marker}', 'w').write('x')",
        "write_etc": f"open('/etc/{marker}', 'w').write('x')",
        "write_dev": f"open('/dev/{marker}', 'w').write('x')",
        "write_root": f"open('/{marker}', 'w').write('x')",
        "sysv_shm": "import ctypes\nassert ctypes.CDLL(None).shmget(0x5eed, 4096, 0o1666) >= 0, 'shmget refused'",
        "posix_mqueue": "import ctypes\nlibc = ctypes.CDLL(None)\n"
                        "assert libc.mq_open(b'/codemill-redteam', 0o102, 0o666, None) >= 0, 'mq_open refused'",
        "read_host_file": f"print(open({params['host_file']!r}).read())",
        "read_checkout": f"print(open({params['checkout'] + '/pyproject.toml'!r}).read())",
        "read_shadow": "print(open('/etc/shadow').read())",
        "read_ssh": "import glob\nkeys = glob.glob('/root/.ssh/*') + glob.glob('/home/*/.ssh/*')\n"
                    "assert keys, 'no key visible'\nprint(open(keys[0]).read())",
        # one sample leaves files everywhere it can; the snoops (other workers, later samples) look for them
        "leave_files": f"import os, time\nfor folder in ('/tmp', '/dev/shm', '/var/tmp', os.getcwd()):\n"
                       f"    try:\n        open(os.path.join(folder, '{marker}-left'), 'w').write('{secret}')\n"
                       f"    except OSError:\n        pass\ntime.sleep(0.3)",
        **{f"snoop_{i}": f"import os, time\ntime.sleep({0.1 * i})\nfound = []\n"
                         f"for folder in ('/tmp', '/dev/shm', '/var/tmp'):\n"
                         f"    for path, dirs, files in os.walk(folder):\n"
                         f"        found += [name for name in files if '{marker}-left' in name]\n"
                         f"assert found, 'nothing left by another sample'" for i in range(4)},
        "leave_process": f"import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                         f"        os.execv('/bin/sleep', ['sleep', '{params['sleep_marker']}'])\n"
                         f"    os._exit(0)\nos.wait()",
        "find_left_process": f"import os, time\ntime.sleep(0.2)\nfound = False\nfor p in os.listdir('/proc'):\n"
                             f"    try:\n"
                             f"        found |= '{params['sleep_marker']}' in open(f'/proc/{{p}}/cmdline').read()\n"
                             f"    except OSError:\n        pass\nassert found, 'no leftover process'",
        "env_secret": "import os\nprint(os.environ['HF_TOKEN'])",
        "env_any_secret": f"import os\nassert any('{secret}' in value for value in os.environ.values()), 'clean'",
        "proc_environ": f"import glob\nfound = False\nfor p in glob.glob('/proc/*/environ'):\n"
                        f"    try:\n        found |= b'{secret}' in open(p, 'rb').read()\n    except OSError:\n"
                        f"        pass\nassert found, 'secret not found'",
        "worker_memory": "import os\nwith open('/proc/%d/mem' % os.getppid(), 'rb') as f:\n    pass",
        "capabilities": "caps = [l for l in open('/proc/self/status') if l.startswith('CapEff')][0]\n"
                        "assert int(caps.split()[1], 16) != 0, 'no capabilities'",
        "fork_bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        "memory_bomb": "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))",
        "tmpfs_bomb": "import os\ni = 0\nwhile True:\n    open(f'/tmp/fill-{i}', 'wb').write(b'x' * (8 << 20))\n"
                      "    i += 1",
        "infinite_loop": "while True:\n    pass",
        "stdout_flood": "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)",
        "kill_parent": "import os, signal\n"
                       "for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGSTOP):\n"
                       "    for pid in (os.getppid(), 1):\n        try:\n            os.kill(pid, sig)\n"
                       "        except OSError:\n            pass\nimport time\ntime.sleep(0.2)\n"
                       "os.kill(os.getppid(), 0)\nassert False, 'the parent is still alive'",
        "kill_everyone": "import os, signal\nkilled = 0\nfor p in os.listdir('/proc'):\n"
                         "    if p.isdigit() and int(p) != os.getpid():\n        try:\n"
                         "            os.kill(int(p), signal.SIGKILL)\n            killed += 1\n"
                         "        except OSError:\n            pass\nassert killed, 'could not kill anything'",
        "exit_before_tests": "import os\nos._exit(0)\nassert False",
        "clone_new_namespaces": "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                                "pid = libc.syscall(56, 0x10000000 | 0x20000 | 17, 0, 0, 0, 0)\n"
                                "if pid == 0:\n    os._exit(0)\nassert pid > 0, 'clone refused'\nos.waitpid(pid, 0)",
        "ptrace": "import ctypes\nassert ctypes.CDLL(None).ptrace(16, 1, 0, 0) == 0, 'ptrace refused'",
        "new_namespace": "import ctypes\nassert ctypes.CDLL(None).unshare(0x10000000) == 0, 'unshare refused'",
    }


HONEST = {f"honest_{i}": f"import math, array, cmath\nassert math.factorial({i}) > 0" for i in range(3)}
HONEST.update({  # what the filters must still allow: threads (clone3 falls back to clone), fork, subprocesses
    "honest_threads": "import threading\nout = []\nt = threading.Thread(target=out.append, args=(1,))\nt.start()\n"
                      "t.join()\nassert out == [1]",
    "honest_fork": "import os\npid = os.fork()\nif pid == 0:\n    os._exit(3)\n"
                   "assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 3",
    "honest_subprocess": "import subprocess\n"
                         "assert subprocess.run(['/bin/echo', 'hi'], capture_output=True).stdout == b'hi\\n'",
})


def main() -> None:
    from codemill.sandbox import Job, Limits, SandboxPool, SandboxUnavailable, detect

    backend, params = sys.argv[1], json.loads(sys.argv[2])
    try:
        isolation = detect(backend)
    except SandboxUnavailable as error:
        print(error, file=sys.stderr)
        sys.exit(3)
    programs = {**attacks(params), **HONEST}
    limits = Limits(wall_s=1.0, memory_mb=256, scratch_mb=64)
    with SandboxPool(2, limits, isolation) as pool:
        outcomes = {o.key: o for o in pool.map(Job(key, program) for key, program in programs.items())}
        after = list(pool.map([Job("after", "assert sum(range(10)) == 45")]))[0]
        restarts = pool.restarts
    report = {key: {"status": o.status, "error": o.error, "output": o.output, "runtime_s": o.runtime_s}
              for key, o in {**outcomes, "after": after}.items()}
    print(json.dumps({"backend": isolation.backend, "record": isolation.record(), "outcomes": report,
                      "restarts": restarts}))


if __name__ == "__main__":
    main()
