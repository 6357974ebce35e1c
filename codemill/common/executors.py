"""One datatrove executor per stage, chosen by the recipe's `data.executor` key."""

from __future__ import annotations

import logging
import subprocess
import time


class StageIncomplete(RuntimeError):
    """A stage ended with tasks that left no completion marker; a rerun resumes them."""


def connect_ray(ray_config) -> None:
    """Join the Ray cluster at `data.ray.address` (or `RAY_ADDRESS`); with neither, start a local one.

    Worker output stays in Ray's own session logs and datatrove's per-task logs, not on this console."""
    import ray

    if not ray.is_initialized():
        ray.init(address=ray_config.address, log_to_driver=False, logging_level=logging.WARNING, include_dashboard=False)


def make_executor(data, pipeline: list, tasks: int, logging_dir: str, depends=None, job_name: str = "codemill"):
    """A local, Slurm or Ray executor running `pipeline` as `tasks` tasks after `depends` finishes."""
    if data.executor == "local":
        from codemill.common.local_executor import LocalExecutor
        from codemill.common.logs import current_log

        log = current_log()
        return LocalExecutor(pipeline, tasks=tasks, workers=min(data.workers, tasks), logging_dir=logging_dir, depends=depends,
                             console_log=str(log) if log else None)
    if data.executor == "slurm":
        from datatrove.executor.slurm import SlurmPipelineExecutor

        slurm = data.slurm
        return SlurmPipelineExecutor(
            pipeline, tasks=tasks, workers=data.workers, time=slurm.time, partition=slurm.partition,
            cpus_per_task=slurm.cpus_per_task, mem_per_cpu_gb=slurm.mem_per_cpu_gb, job_name=job_name,
            venv_path=slurm.venv_path, sbatch_args=dict(slurm.sbatch_args) or None, logging_dir=logging_dir, depends=depends,
        )
    from datatrove.executor.ray import RayPipelineExecutor

    return RayPipelineExecutor(
        pipeline, tasks=tasks, workers=data.workers, logging_dir=logging_dir, depends=depends,
        cpus_per_task=data.ray.cpus_per_task, mem_per_cpu_gb=data.ray.mem_per_cpu_gb, time=data.ray.task_timeout_s,
    )


def run_to_completion(executor, name: str, job: str = "data build") -> None:
    """Run one stage (here, on a Ray cluster, or as a Slurm job array waited for) and make sure every task finished.

    datatrove logs failed tasks and returns; a later stage would then read a partial input."""
    executor.run()
    if getattr(executor, "job_id", None):  # Slurm: sbatch returned; the array is done once it leaves the queue
        _wait_for_slurm(executor.job_id)
    missing = executor.get_incomplete_ranks(range(executor.world_size))
    if missing:
        shown = ", ".join(str(rank) for rank in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise StageIncomplete(
            f"{job}: stage '{name}' finished {executor.world_size - len(missing)} of {executor.world_size} "
            f"task(s); unfinished: {shown}. See {executor.logging_dir.path}/logs/ and rerun to resume them"
        )


def _wait_for_slurm(job_id: str, poll_s: float = 5) -> None:
    """Block until the Slurm job `job_id` (all of its array tasks) has left the queue."""
    while subprocess.run(["squeue", "-h", "-j", str(job_id)], capture_output=True, text=True).stdout.strip():
        time.sleep(poll_s)
