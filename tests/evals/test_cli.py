"""The eval and compare commands, through typer's test runner."""

import json

from typer.testing import CliRunner

from codemill.cli import app

runner = CliRunner()


def test_eval_samples_then_compare(tiny_problem_file, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"task_id": f"Tiny/{i}", "completion": c}) + "\n"
                            for i, c in enumerate(["    return a + b\n", "    return -x\n", "    return xs[1]\n"])))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps({"task_id": f"Tiny/{i}", "completion": "    return 0\n"}) + "\n" for i in range(3)))
    for name, samples in (("base", bad), ("tuned", good)):
        result = runner.invoke(app, ["eval", "--samples", str(samples), "--data-file", str(tiny_problem_file),
                                     "-o", str(tmp_path / name), "--workers", "1"])
        assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "tuned" / "results.json").read_text())
    assert results["pass_at_k"]["pass@1"] == 2 / 3
    result = runner.invoke(app, ["compare", str(tmp_path / "base"), str(tmp_path / "tuned"), "-o", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    assert "fixed: Tiny/0, Tiny/1" in result.output


def test_eval_rejects_missing_inputs(tmp_path):
    result = runner.invoke(app, ["eval", "--samples", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "does not exist" in result.output
    result = runner.invoke(app, ["eval", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "exactly one of --model or --samples" in result.output
