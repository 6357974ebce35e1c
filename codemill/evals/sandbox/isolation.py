"""Find the strongest isolation this machine allows and build the command that starts a sandbox worker.

Backends, strongest first: bubblewrap (network, pid, ipc, uts namespaces; a read-only view of the
system with /home, /root, /work and the host /tmp invisible; shadow files masked), `unshare` from
util-linux (network, pid, ipc namespaces only), and none. Inside every backend, each sample also
gets rlimits, a new session, a scrubbed environment, a per-worker unprivileged uid when we are root,
and a seccomp filter where the architecture is covered. What is missing is recorded and warned about.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from codemill.evals.sandbox.seccomp_filter import build_filter

WORKER_SOURCE = Path(__file__).with_name("worker.py")
SANDBOX_WORKER = "/sandbox/worker.py"
BASE_UID = 61000
MASKED_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-")
BWRAP_CAPS = "CAP_SETUID,CAP_SETGID,CAP_KILL,CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER"


class SandboxUnavailable(RuntimeError):
    """An isolation backend was asked for by name but does not work on this machine."""


@dataclass
class Isolation:
    """The chosen backend and a record of every layer: what is on, what is off and why."""

    backend: str
    layers: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seccomp_hex: str | None = None

    def record(self) -> dict:
        return {"backend": self.backend, "layers": self.layers, "warnings": self.warnings}


def _interpreter() -> str:
    return os.path.realpath(sys.executable)


def _system_binds() -> list[str]:
    """Read-only binds of the system folders and of the interpreter's own prefix."""
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for prefix in {os.path.realpath(sys.base_prefix), os.path.dirname(os.path.dirname(_interpreter()))}:
        if not prefix.startswith(("/usr/", "/bin/", "/lib")):
            args += ["--ro-bind", prefix, prefix] + _traversable_parents(prefix)
    for secret in MASKED_FILES:
        if os.path.exists(secret):
            args += ["--ro-bind", "/dev/null", secret]
    return args


def _traversable_parents(path: str) -> list[str]:
    """Let the unprivileged sample uid walk down to a bound prefix such as /root/.pyenv/versions/x."""
    args, parent = [], os.path.dirname(path)
    while parent not in ("/", ""):
        args = ["--chmod", "0755", parent] + args
        parent = os.path.dirname(parent)
    return args


def bwrap_command(worker_index: int, scratch_mb: int, uid: int | None) -> list[str]:
    root = os.geteuid() == 0
    command = ["bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
               "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8"]
    command += [] if root else ["--unshare-user"]
    command += _system_binds()
    command += ["--proc", "/proc", "--dev", "/dev", "--size", str(scratch_mb * 1024 * 1024), "--tmpfs", "/tmp",
                "--ro-bind", str(WORKER_SOURCE), SANDBOX_WORKER, "--chdir", "/tmp"]
    command += ["--cap-add", BWRAP_CAPS] if root else []
    return command + [_interpreter(), "-I", SANDBOX_WORKER, str(uid) if uid is not None else "-", "/tmp"]


def unshare_command(worker_index: int, scratch: str, uid: int | None) -> list[str]:
    return ["unshare", "--net", "--pid", "--ipc", "--fork", "--kill-child", _interpreter(), "-I",
            str(WORKER_SOURCE), str(uid) if uid is not None else "-", scratch]


def plain_command(worker_index: int, scratch: str, uid: int | None) -> list[str]:
    return [_interpreter(), "-I", str(WORKER_SOURCE), str(uid) if uid is not None else "-", scratch]


def _works(command: list[str]) -> bool:
    try:
        result = subprocess.run(command, capture_output=True, timeout=20, env={"PATH": os.environ.get("PATH", "")})
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _probe_bwrap() -> bool:
    if shutil.which("bwrap") is None:
        return False
    probe = bwrap_command(0, 16, None)
    cut = probe.index(_interpreter())
    return _works(probe[:cut] + [_interpreter(), "-I", "-c", "import socket"])


def _probe_unshare() -> bool:
    return shutil.which("unshare") is not None and _works(["unshare", "--net", "--pid", "--ipc", "--fork", "true"])


def detect(prefer: str = "auto") -> Isolation:
    """Pick the strongest backend that works here (or the one asked for) and describe its layers."""
    root = os.geteuid() == 0
    if prefer == "bwrap" and not _probe_bwrap():
        raise SandboxUnavailable("sandbox backend 'bwrap' was asked for but bubblewrap does not work here "
                           "(install it: apt-get install bubblewrap), or use backend 'auto'")
    if prefer == "unshare" and not _probe_unshare():
        raise SandboxUnavailable("sandbox backend 'unshare' was asked for but `unshare --net --pid` fails here")
    if prefer in ("auto", "bwrap") and _probe_bwrap():
        isolation = Isolation("bwrap", {
            "network": "none (new network namespace)",
            "filesystem": "read-only system view; home, /root, /work, host /tmp invisible; writes only to a "
                          "per-sample folder on a size-capped tmpfs; shadow files masked",
            "processes": "new pid namespace: the parent and other samples are invisible"})
    elif prefer in ("auto", "bwrap", "unshare") and _probe_unshare():
        isolation = Isolation("unshare", {
            "network": "none (new network namespace)",
            "filesystem": "host file system visible; writes limited by uid permissions only",
            "processes": "new pid namespace"})
        isolation.warnings.append("bubblewrap (bwrap) is not in use: the file system is NOT read-only for "
                                  "samples; world-writable folders (/tmp, /dev/shm) can be written. "
                                  "Install it: apt-get install bubblewrap")
    else:
        isolation = Isolation("none", {"network": "NOT isolated", "filesystem": "NOT isolated",
                                       "processes": "NOT isolated (only a new session)"})
        why = "disabled by configuration" if prefer == "none" else "not available (neither bwrap nor unshare works)"
        isolation.warnings.append(f"namespace isolation {why}: samples can reach the network and the file "
                                  "system of this user")
    _add_process_layers(isolation, root)
    return isolation


def _world_readable(path: str) -> bool:
    """Whether any uid can list `path` (every parent folder searchable, the folder itself readable)."""
    import stat

    parts, current = [], path
    while current not in ("/", ""):
        parts.append(current)
        current = os.path.dirname(current)
    try:
        modes = [os.stat(part).st_mode for part in parts]
    except OSError:
        return False
    return all(mode & stat.S_IXOTH for mode in modes) and bool(modes[0] & stat.S_IROTH)


def _add_process_layers(isolation: Isolation, root: bool) -> None:
    isolation.layers["uid"] = ("per-worker unprivileged uid (%d+)" % BASE_UID) if root else "same uid as codemill"
    stdlib = os.path.dirname(os.__file__)
    if root and isolation.backend != "bwrap" and not _world_readable(stdlib):
        isolation.warnings.append(f"the interpreter's standard library ({stdlib}) is not readable by other uids, so "
                                  "samples can import only the modules preloaded by the sandbox worker; install "
                                  "bubblewrap or use a system-wide Python")
    if not root:
        isolation.warnings.append("not running as root: samples keep codemill's uid, so the process limit "
                                  "counts all of this user's processes and files of this user are readable")
    isolation.layers["rlimits"] = "address space, CPU time, processes, file size, open files, no core dumps"
    isolation.layers["environment"] = "scrubbed (only PATH, LANG, HOME, TMPDIR)"
    isolation.layers["session"] = "new session and process group; whole group and uid killed after each sample"
    program = build_filter()
    isolation.seccomp_hex = program.hex() if program else None
    isolation.layers["seccomp"] = "deny list (ptrace, mount, namespaces, modules, bpf, io_uring, non-unix sockets)" \
        if program else "unavailable on this architecture"
    if not program:
        isolation.warnings.append("seccomp filter not available on this architecture")


def worker_command(isolation: Isolation, worker_index: int, scratch_mb: int) -> tuple[list[str], str | None]:
    """The command for worker `worker_index` and the host scratch folder it uses (None under bwrap)."""
    uid = BASE_UID + worker_index if os.geteuid() == 0 else None
    if isolation.backend == "bwrap":
        return bwrap_command(worker_index, scratch_mb, uid), None
    scratch = tempfile.mkdtemp(prefix="codemill-sandbox-")
    os.chmod(scratch, 0o711)
    build = unshare_command if isolation.backend == "unshare" else plain_command
    return build(worker_index, scratch, uid), scratch
