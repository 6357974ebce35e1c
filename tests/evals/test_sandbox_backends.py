"""The weaker backends still run samples and block the network; what they lack is recorded loudly."""

import pytest

from codemill.evals.sandbox import Job, Limits, SandboxPool, detect

PROGRAMS = {"honest": "assert sorted([3, 1, 2]) == [1, 2, 3]",
            "socket": "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)"}


@pytest.mark.parametrize("backend", ["unshare", "none"])
def test_weaker_backends_run_samples_and_record_their_gaps(backend):
    try:
        isolation = detect(backend)
    except RuntimeError as error:
        pytest.skip(str(error))
    assert isolation.backend == backend and isolation.warnings
    with SandboxPool(1, Limits(wall_s=3.0), isolation) as pool:
        outcomes = {o.key: o for o in pool.map(Job(key, program) for key, program in PROGRAMS.items())}
    assert outcomes["honest"].status == "pass"
    assert outcomes["socket"].status == "error"  # network namespace or, under "none", the seccomp filter
    expected_gap = "NOT isolated" if backend == "none" else "NOT read-only"
    assert expected_gap in str(isolation.record())


def test_a_layer_that_fails_to_load_stops_the_sample_before_it_runs():
    isolation = detect()
    isolation.seccomp_hex = "00" * 8  # one instruction and no return: the kernel rejects it
    with SandboxPool(1, Limits(wall_s=3.0), isolation) as pool:
        [outcome] = list(pool.map([Job("guarded", "print('ran')")]))
    assert outcome.status == "error" and "sandbox setup failed" in outcome.error
    assert "ran" not in outcome.output
