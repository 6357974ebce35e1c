"""The model/finetune sections: defaults, and errors that name the key."""

from __future__ import annotations

import pytest

from codemill.recipe.base import RecipeError, validate_config
from codemill.recipe.loader import Recipe


def _recipe(**sections):
    return validate_config(Recipe, {"name": "t", **sections}, source="r.yaml")


def test_defaults_are_a_sensible_lora_run():
    ft = _recipe().finetune
    assert (ft.method, ft.lora.r, ft.lora.target_modules, ft.packing, ft.precision) == ("lora", 16, "all-linear", True, "auto")


@pytest.mark.parametrize("section, message", [
    ({"finetune": {"lora": {"r": "sixteen"}}}, "r.yaml: finetune.lora.r: must be an integer, got 'sixteen'"),
    ({"finetune": {"method": "full"}}, "finetune.method: must be one of"),
    ({"finetune": {"optimizer": "sgd"}}, "finetune.optimizer: must be one of"),
    ({"finetune": {"lora": {"dropout": 1.5}}}, "finetune.lora.dropout: must be less than 1"),
    ({"finetune": {"lr": 0.1}}, "finetune.lr: unknown key"),
    ({"model": {"chat_template": "vicuna"}}, "model.chat_template: must be one of chatml, plain or a .jinja"),
    ({"finetune": {"early_stopping_patience": 2}}, "early_stopping_patience: needs eval_steps"),
    ({"finetune": {"load_best_checkpoint": True, "eval_steps": 3, "save_steps": 4}}, "must be a multiple of eval_steps"),
    ({"finetune": {"neftune_noise_alpha": 0}}, "finetune.neftune_noise_alpha: must be greater than 0"),
    ({"finetune": {"lora": {"init": "svd"}}}, "finetune.lora.init: must be one of"),
    ({"finetune": {"lora": {"init": "loftq"}}}, "loftq initialises the adapter against the 4-bit base"),
    ({"model": {"name_or_path": "x", "tiny": {}}}, "set either name_or_path or tiny"),
])
def test_bad_values_name_the_key(section, message):
    with pytest.raises(RecipeError, match=None) as error:
        _recipe(**section)
    assert message in str(error.value)
