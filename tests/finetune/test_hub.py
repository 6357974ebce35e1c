"""`finetune push`: the adapter and the merged model go to the hub through huggingface_hub's client,
each with a card naming base, data sources with licences and eval results (a loopback hub here)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer

from codemill.finetune.base_model import resolve_base_model
from codemill.finetune.hub import push_run
from codemill.finetune.merge import merge_adapter
from codemill.finetune.outputs import write_recipe
from codemill.recipe.loader import Recipe
from tests.finetune.conftest import tiny_recipe


class _Hub(BaseHTTPRequestHandler):
    """The endpoints an upload uses: create a repo, check the card's YAML, pre-upload check, commit (files inline)."""

    commits: dict[str, dict[str, bytes]] = {}
    created: list[dict] = []

    def log_message(self, *args):
        pass

    def _reply(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path == "/api/repos/create":
            request = json.loads(body)
            self.created.append(request)
            self._reply({"url": f"{base}/{request['organization']}/{request['name']}"})
        elif self.path == "/api/validate-yaml":
            self._reply({})
        elif "/preupload/" in self.path:
            files = json.loads(body)["files"]
            self._reply({"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]})
        else:
            repo = self.path.split("/api/models/")[1].split("/commit/")[0]
            entries = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            self.commits[repo] = {e["value"]["path"]: base64.b64decode(e["value"]["content"])
                                  for e in entries if e["key"] == "file"}
            self._reply({"commitUrl": f"{base}/{repo}/commit/{'0' * 40}", "commitOid": "0" * 40})


@pytest.fixture
def hub(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_loopback")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hub.commits, _Hub.created = {}, []
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _run_folder(run):
    recipe = Recipe.model_validate({**tiny_recipe(run).model_dump(mode="json", exclude_none=True), "sources": [
        {"name": "se-cardano", "type": "stackexchange", "path": "dump.7z", "license": "CC BY-SA 4.0",
         "attribution": "Stack Exchange contributors"}]})
    base = resolve_base_model(recipe)
    torch.manual_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base), LoraConfig(r=4, target_modules="all-linear"))
    adapter = run / "finetune" / "adapter"
    model.save_pretrained(adapter)
    AutoTokenizer.from_pretrained(base).save_pretrained(adapter)
    (run / "finetune" / "run_info.json").write_text(json.dumps({"base_model": base, "method": "lora", "train_rows": 64}))
    write_recipe(recipe, run / "finetune" / "recipe.yaml")
    for which, score in (("base", 0.125), ("finetuned", 0.25)):
        folder = run / "eval" / which / "humaneval"
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps({"pass_at_k": {"pass@1": score}}))
    return run


def test_push_uploads_adapter_and_merged_model_with_cards(tiny_run, hub):
    run = _run_folder(tiny_run)
    merged = merge_adapter(run, run / "merged")
    urls = push_run(run, "me/tiny-adapter", merged_dir=merged, endpoint=hub)
    assert urls == [f"{hub}/me/tiny-adapter", f"{hub}/me/tiny-adapter-merged"]
    assert [(r["name"], r["visibility"]) for r in _Hub.created] == [("tiny-adapter", "private"),
                                                                     ("tiny-adapter-merged", "private")]
    adapter, full = _Hub.commits["me/tiny-adapter"], _Hub.commits["me/tiny-adapter-merged"]
    assert "adapter_model.safetensors" in adapter and "model.safetensors" in full
    card = adapter["README.md"].decode()
    assert "library_name: peft" in card and "base_model:" in card
    assert "| se-cardano | stackexchange | CC BY-SA 4.0 | Stack Exchange contributors |" in card
    assert "| humaneval | pass@1 | 0.125 | 0.250 |" in card and "value: 0.25" in card
    assert "library_name: transformers" in full["README.md"].decode()


def test_push_without_a_merged_model_says_what_to_run(tmp_path, hub):
    (tmp_path / "finetune" / "adapter").mkdir(parents=True)
    (tmp_path / "finetune" / "adapter" / "adapter_config.json").write_text("{}")
    with pytest.raises(ValueError, match="codemill finetune merge"):
        push_run(tmp_path, "me/x", merged_dir=tmp_path / "nothing", endpoint=hub)
    assert _Hub.created == []
