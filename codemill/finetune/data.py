"""Read the dataset `codemill data build` wrote (`<run_dir>/dataset/data/*.parquet`) for training."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from datasets import Dataset, load_dataset


class DatasetMissingError(ValueError):
    """The run folder has no usable dataset; the message says which file and what to do."""


def _split_files(dataset_dir: Path, split: str) -> list[str]:
    return sorted(str(path) for path in (dataset_dir / "data").glob(f"{split}-*.parquet"))


def _training_column(files: list[str]) -> str:
    """`messages` (chat) or `text` (completion): the column every file of the split must have."""
    found = None
    for file in files:
        names = set(pq.read_schema(file).names)
        column = "messages" if "messages" in names else "text" if "text" in names else None
        if column is None:
            raise DatasetMissingError(f"{file}: has neither a 'messages' nor a 'text' column (columns: {sorted(names)})")
        if found not in (None, column):
            raise DatasetMissingError(f"{file}: has '{column}' but other files of the split have '{found}'")
        found = column
    return found


def load_split(dataset_dir: Path, split: str) -> Dataset | None:
    """One split with only its training column, or None when the split has no files (validation)."""
    files = _split_files(dataset_dir, split)
    if not files:
        return None
    column = _training_column(files)
    data = load_dataset("parquet", data_files={split: files}, split=split)
    data = data.select_columns([column])
    if len(data) == 0:
        return None
    return data


def load_training_data(dataset_dir: Path) -> tuple[Dataset, Dataset | None]:
    """The train split (required) and the validation split (optional)."""
    if not (dataset_dir / "data").is_dir():
        raise DatasetMissingError(
            f"{dataset_dir}: no dataset here (expected data/train-*.parquet); run `codemill data build RECIPE` first"
        )
    train = load_split(dataset_dir, "train")
    if train is None:
        raise DatasetMissingError(f"{dataset_dir / 'data'}: no rows in train-*.parquet; the dataset build kept nothing")
    return train, load_split(dataset_dir, "validation")


def iter_texts(data: Dataset):
    """Every string in the split (message contents or text), to train a tokenizer on."""
    column = data.column_names[0]
    for row in data:
        if column == "text":
            yield row["text"]
        else:
            for message in row["messages"]:
                yield message["content"]
