"""One datatrove executor per stage, chosen by the recipe's `data.executor` key."""

from __future__ import annotations


def make_executor(data, pipeline: list, tasks: int, logging_dir: str, depends=None, job_name: str = "codemill"):
    """A local, Slurm or Ray executor running `pipeline` as `tasks` tasks after `depends` finishes."""
    if data.executor == "local":
        from datatrove.executor.local import LocalPipelineExecutor

        return LocalPipelineExecutor(pipeline, tasks=tasks, workers=min(data.workers, tasks), logging_dir=logging_dir, depends=depends)
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
        cpus_per_task=data.ray.cpus_per_task, mem_per_cpu_gb=data.ray.mem_per_cpu_gb,
    )
