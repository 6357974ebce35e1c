"""Eval defaults live in one place, the recipe's `eval` section; the CLI and `evaluate` follow it."""

from __future__ import annotations

import inspect

from codemill.evals.cli import eval_command
from codemill.evals.generate import GenerationSettings
from codemill.evals.runner import evaluate
from codemill.sandbox import Limits
from codemill.recipe.eval import EvalConfig

CONFIG = EvalConfig()
SHARED = {"n_samples": CONFIG.n_samples, "temperature": CONFIG.temperature, "max_new_tokens": CONFIG.max_new_tokens,
          "batch_size": CONFIG.batch_size, "prompt_format": CONFIG.prompt_format, "backend": CONFIG.backend,
          "seed": CONFIG.seed, "workers": CONFIG.sandbox.workers, "sandbox": CONFIG.sandbox.backend}


def _defaults(function) -> dict:
    return {name: parameter.default for name, parameter in inspect.signature(function).parameters.items()}


def test_cli_defaults_are_the_recipe_defaults():
    options = _defaults(eval_command)
    assert {name: options[name].default for name in SHARED} == SHARED


def test_evaluate_defaults_are_the_recipe_defaults():
    arguments = _defaults(evaluate)
    assert {name: arguments[name] for name in SHARED} == SHARED
    assert (arguments["timeout_base_s"], arguments["timeout_factor"]) == (CONFIG.sandbox.timeout_base_s,
                                                                          CONFIG.sandbox.timeout_factor)


def test_generation_and_sandbox_defaults_are_the_recipe_defaults():
    settings, limits, box = GenerationSettings(), Limits(), CONFIG.sandbox
    assert (settings.n_samples, settings.temperature, settings.max_new_tokens, settings.batch_size, settings.seed) == (
        CONFIG.n_samples, CONFIG.temperature, CONFIG.max_new_tokens, CONFIG.batch_size, CONFIG.seed)
    assert (limits.memory_mb, limits.max_processes, limits.output_bytes) == (box.memory_mb, box.max_processes,
                                                                             box.output_bytes)
