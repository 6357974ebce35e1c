"""Reading the built dataset: clear errors for a missing or malformed one."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from codemill.finetune.data import DatasetMissingError, load_training_data
from tests.finetune.conftest import chat_rows, write_dataset


def test_missing_dataset_says_to_build_it(tmp_path):
    with pytest.raises(DatasetMissingError, match="run `codemill data build RECIPE` first"):
        load_training_data(tmp_path / "dataset")


def test_file_without_training_column_is_named(tmp_path):
    folder = tmp_path / "dataset" / "data"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), folder / "train-00000-of-00001.parquet")
    with pytest.raises(DatasetMissingError, match="train-00000-of-00001.parquet: has neither"):
        load_training_data(tmp_path / "dataset")


def test_splits_keep_only_the_training_column(tmp_path):
    write_dataset(tmp_path, chat_rows(5))
    train, validation = load_training_data(tmp_path / "dataset")
    assert train.column_names == ["messages"] and len(train) == 5 and validation is None
