"""Teachers: an OpenAI-compatible endpoint (the `openai` client), or a model run here with transformers or vLLM.

All three take a list of requests and call `on_reply(request, reply)` as each answer arrives, so the
caller can store it at once. A reply is `{"text", "finish_reason", "teacher"}`; `teacher` says exactly
who answered (endpoint + served model, or model + resolved revision).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from codemill.recipe.synthesize import TeacherConfig

KEY = "data.synthesize.teacher"


class TeacherError(RuntimeError):
    """The teacher cannot be used (unreachable, key refused, model missing); the message names the recipe key."""


@dataclass(frozen=True)
class Request:
    digest: str
    messages: list
    seed: int


OnReply = Callable[[Request, dict], None]


def teacher_identity(config: TeacherConfig) -> dict:
    """`config.identity()`, with a local model folder fingerprinted so that a rebuilt model is a new teacher."""
    identity = config.identity()
    folder = Path(config.model)
    if not config.endpoint and config.revision is None and folder.is_dir():
        files = sorted((p.name, p.stat().st_size) for p in folder.iterdir() if p.suffix in (".json", ".safetensors", ".bin"))
        config_text = (folder / "config.json").read_bytes() if (folder / "config.json").exists() else b""
        identity["revision"] = "local:" + hashlib.sha256(repr(files).encode() + config_text).hexdigest()[:16]
    return identity


class EndpointTeacher:
    """Chat completions from an OpenAI-compatible server, `max_concurrency` at a time.

    The `openai` client retries connection errors, 408/409/429 and 5xx with exponential backoff
    (honouring Retry-After) up to `max_retries` times; what still fails stops the task (rerun to
    resume: answered requests are cached), except a request the server rejects as invalid (400, 413,
    422), which is dropped as `request_rejected`."""

    def __init__(self, config: TeacherConfig):
        try:
            from openai import OpenAI
        except ImportError:
            raise TeacherError(f"{KEY}.endpoint: the openai client is not installed; pip install -e '.[synth]'") from None
        self.config = config
        self.client = OpenAI(base_url=config.endpoint, api_key=self._api_key(), max_retries=config.max_retries,
                             timeout=config.timeout_s)

    def _api_key(self) -> str:
        name = self.config.api_key_env
        if name is None:
            return "EMPTY"  # never fall back to OPENAI_API_KEY: it would be sent to whatever server this is
        value = os.environ.get(name)
        if not value:
            raise TeacherError(f"{KEY}.api_key_env: environment variable {name} is not set; export it with the endpoint's key")
        return value

    def _refused(self, error) -> TeacherError:
        name = self.config.api_key_env
        if name is None:
            return TeacherError(f"{KEY}.api_key_env: {self.config.endpoint} asks for a key (HTTP {error.status_code});"
                                " set api_key_env to the environment variable that holds it")
        return TeacherError(f"{KEY}.api_key_env: {self.config.endpoint} refused the key in ${name} (HTTP {error.status_code})")

    def preflight(self) -> list[str]:
        """Reach the server and check the key before any work; returns warnings."""
        import openai

        client = self.client.with_options(max_retries=1, timeout=min(10.0, self.config.timeout_s))
        try:
            served = [model.id for model in client.models.list()]
        except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
            raise self._refused(error) from None
        except openai.NotFoundError:
            return []  # a server without a model list
        except openai.APIConnectionError as error:
            raise TeacherError(f"{KEY}.endpoint: cannot reach {self.config.endpoint} ({error.__cause__ or error});"
                               " start the server or fix the URL") from None
        except openai.APIStatusError as error:
            raise TeacherError(f"{KEY}.endpoint: {self.config.endpoint} answered HTTP {error.status_code} to a model list request") from None
        if served and self.config.model not in served:
            return [f"{KEY}.model: {self.config.endpoint} does not list {self.config.model!r} (it lists {', '.join(served[:5])})"]
        return []

    def _one(self, request: Request) -> dict:
        import openai

        config = self.config
        try:
            response = self.client.chat.completions.create(
                model=config.model, messages=request.messages, temperature=config.temperature, top_p=config.top_p,
                max_tokens=config.max_new_tokens, seed=request.seed)
        except (openai.BadRequestError, openai.UnprocessableEntityError) as error:
            return {"error": f"request_rejected: HTTP {error.status_code}: {error.message[:200]}"}
        except openai.APIStatusError as error:
            if error.status_code == 413:
                return {"error": f"request_rejected: HTTP 413: {error.message[:200]}"}
            if error.status_code in (401, 403):
                raise self._refused(error) from None
            if error.status_code == 404:
                raise TeacherError(f"{KEY}.model: {config.endpoint} does not serve {config.model!r} (HTTP 404)") from None
            raise TeacherError(f"{KEY}.endpoint: {config.endpoint} kept failing (HTTP {error.status_code}) after"
                               f" {config.max_retries} retries; answered requests are cached, rerun to resume") from None
        except openai.APIConnectionError as error:
            raise TeacherError(f"{KEY}.endpoint: lost {config.endpoint} ({error.__cause__ or error}) after"
                               f" {config.max_retries} retries; answered requests are cached, rerun to resume") from None
        except openai.APIError as error:  # a 200 whose body is not a chat completion
            return {"error": f"bad_response: {str(error)[:200]}"}
        if not response.choices:
            return {"text": "", "finish_reason": None, "teacher": self._who(response)}
        choice = response.choices[0]
        return {"text": choice.message.content or "", "finish_reason": choice.finish_reason, "teacher": self._who(response)}

    def _who(self, response) -> dict:
        return {"endpoint": self.config.endpoint, "model": self.config.model, "served_model": getattr(response, "model", None)}

    def complete(self, requests: list[Request], on_reply: OnReply) -> None:
        with ThreadPoolExecutor(max_workers=self.config.max_concurrency) as pool:
            futures = {pool.submit(self._one, request): request for request in requests}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    if future.exception() is not None:
                        for other in pending:
                            other.cancel()
                        raise future.exception()
                    on_reply(futures[future], future.result())


class TransformersTeacher:
    """A chat model loaded here with transformers; generates `batch_size` prompts at a time."""

    def __init__(self, config: TeacherConfig):
        self.config = config
        self.model = self.tokenizer = None
        self.who: dict = {}

    def _load_tokenizer(self):
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(self.config.model, revision=self.config.revision,
                                                      trust_remote_code=self.config.trust_remote_code)
        except (OSError, ValueError) as error:
            raise TeacherError(f"{KEY}.model: cannot load the tokenizer of {self.config.model!r}: {error}") from None
        if not getattr(tokenizer, "chat_template", None):
            raise TeacherError(f"{KEY}.model: {self.config.model!r} has no chat template; use an instruct/chat model")
        return tokenizer

    def preflight(self) -> list[str]:
        self._load_tokenizer()
        return []

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        self.tokenizer = self._load_tokenizer()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(self.config.model, revision=self.config.revision, dtype=dtype,
                                                          trust_remote_code=self.config.trust_remote_code)
        if torch.cuda.is_available():
            self.model = self.model.to("cuda")
        self.model.eval()
        revision = getattr(self.model.config, "_commit_hash", None) or teacher_identity(self.config)["revision"]
        self.who = {"model": self.config.model, "revision": revision, "backend": "transformers"}

    def _stop_ids(self) -> set[int]:
        ids = self.model.generation_config.eos_token_id
        ids = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
        return ids | ({self.tokenizer.eos_token_id} if self.tokenizer.eos_token_id is not None else set())

    def complete(self, requests: list[Request], on_reply: OnReply) -> None:
        import torch

        if self.model is None:
            self._load()
        config, stops = self.config, self._stop_ids()
        for start in range(0, len(requests), config.batch_size):
            batch = requests[start:start + config.batch_size]
            prompts = [self.tokenizer.apply_chat_template(r.messages, tokenize=False, add_generation_prompt=True) for r in batch]
            encoded = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.model.device)
            torch.manual_seed(batch[0].seed)
            options = {"max_new_tokens": config.max_new_tokens, "pad_token_id": self.tokenizer.pad_token_id,
                       "do_sample": config.temperature > 0}
            if config.temperature > 0:
                options.update(temperature=config.temperature, top_p=config.top_p)
            with torch.inference_mode():
                output = self.model.generate(**encoded, **options)
            for request, tokens in zip(batch, output[:, encoded["input_ids"].shape[1]:].tolist()):
                finished = any(token in stops for token in tokens)
                text = self.tokenizer.decode(tokens, skip_special_tokens=True)
                on_reply(request, {"text": text, "finish_reason": "stop" if finished else "length", "teacher": self.who})


class VllmTeacher:
    """A chat model run here with vLLM (GPU; the `vllm` extra)."""

    def __init__(self, config: TeacherConfig):
        self.config = config
        self.llm = None

    def preflight(self) -> list[str]:
        try:
            import vllm  # noqa: F401
        except ImportError:
            raise TeacherError(f"{KEY}.backend: vllm is not installed (pip install -e '.[vllm]'); use backend: transformers") from None
        return []

    def complete(self, requests: list[Request], on_reply: OnReply) -> None:
        from vllm import LLM, SamplingParams

        config = self.config
        if self.llm is None:
            self.llm = LLM(model=config.model, revision=config.revision, trust_remote_code=config.trust_remote_code)
        who = {"model": config.model, "revision": config.revision or teacher_identity(config)["revision"], "backend": "vllm"}
        params = [SamplingParams(temperature=config.temperature, top_p=config.top_p if config.temperature > 0 else 1.0,
                                 max_tokens=config.max_new_tokens, seed=r.seed) for r in requests]
        outputs = self.llm.chat([r.messages for r in requests], params, use_tqdm=False)
        for request, result in zip(requests, outputs):
            choice = result.outputs[0]
            on_reply(request, {"text": choice.text, "finish_reason": choice.finish_reason, "teacher": who})


def make_teacher(config: TeacherConfig):
    if config.endpoint:
        return EndpointTeacher(config)
    return VllmTeacher(config) if config.backend == "vllm" else TransformersTeacher(config)
