"""Find the strongest isolation this machine allows and build the command that starts a sandbox worker.

Backends, strongest first: bubblewrap and `unshare` (util-linux) give the same view: network, pid, ipc
and uts namespaces; a private root with read-only binds of the system folders and the interpreter only
(home folders, /root, the checkout and the host's /tmp invisible), private size-capped tmpfs folders on
/tmp, /dev/shm and /var/tmp, shadow files masked; the worker is pid 1 of its namespace. `unshare` builds
that root itself (`rootfs.py`) and is used only where it can. Inside both, each sample also gets rlimits,
a new session, a scrubbed environment, a per-worker unprivileged uid when we are root, and a seccomp
filter where the architecture is covered. When neither works, `auto` refuses to run samples: only an
explicit `none` runs them unprotected. What is active and what is missing is recorded.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from codemill.sandbox.seccomp_filter import build_filter

WORKER_SOURCE = Path(__file__).with_name("worker.py")
ROOTFS_SOURCE = Path(__file__).with_name("rootfs.py")
SANDBOX_WORKER = "/sandbox/worker.py"
BACKENDS = ("auto", "bwrap", "unshare", "none")
BASE_UID = 61000
UID_BLOCK, UID_BLOCKS = 64, 1000  # each process's pools take uids from a block chosen by its pid
SYSTEM_TOPS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
PRIVATE_DIRS = ("/tmp", "/dev/shm", "/var/tmp")
MASKED_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-")
BWRAP_CAPS = "CAP_SETUID,CAP_SETGID,CAP_KILL,CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER"
INSTALL_HINT = "install bubblewrap (apt-get install bubblewrap; dnf or pacman: bubblewrap)"
USERNS_HINT = ("run as root or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; "
               "on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0)")


class SandboxUnavailable(RuntimeError):
    """No backend can contain samples here, or the one asked for by name does not work."""


@dataclass
class Isolation:
    """The chosen backend and a record of every layer: what is on, what is off and why."""

    backend: str
    layers: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seccomp_hex: str | None = None

    def record(self) -> dict:
        """For results.json: the backend, the names of the active and missing layers, how each works."""
        active = [name for name, how in self.layers.items() if not how.startswith("NOT")]
        missing = [name for name, how in self.layers.items() if how.startswith("NOT")]
        return {"backend": self.backend, "active_layers": active, "missing_layers": missing,
                "layers": self.layers, "warnings": self.warnings}


def _interpreter() -> str:
    return os.path.realpath(sys.executable)


def _prefixes() -> list[str]:
    """The interpreter's own install folders that the system binds do not already cover."""
    found = {os.path.realpath(sys.base_prefix), os.path.dirname(os.path.dirname(_interpreter()))}
    return sorted(prefix for prefix in found if not prefix.startswith(("/usr/", "/bin/", "/lib")) and prefix != "/usr")


def _worker_options(uid: int | None, scratch: str, contained: bool, probe: bool = False) -> str:
    return json.dumps({"uid": uid, "scratch": scratch, "contained": contained, "probe": probe,
                       "private_dirs": list(PRIVATE_DIRS) if contained else []})


def _system_binds() -> list[str]:
    """bwrap arguments: read-only binds of the system folders and of the interpreter's own prefix."""
    args = []
    for top in SYSTEM_TOPS:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for prefix in _prefixes():
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


def bwrap_command(scratch_mb: int, uid: int | None, probe: bool = False) -> list[str]:
    root = os.geteuid() == 0
    size = str(scratch_mb * 1024 * 1024)
    command = [shutil.which("bwrap") or "bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--as-pid-1", "--die-with-parent", "--new-session", "--clearenv",
               "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8"]
    command += [] if root else ["--unshare-user"]
    command += _system_binds()
    command += ["--proc", "/proc", "--dev", "/dev"]
    for folder in PRIVATE_DIRS:
        command += ["--perms", "01777", "--size", size, "--tmpfs", folder]
    command += ["--remount-ro", "/dev", "--ro-bind", str(WORKER_SOURCE), SANDBOX_WORKER, "--remount-ro", "/",
                "--chdir", "/tmp"]
    command += ["--cap-add", BWRAP_CAPS] if root else []
    return command + [_interpreter(), "-I", SANDBOX_WORKER, _worker_options(uid, "/tmp", True, probe)]


def unshare_command(scratch_mb: int, mountpoint: str, uid: int | None, probe: bool = False) -> list[str]:
    """`unshare` into new namespaces, build the private root over `mountpoint` (`rootfs.py`), exec the worker."""
    real_root = os.geteuid() == 0
    binds = [[top, top] for top in SYSTEM_TOPS if os.path.isdir(top) and not os.path.islink(top)]
    binds += [[prefix, prefix] for prefix in _prefixes()]
    binds += [[str(WORKER_SOURCE), SANDBOX_WORKER]]
    spec = {"mountpoint": mountpoint, "binds": binds, "scratch_mb": scratch_mb, "private_dirs": list(PRIVATE_DIRS),
            "symlinks": {top: os.readlink(top) for top in SYSTEM_TOPS if os.path.islink(top)},
            "masked": list(MASKED_FILES), "real_root": real_root, "chdir": "/tmp"}
    command = [shutil.which("unshare") or "unshare", "--mount", "--pid", "--net", "--ipc", "--uts", "--fork", "--kill-child"]
    command += [] if real_root else ["--user", "--map-root-user"]
    return command + [_interpreter(), "-I", str(ROOTFS_SOURCE), json.dumps(spec), "--",
                      _interpreter(), "-I", SANDBOX_WORKER, _worker_options(uid, "/tmp", True, probe)]


def plain_command(scratch: str, uid: int | None) -> list[str]:
    return [_interpreter(), "-I", str(WORKER_SOURCE), _worker_options(uid, scratch, False)]


def _probe(backend: str) -> str | None:
    """None when a real worker of `backend` runs a program as a sample would; else why not."""
    return _probe_once(backend, shutil.which(backend), os.geteuid())


@functools.lru_cache(maxsize=None)
def _probe_once(backend: str, path: str | None, euid: int) -> str | None:
    if path is None:
        return f"`{backend}` is not installed"
    uid = BASE_UID if euid == 0 else None
    mountpoint = tempfile.mkdtemp(prefix="codemill-probe-")
    try:
        command = bwrap_command(16, uid, True) if backend == "bwrap" else unshare_command(16, mountpoint, uid, True)
        result = subprocess.run(command, capture_output=True, text=True, timeout=30,
                                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`{backend}` failed to start: {error}"
    finally:
        shutil.rmtree(mountpoint, ignore_errors=True)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return f"`{backend}` does not work here: {lines[-1] if lines else f'exit status {result.returncode}'}"
    return None


CONTAINED_LAYERS = {
    "network": "new network namespace: no route out, and a loopback of its own",
    "filesystem": "private root: read-only system folders and interpreter only; home folders, /root, the checkout "
                  "and the host's /tmp invisible; shadow files masked",
    "private_tmp": "size-capped private tmpfs on /tmp, /dev/shm and /var/tmp, wiped after every sample",
    "processes": "new pid, ipc and uts namespaces; the worker is pid 1; every leftover process killed after "
                 "each sample",
}


def detect(prefer: str = "auto") -> Isolation:
    """The strongest backend that works here (or the one asked for); raises SandboxUnavailable rather than
    falling back to running samples unprotected, unless `prefer` is "none"."""
    if prefer not in BACKENDS:
        raise SandboxUnavailable(f"sandbox backend must be one of {', '.join(BACKENDS)}, got {prefer!r}")
    euid = os.geteuid()
    problems = {}
    for backend in ("bwrap", "unshare"):
        if prefer in ("auto", backend):
            problems[backend] = _probe(backend)
            if problems[backend] is None:
                isolation = Isolation(backend, dict(CONTAINED_LAYERS))
                _add_process_layers(isolation, euid == 0)
                return isolation
    hint = INSTALL_HINT if shutil.which("bwrap") is None else USERNS_HINT
    if prefer in ("bwrap", "unshare"):
        raise SandboxUnavailable(f"sandbox backend '{prefer}' was asked for but {problems[prefer]}; "
                                 f"{hint}, or use backend 'auto'")
    if prefer == "auto":
        why = "; ".join(problems.values())
        raise SandboxUnavailable(f"no sandbox can contain model-written code here ({why}), so codemill will not run "
                                 f"it; {hint}, or set `eval.sandbox: none` in the recipe (or pass "
                                 "`--sandbox none`) to run it without isolation at your own risk")
    isolation = Isolation("none", {name: "NOT isolated (sandbox: none)" for name in CONTAINED_LAYERS})
    isolation.warnings.append("sandbox: none was asked for: samples run WITHOUT namespaces and can reach the "
                              "network, the processes and the file system of this user")
    _add_process_layers(isolation, euid == 0)
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
    contained = isolation.backend != "none"
    isolation.layers["uid"] = f"per-worker unprivileged uid ({sample_uid(0)}+)" if root else \
        "NOT separate: samples keep codemill's uid" + (" (inside a user namespace)" if contained else "")
    stdlib = os.path.dirname(os.__file__)
    if root and not contained and not _world_readable(stdlib):
        isolation.warnings.append(f"the interpreter's standard library ({stdlib}) is not readable by other uids, so "
                                  "samples can import only the modules preloaded by the sandbox worker")
    if not root:
        isolation.warnings.append("not running as root: samples keep codemill's uid, so the process limit counts "
                                  "all of this user's processes" + ("" if contained else
                                                                    " and files of this user are readable"))
    isolation.layers["rlimits"] = "address space, CPU time, processes, file size, open files, no core dumps"
    isolation.layers["environment"] = "scrubbed (only PATH, LANG, HOME, TMPDIR)"
    isolation.layers["session"] = "new session and process group; whole group and uid killed after each sample"
    program = build_filter()
    isolation.seccomp_hex = program.hex() if program else None
    isolation.layers["seccomp"] = "deny list (ptrace, mount, namespaces, modules, bpf, io_uring, SysV IPC, " \
        "message queues, non-unix sockets)" \
        if program else "NOT available on this architecture"
    if not program:
        isolation.warnings.append("seccomp filter not available on this architecture")


def sample_uid(worker_index: int) -> int:
    """The unprivileged uid of a worker's samples: distinct for concurrent codemill processes (almost
    always), so they never share a process limit or can signal each other's samples."""
    return BASE_UID + UID_BLOCK * (os.getpid() % UID_BLOCKS) + worker_index % UID_BLOCK


def worker_command(isolation: Isolation, worker_index: int, scratch_mb: int) -> tuple[list[str], str | None]:
    """The command for worker `worker_index` and the host folder it needs (removed when the worker stops)."""
    uid = sample_uid(worker_index) if os.geteuid() == 0 else None
    if isolation.backend == "bwrap":
        return bwrap_command(scratch_mb, uid), None
    scratch = tempfile.mkdtemp(prefix="codemill-sandbox-")
    os.chmod(scratch, 0o711)
    if isolation.backend == "unshare":
        return unshare_command(scratch_mb, scratch, uid), scratch
    return plain_command(scratch, uid), scratch
