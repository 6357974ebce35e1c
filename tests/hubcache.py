"""An offline Hugging Face cache built in a folder, laid out the way huggingface_hub reads it
(`hub/<kind>s--<owner>--<name>/refs/main` and `snapshots/<revision>/...`), for tests with HF_HUB_OFFLINE=1."""

from __future__ import annotations

import hashlib
from pathlib import Path


def snapshot(hf_home: Path, repo: str, kind: str = "model") -> Path:
    """A fresh snapshot folder for `repo` (kind `model` or `dataset`), registered as the `main` revision."""
    revision = hashlib.sha1(f"{kind}:{repo}".encode()).hexdigest()
    folder = Path(hf_home) / "hub" / f"{kind}s--{repo.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(revision)
    path = folder / "snapshots" / revision
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_tiny_model(hf_home: Path, repo: str, texts: list[str]) -> Path:
    """A tiny llama (2 layers) and a BPE tokenizer trained on `texts`, saved as the Hub model `repo`."""
    import torch
    from transformers import AutoModelForCausalLM

    from codemill.finetune.base_model import tiny_model_config, train_tokenizer
    from codemill.recipe.finetune import TinyModelConfig

    tiny = TinyModelConfig(vocab_size=400, hidden_size=32, intermediate_size=64, num_layers=2, num_heads=2,
                           max_position_embeddings=256)
    tokenizer = train_tokenizer(texts, tiny.vocab_size)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_model_config(tiny, tokenizer), dtype=torch.float32)
    path = snapshot(hf_home, repo)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def save_dataset(hf_home: Path, repo: str, rows: list[dict], split: str = "train") -> Path:
    """`rows` as the parquet file of a Hub dataset's split (`data/<split>-00000-of-00001.parquet`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = snapshot(hf_home, repo, kind="dataset")
    (path / "data").mkdir(exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path / "data" / f"{split}-00000-of-00001.parquet")
    return path
