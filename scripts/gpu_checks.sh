#!/usr/bin/env bash
# The finetune GPU checks of issue 19 in one prepared run, for an H100/H200 lent through the device tool.
#
#   here (CPU):  scripts/gpu_checks.sh wheels      # once: the packages the GPU image lacks, into .whl/
#   device run:  carry [".whl"], timeout_s 600, command:
#                PYTHONUNBUFFERED=1 bash scripts/gpu_checks.sh run
#
# `run` works through the phases in order of value and skips a phase when less time is left than it needs
# (DEADLINE_S, default 540 s of the 600 s a command may run), so a cut-short run still returns what it
# measured. Everything lands in $OUT (or ./gpu-checks-out): summary.md (the tables to paste into
# benchmarks/RESULTS.md, device named), throughput.json, profile.json, estimate.json, env.txt, log.txt.
# PHASES picks phases (default "speed qlora profile options estimate"); a second call with PHASES=estimate
# finishes the held-out estimate check when the first ran out of time.
#
# Phases, with their cost on an H200 (model load ~15 s and ~10 s of imports per configuration):
#   speed     trl packing=True at batch 2 and 4 (the baseline, at its best batch), trl packing off at
#             batch 8 (second column), codemill bf16-adapter LoRA at packed batch 1..4 (per-token time),
#             and at batch 2 with token metrics on (their cost); 7B Qwen2 shape, seq 2048   ~5 min
#   qlora     codemill QLoRA-7B at batch 1 and 2: the peak that must stay under 16 GB           ~1 min
#   profile   torch.profiler breakdown of 3 steps of codemill LoRA at batch 2                    ~1 min
#   options   flex attention at packed batch 2 and 4 (per-token time without the dense mask), half the
#             layers checkpointed at batch 2, and the flex no-leakage test                       ~3 min
#   estimate  benchmarks/estimate_check.py --split held-out (fit points are the RESULTS.md runs) ~6 min
set -uo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-run}"
VERSIONS="trl==1.16.0 datasets==5.2.0 bitsandbytes==0.50.2 liger-kernel==0.8.5 pydantic==2.14.4 pydantic-core==2.50.5
annotated-types==0.8.0 typing-inspection==0.4.5 dill==0.4.1 multiprocess==0.70.19"

if [ "$MODE" = wheels ]; then
    grep -qxF '/.whl/' .git/info/exclude || echo '/.whl/' >> .git/info/exclude
    # shellcheck disable=SC2086
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl $VERSIONS
    du -sh .whl
    exit
fi
[ "$MODE" = run ] || { echo "usage: scripts/gpu_checks.sh wheels|run" >&2; exit 2; }

OUT="${OUT:-$PWD/gpu-checks-out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
START=$(date +%s)
DEADLINE_S="${DEADLINE_S:-540}"
PHASES="${PHASES:-speed qlora profile options estimate}"
WORK="${WORK:-/tmp/codemill-gpu}"
PY=python3
left() { echo $(( DEADLINE_S - ($(date +%s) - START) )); }

if ls .whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || { echo "wheel install failed"; exit 1; }
    export PYTHONPATH="/tmp/site:$PWD"
else
    export PYTHONPATH="$PWD"
fi
export WANDB_MODE=disabled HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    $PY - <<'EOF'
import importlib
for name in ["torch", "transformers", "trl", "peft", "accelerate", "datasets", "bitsandbytes", "liger_kernel",
             "flash_attn", "pydantic"]:
    try:
        module = importlib.import_module(name)
        print(name, getattr(module, "__version__", "?"))
    except Exception as error:  # report every missing piece at once
        print(name, "MISSING:", type(error).__name__, str(error)[:120])
import torch
print("cuda", torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "NO GPU")
import codemill.finetune.train  # noqa: F401  (fails here, not after the model is built, when a dependency is missing)
EOF
} > "$OUT/env.txt" 2>&1 || { cat "$OUT/env.txt"; echo "preflight failed"; exit 1; }
cat "$OUT/env.txt"

bench() {  # bench NAME NEED_S ARGS...: finetune_throughput.py into $OUT/NAME.json when NEED_S seconds are left
    local name=$1 need=$2; shift 2
    if [ "$(left)" -lt "$need" ]; then echo "SKIPPED $name: $(left) s left, needs ~$need s"; return; fi
    echo "== $name ($(left) s left)"
    $PY benchmarks/finetune_throughput.py --size 7b --work "$WORK/7b" --out "$OUT/$name.json" "$@"
}

for phase in $PHASES; do
    case $phase in
    speed)
        bench throughput 280 --steps 8 --warmup 2 \
            --configs trl-lora:2,trl-lora:4,base-lora:8,codemill-lora-liger-bf16ad:1,codemill-lora-liger-bf16ad:2,codemill-lora-liger-bf16ad:3,codemill-lora-liger-bf16ad:4,codemill-lora-liger-bf16ad-metrics:2 ;;
    qlora)
        bench qlora 70 --steps 4 --warmup 1 --configs codemill-qlora-liger:1,codemill-qlora-liger:2 ;;
    profile)
        bench profile 60 --steps 6 --warmup 2 --profile --profile-steps 3 --configs codemill-lora-liger-bf16ad:2 ;;
    options)
        bench options 150 --steps 8 --warmup 3 \
            --configs codemill-lora-liger-bf16ad-flex:2,codemill-lora-liger-bf16ad-flex:4,codemill-lora-liger-bf16ad-ckpt14:2
        if [ "$(left)" -ge 60 ]; then
            $PY -m pytest -q -p no:cacheprovider tests/finetune/test_speed.py -k flex_attention 2>&1 | tail -3
        fi ;;
    estimate)
        if [ "$(left)" -lt 90 ]; then echo "SKIPPED estimate: $(left) s left"; continue; fi
        echo "== estimate ($(left) s left)"
        timeout $(( $(left) - 10 )) $PY benchmarks/estimate_check.py --split held-out --steps 3 \
            --work "$WORK" --out "$OUT/estimate.json" ;;
    *) echo "unknown phase $phase" ;;
    esac
done

$PY - "$OUT" <<'EOF'
import json, sys
from pathlib import Path
sys.path.insert(0, "benchmarks")
import estimate_check, finetune_throughput

out = Path(sys.argv[1])
lines = [f"Device: {(out / 'env.txt').read_text().splitlines()[0]}", ""]
for name in ("throughput", "qlora", "profile", "options"):
    path = out / f"{name}.json"
    if path.exists():
        rows = json.loads(path.read_text())
        lines += [f"### {name}", "", *finetune_throughput.report(rows), ""]
        for row in rows:
            if "profile" in row:
                lines += ["```", json.dumps(row["profile"], indent=1), "```", ""]
path = out / "estimate.json"
if path.exists():
    lines += ["### estimate, held-out", "", *estimate_check.report(json.loads(path.read_text())), ""]
(out / "summary.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
echo "done in $(( $(date +%s) - START )) s"
