"""Execution and generation speed of the evals stage, each against a baseline measured in the same run.

Execution: every HumanEval canonical solution plus one wrong variant per task, run (a) by codemill's
sandbox pool (bwrap + fork-server workers) and (b) by the reference approach of the original HumanEval
harness, written here: one multiprocessing.Process per sample, a Manager list for the verdict, a
reliability guard, threads to keep `--workers` processes in flight. Generation: tokens/s of batched
vs one-prompt-at-a-time greedy generation on a tiny random Llama.

    .venv/bin/python benchmarks/eval_exec.py [--repeats 3] [--workers 2] [--skip-generation]
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import faulthandler
import io
import multiprocessing
import os
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from codemill.benchmarks import load_benchmark
from codemill.sandbox import Job, Limits, SandboxPool, detect

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "evals" / "HumanEval.jsonl.gz"
WRONG_BODY = "    return None\n"


def programs() -> list[tuple[str, str, bool]]:
    """(key, program, should_pass) for every canonical solution and one wrong variant per task."""
    problems = load_benchmark("humaneval", DATA).problems
    right = [(p.task_id, p.program(p.reference), True) for p in problems]
    wrong = [(p.task_id + "/wrong", p.program(WRONG_BODY), False) for p in problems]
    return right + wrong


# --- the reference approach: one process per sample with a reliability guard -------------------------

def _guard(memory_bytes: int) -> None:
    """Best-effort in-process guard: rlimits, then destructive functions disabled."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
    faulthandler.disable()
    builtins.exit = builtins.quit = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork",
                 "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod", "fchown",
                 "chmod", "chown", "chroot", "lchown", "getcwd", "chdir"):
        setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None
    import subprocess

    subprocess.Popen = None


def _raise_timeout(*_args) -> None:
    raise TimeoutError("timed out")


def _unsafe_execute(program: str, timeout: float, result) -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        rmtree, rmdir, chdir = shutil.rmtree, os.rmdir, os.chdir
        _guard(2 * 1024 ** 3)
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout)
            signal.signal(signal.SIGALRM, _raise_timeout)
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                exec(program, {"__name__": "__main__"})
            signal.setitimer(signal.ITIMER_REAL, 0)
            result.append("passed")
        except TimeoutError:
            result.append("timed out")
        except BaseException as error:
            result.append(f"failed: {error!r}")
        shutil.rmtree, os.rmdir, os.chdir = rmtree, rmdir, chdir


def _check_reference(program: str, timeout: float = 3.0) -> str:
    manager = multiprocessing.Manager()
    result = manager.list()
    process = multiprocessing.Process(target=_unsafe_execute, args=(program, timeout, result))
    process.start()
    process.join(timeout=timeout + 1)
    if process.is_alive():
        process.kill()
    verdict = result[0] if result else "timed out"
    manager.shutdown()
    return verdict


def run_reference(items, workers: int) -> tuple[float, int]:
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        verdicts = list(pool.map(lambda item: _check_reference(item[1]), items))
    elapsed = time.perf_counter() - start
    correct = sum((v == "passed") == item[2] for v, item in zip(verdicts, items))
    return elapsed, correct


def run_codemill(items, workers: int, isolation) -> tuple[float, int]:
    start = time.perf_counter()
    with SandboxPool(workers, Limits(wall_s=3.0), isolation) as pool:
        outcomes = {o.key: o.status for o in pool.map(Job(key, program) for key, program, _ in items)}
    elapsed = time.perf_counter() - start
    correct = sum((outcomes[key] == "pass") == should for key, _, should in items)
    return elapsed, correct


def run_canonical_only(items, workers: int, isolation) -> float:
    return run_codemill([item for item in items if item[2]], workers, isolation)[0]


# --- generation -------------------------------------------------------------------------------------

def generation_benchmark(repeats: int, batch_size: int = 8, prompts_n: int = 16, new_tokens: int = 24) -> dict:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    problems = load_benchmark("humaneval", DATA, limit=prompts_n).problems
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1024, special_tokens=["<eos>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator([p.prompt for p in problems], trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<eos>", pad_token="<eos>", padding_side="left")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=2048)
    lm = LlamaForCausalLM(config).eval()
    prompts = [p.prompt for p in problems]

    def generate(batch: list[str]) -> int:
        encoded = fast(batch, return_tensors="pt", padding=True)
        with torch.inference_mode():
            lm.generate(**encoded, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                        pad_token_id=fast.pad_token_id)
        return new_tokens * len(batch)

    def batched() -> int:
        return sum(generate(prompts[i:i + batch_size]) for i in range(0, len(prompts), batch_size))

    def single() -> int:
        return sum(generate([prompt]) for prompt in prompts)

    rates = {}
    for name, fn in (("batched", batched), ("one_at_a_time", single)):
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            tokens = fn()
            samples.append(tokens / (time.perf_counter() - start))
        rates[name] = statistics.median(samples)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-generation", action="store_true")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"shared data not found: {DATA}")
    items = programs()
    isolation = detect()
    print(f"sandbox backend: {isolation.backend}; warnings: {isolation.warnings or 'none'}")
    print(f"{len(items)} samples ({len(items) // 2} canonical + {len(items) // 2} wrong), {args.workers} workers, "
          f"{os.cpu_count()} cores, median of {args.repeats}")
    ours, reference, canonical = [], [], []
    for _ in range(args.repeats):
        elapsed, correct = run_codemill(items, args.workers, isolation)
        assert correct == len(items), f"codemill misjudged {len(items) - correct} samples"
        ours.append(elapsed)
        elapsed, correct = run_reference(items, args.workers)
        assert correct == len(items), f"reference misjudged {len(items) - correct} samples"
        reference.append(elapsed)
        canonical.append(run_canonical_only(items, args.workers, isolation))
    ours_rate, ref_rate = len(items) / statistics.median(ours), len(items) / statistics.median(reference)
    print(f"codemill sandbox pool : {ours_rate:7.1f} samples/s (median {statistics.median(ours):.2f} s)")
    print(f"reference per-process : {ref_rate:7.1f} samples/s (median {statistics.median(reference):.2f} s)")
    print(f"ratio                 : {ours_rate / ref_rate:.2f}x  (target >= 2x)")
    print(f"164 canonical only    : {statistics.median(canonical):.2f} s incl. pool start (target < 10 s)")
    if not args.skip_generation:
        rates = generation_benchmark(args.repeats)
        print(f"generation batched    : {rates['batched']:7.1f} tokens/s")
        print(f"generation one-by-one : {rates['one_at_a_time']:7.1f} tokens/s")
        print(f"ratio                 : {rates['batched'] / rates['one_at_a_time']:.2f}x")


if __name__ == "__main__":
    main()
