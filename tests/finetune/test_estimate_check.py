"""benchmarks/estimate_check.py's plumbing on CPU: the fit/held-out split, the refit, and one tiny point end to end.

The measurements themselves need a GPU (scripts/gpu_checks.sh); here nothing is measured.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from codemill.finetune.estimate import FITTED
from tests.bench_script import load

check = load("estimate_check")


def test_held_out_points_vary_what_the_fit_never_saw():
    fit = [p for p in check.POINTS if p.split == "fit"]
    held = [p for p in check.POINTS if p.split == "held-out"]
    assert {p.name for p in fit}.isdisjoint(p.name for p in held)
    assert {(p.size, p.seq_len, p.rank) for p in fit} == {("7b", 2048, 16)}
    assert {p.seq_len for p in held} >= {1024, 4096} and {p.rank for p in held} >= {8, 64}
    assert {p.method for p in held} >= {"lora", "qlora", "dora"}
    llama = [p for p in held if p.size == "llama7b"]
    assert {"nockpt" in p.options for p in llama} == {True, False}
    fit_batches = {(p.method, p.batch) for p in fit}
    assert any(p.size == "7b" and p.seq_len == 2048 and (p.method, p.batch) not in fit_batches for p in held)


def test_refit_on_the_fit_points_recovers_known_constants():
    """Peaks made up from known constants: the refit finds them from the fit points alone."""
    truth = replace(FITTED, allocator_overhead=1.06, qlora_slack_per_token=FITTED.qlora_slack_per_token * 1.3,
                    live_share=tuple((key, share * 0.9) for key, share in FITTED.live_share))
    fit = [p for p in check.POINTS if p.split == "fit"]
    fused = {p.name: "liger" in p.options for p in check.POINTS}
    measured = [(p, check.estimate_gib(p, truth, fused[p.name])) for p in fit]
    refitted = check.refit(measured, fused)
    for point, gib in measured:
        assert check.estimate_gib(point, refitted, fused[point.name]) == pytest.approx(gib, rel=0.005)
    for point in check.select("lora-bs4,lora-seq4k-bs1,lora-r64,llama-lora-bs2", "all"):
        assert check.estimate_gib(point, refitted, True) == pytest.approx(check.estimate_gib(point, truth, True), rel=0.02)


def test_unknown_point_is_named():
    with pytest.raises(SystemExit, match="unknown nope"):
        check.select("lora-bs2,nope", "all")


def test_a_tiny_point_runs_end_to_end_and_is_reported_unmeasured(tmp_path):
    out = tmp_path / "rows.json"
    rows = check.main(["--size-map", "tiny", "--points", "llama-lora-bs1-nockpt", "--steps", "2",
                       "--work", str(tmp_path / "work"), "--out", str(out)])
    (row,) = rows
    assert not row.get("failed"), row.get("error")
    assert row["size"] == "tiny-llama" and row["split"] == "held-out" and row["measured_gib"] is None
    point = check.Point(name=row["name"], split=row["split"], size=row["size"], method=row["method"],
                        batch=row["batch"], seq_len=row["seq_len"], rank=row["rank"], options=tuple(row["options"]))
    # the estimate the training process printed is the one this script computes from the geometry alone
    assert row["estimate_gib"] == pytest.approx(check.estimate_gib(point), abs=0.01)
    assert "not measured" in "\n".join(check.report(rows)) and out.exists()


def test_fit_points_are_the_runs_of_the_recorded_table():
    """Each fit point, estimated as the script does, is a row of the measured H100 table in RESULTS.md."""
    from tests.finetune.test_estimate import MEASURED_H100

    recorded = sorted(estimate for estimate, _ in MEASURED_H100.values())
    for point in (p for p in check.POINTS if p.split == "fit"):
        estimate = check.estimate_gib(point, fused_loss="liger" in point.options)
        assert min(abs(estimate - value) for value in recorded) <= 0.006, point.name
