"""The recipe's eval section: benchmark names, custom needs data_file, k <= n_samples."""

import pytest
from pydantic import ValidationError

from codemill.recipe.eval import EvalConfig


def test_every_benchmark_name_and_hub_keys_are_accepted():
    config = EvalConfig(benchmarks=[{"name": "humaneval+"}, {"name": "mbpp+"}, {"name": "mbpp", "config": "sanitized",
                                                                              "revision": "main"}])
    assert [spec.name for spec in config.benchmarks] == ["humaneval+", "mbpp+", "mbpp"]


def test_k_must_not_exceed_n_samples():
    assert EvalConfig(n_samples=10, k=[1, 10]).k == [1, 10]
    with pytest.raises(ValidationError, match=r"k: 10 is more than n_samples \(5\)"):
        EvalConfig(n_samples=5, k=[1, 10])
