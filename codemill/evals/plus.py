"""HumanEval+ / MBPP+ scoring, as EvalPlus does it: differential tests against the canonical solution.

1. Expected outputs: the canonical solution runs on every base and plus input inside the sandbox; its
   outputs (as Python source) and per-input times come back through the sample's captured output, a
   few kilobytes per job, resumed from (input, character offset) until every input is read. They are
   cached per benchmark digest in `$CODEMILL_CACHE/evalplus/`.
2. Each sample runs every base input, then every plus input, each under its own time limit
   `max(floor, factor x canonical time)`; an output matches when it is equal, or within `atol` when the
   expected value is a float or a list of floats (atol 1e-6 when the file says 0). A sample passes
   only if every input matches; it passes the *base* tests if every base input matched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from codemill.benchmarks import Problem
from codemill.common.atomic import atomic_write_json
from codemill.sandbox import Job, SandboxPool

FACTOR = 4.0  # per-input limit = max(FLOOR_S, FACTOR x the canonical solution's time), as EvalPlus
FLOOR_S = 1.0
TASK_CAP_S = 60.0  # a sample's whole wall clock never exceeds this (+ start-up)
CHUNK_BYTES = 3000  # what one reference job reports; the sandbox keeps the first 4 KiB of output
REFERENCE_JOB_S = 60.0
BASE_MARK_BYTES = 16

_PRELUDE = '''
import copy as _cm_copy
import json as _cm_json
import math as _cm_math
import os as _cm_os
import signal as _cm_signal
import sys as _cm_sys
import time as _cm_time

_CM_NAMES = {"__builtins__": {}, "inf": _cm_math.inf, "nan": _cm_math.nan, "set": set, "frozenset": frozenset,
             "tuple": tuple, "list": list, "dict": dict, "float": float, "complex": complex, "range": range}
_CM_INPUTS = eval(%(base)r, _CM_NAMES) + eval(%(plus)r, _CM_NAMES)
_CM_FN = globals()[%(entry)r]


class _CmSink:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


_cm_sys.stdout = _cm_sys.stderr = _CmSink()
'''

_REFERENCE = _PRELUDE + '''
_cm_index, _cm_offset, _cm_used = %(start)r, %(offset)r, 0
_cm_began = _cm_time.monotonic()
while _cm_index < len(_CM_INPUTS) and _cm_time.monotonic() - _cm_began < 20:
    _cm_clock = _cm_time.perf_counter()
    try:
        _cm_text, _cm_ok = repr(_CM_FN(*_cm_copy.deepcopy(_CM_INPUTS[_cm_index]))), True
        eval(_cm_text, dict(_CM_NAMES))
    except BaseException as _cm_error:
        _cm_text, _cm_ok = f"{type(_cm_error).__name__}: {_cm_error}"[:200], False
    _cm_spent = _cm_time.perf_counter() - _cm_clock
    _cm_room = %(budget)d - _cm_used - 80
    if _cm_room < 40:
        break
    _cm_chunk = _cm_text[_cm_offset:_cm_offset + _cm_room]
    _cm_line = _cm_json.dumps([_cm_index, _cm_offset, len(_cm_text), _cm_spent, _cm_ok, _cm_chunk])
    while len(_cm_line) > _cm_room + 80 and len(_cm_chunk) > 1:
        _cm_chunk = _cm_chunk[:len(_cm_chunk) // 2]
        _cm_line = _cm_json.dumps([_cm_index, _cm_offset, len(_cm_text), _cm_spent, _cm_ok, _cm_chunk])
    _cm_os.write(1, (_cm_line + "\\n").encode())
    _cm_used += len(_cm_line) + 1
    if _cm_offset + len(_cm_chunk) < len(_cm_text):
        _cm_offset += len(_cm_chunk)
        break
    _cm_index, _cm_offset = _cm_index + 1, 0
'''

_CHECK = _PRELUDE + '''
_CM_EXPECTED = [None if _t is None else eval(_t, dict(_CM_NAMES)) for _t in _cm_json.loads(%(expected)r)]
_CM_LIMITS, _CM_N_BASE, _CM_ATOL = %(limits)r, %(n_base)d, %(atol)r


class _CmTimeout(BaseException):
    pass


def _cm_alarm(signum, frame):
    raise _CmTimeout()


def _cm_floats(value):
    if isinstance(value, float):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, float) for v in value)


def _cm_close(got, want, atol):
    if isinstance(want, (list, tuple)):
        return (isinstance(got, (list, tuple)) and len(got) == len(want)
                and all(_cm_close(g, w, atol) for g, w in zip(got, want)))
    if isinstance(got, bool) or not isinstance(got, (int, float)) or not isinstance(want, (int, float)):
        return got == want
    if _cm_math.isnan(want) or _cm_math.isnan(got):
        return _cm_math.isnan(want) and _cm_math.isnan(got)
    return abs(got - want) <= atol + 1e-7 * abs(want)


def _cm_match(got, want):
    try:
        if got == want:
            return True
    except BaseException:
        pass
    atol = _CM_ATOL or (1e-6 if _cm_floats(want) else 0)
    return bool(atol) and _cm_close(got, want, atol)


_cm_signal.signal(_cm_signal.SIGALRM, _cm_alarm)
for _cm_index, _cm_args in enumerate(_CM_INPUTS):
    if _cm_index == _CM_N_BASE and _CM_N_BASE:
        _cm_os.write(1, %(mark)r.encode())
    _cm_stage = "base" if _cm_index < _CM_N_BASE else "plus"
    if _CM_LIMITS[_cm_index] is None:  # the canonical solution itself raised here
        continue
    _cm_signal.setitimer(_cm_signal.ITIMER_REAL, _CM_LIMITS[_cm_index])
    try:
        _cm_got = _CM_FN(*_cm_copy.deepcopy(_cm_args))
    except _CmTimeout:
        raise AssertionError(f"{_cm_stage} input {_cm_index}: timed out after {_CM_LIMITS[_cm_index]:.2f} s")
    except BaseException as _cm_error:
        raise AssertionError(f"{_cm_stage} input {_cm_index}: raised {type(_cm_error).__name__}: {_cm_error}")
    finally:
        _cm_signal.setitimer(_cm_signal.ITIMER_REAL, 0)
    if not _cm_match(_cm_got, _CM_EXPECTED[_cm_index]):
        raise AssertionError(f"{_cm_stage} input {_cm_index}: got {repr(_cm_got)[:200]}, "
                             f"expected {repr(_CM_EXPECTED[_cm_index])[:200]}")
if _CM_N_BASE == len(_CM_INPUTS):
    _cm_os.write(1, %(mark)r.encode())
'''


def cache_dir() -> Path:
    return Path(os.environ.get("CODEMILL_CACHE") or "~/.cache/codemill").expanduser() / "evalplus"


def _reference_program(problem: Problem, start: int, offset: int) -> str:
    plus = problem.plus
    harness = _REFERENCE % {"base": plus.base, "plus": plus.plus, "entry": problem.entry_point, "start": start,
                            "offset": offset, "budget": CHUNK_BYTES}
    return f"{problem.prompt}{problem.reference}\n\n{harness}\n"


class _Reader:
    """Reassembles one task's expected outputs from the chunks its reference jobs print."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.total = problem.plus.n_base + problem.plus.n_plus
        self.texts: list[str] = []
        self.times: list[float] = []
        self.ok: list[bool] = []
        self.index, self.offset = 0, 0
        self.error: str | None = None

    @property
    def done(self) -> bool:
        return self.error is not None or self.index >= self.total

    def feed(self, output: str, status: str, error: str) -> None:
        progressed = False
        for line in output.splitlines():
            try:
                index, offset, length, spent, ok, chunk = json.loads(line)
            except (ValueError, TypeError):
                continue
            if index != self.index or offset != self.offset:
                continue
            if offset == 0:
                self.texts.append("")
                self.times.append(float(spent))
                self.ok.append(bool(ok))
            self.texts[-1] += chunk
            self.offset += len(chunk)
            if self.offset >= length:
                self.index, self.offset = self.index + 1, 0
            progressed = True
        if not progressed and not self.done:
            self.error = f"the canonical solution stopped at input {self.index}: {status} {error}".strip()

    def result(self) -> dict:
        expected = [text if ok else None for text, ok in zip(self.texts, self.ok)]
        failed = {index: text for index, (text, ok) in enumerate(zip(self.texts, self.ok)) if not ok}
        return {"expected": expected, "times": self.times, "reference_errors": failed, "error": self.error}


def compute_expected(problems: list[Problem], pool: SandboxPool, progress=None) -> dict[str, dict]:
    """{task_id: {expected, times, reference_errors, error}} by running each canonical solution in the sandbox."""
    readers = {problem.task_id: _Reader(problem) for problem in problems}
    while True:
        todo = [reader for reader in readers.values() if not reader.done]
        if not todo:
            break
        jobs = [Job(reader.problem.task_id, _reference_program(reader.problem, reader.index, reader.offset),
                    REFERENCE_JOB_S) for reader in todo]
        for outcome in pool.map(jobs):
            reader = readers[outcome.key]
            reader.feed(outcome.output, outcome.status, outcome.error)
            if progress is not None and reader.done:
                progress.advance(1)
    return {task_id: reader.result() for task_id, reader in readers.items()}


def expected_outputs(problems: list[Problem], pool: SandboxPool, digest: str, progress=None) -> dict[str, dict]:
    """`compute_expected`, cached per benchmark digest (each task also keyed by its own content)."""
    from codemill.benchmarks import problems_fingerprint

    path = cache_dir() / f"{problems[0].benchmark.replace('+', 'plus')}-{digest[:16]}.json"
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    keys = {problem.task_id: problems_fingerprint([problem]) for problem in problems}
    missing = [p for p in problems if (cache.get(p.task_id) or {}).get("key") != keys[p.task_id]]
    if progress is not None:
        progress.advance(len(problems) - len(missing))
    if missing:
        for task_id, entry in compute_expected(missing, pool, progress).items():
            cache[task_id] = {"key": keys[task_id], **entry}
        atomic_write_json(path, cache)
    return {problem.task_id: cache[problem.task_id] for problem in problems}


def limits_for(entry: dict) -> list[float | None]:
    return [None if text is None else max(FLOOR_S, FACTOR * spent)
            for text, spent in zip(entry["expected"], entry["times"])]


def with_checks(problem: Problem, entry: dict) -> tuple[Problem, float, str]:
    """The problem with its differential test harness, the sample's wall clock, and the base-pass mark."""
    limits = limits_for(entry)
    mark = hashlib.sha256(f"{problem.task_id}\0{entry['expected']}".encode()).hexdigest()[:BASE_MARK_BYTES]
    plus = problem.plus
    test = _CHECK % {"base": plus.base, "plus": plus.plus, "entry": problem.entry_point,
                     "expected": json.dumps(entry["expected"]), "limits": limits, "n_base": plus.n_base,
                     "atol": plus.atol, "mark": mark}
    wall = min(TASK_CAP_S, sum(limit for limit in limits if limit)) + 2.0
    return dataclasses.replace(problem, test=test), round(wall, 3), mark


def classify(status: str, error: str, output: str, mark: str) -> tuple[str, bool]:
    """(status, passed the base inputs) for one sample's outcome."""
    base_passed = status == "pass" or mark in output
    if status == "fail" and ": timed out after " in error:
        status = "timeout"
    return status, base_passed
