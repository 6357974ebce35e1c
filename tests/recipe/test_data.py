import pytest

from codemill.recipe.base import RecipeError
from codemill.recipe.loader import load_recipe


def test_recipe_errors_name_the_data_key(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: x\ndata:\n  dedup:\n    threshold: 1.5\n  filters:\n    min_charz: 3\n")
    with pytest.raises(RecipeError) as error:
        load_recipe(path)
    message = str(error.value)
    assert "data.dedup.threshold: must be less than 1" in message
    assert "data.filters.min_charz: unknown key; did you mean 'min_chars'?" in message
