from codemill.recipe.data import DataConfig
from codemill.common.executors import make_executor
from codemill.datasets.normalize import Normalize


def test_recipe_keys_select_and_configure_the_executor(tmp_path):
    local = make_executor(DataConfig(workers=3), [Normalize()], tasks=2, logging_dir=str(tmp_path / "a"))
    assert type(local).__name__ == "LocalExecutor" and local.workers == 2
    slurm_config = DataConfig(executor="slurm", slurm={"partition": "short", "time": "01:00:00", "sbatch_args": {"account": "lab"}})
    slurm = make_executor(slurm_config, [Normalize()], tasks=8, logging_dir=str(tmp_path / "b"))
    assert type(slurm).__name__ == "SlurmPipelineExecutor"
    assert (slurm.partition, slurm.time, slurm.world_size) == ("short", "01:00:00", 8)
    assert slurm.get_sbatch_args()["account"] == "lab"
    ray = make_executor(DataConfig(executor="ray", ray={"cpus_per_task": 2}), [Normalize()], tasks=4, logging_dir=str(tmp_path / "c"))
    assert type(ray).__name__ == "RayPipelineExecutor" and ray.world_size == 4 and ray.cpus_per_task == 2


def test_dedup_switches_remove_their_stages(tmp_path):
    from codemill.datasets.build import _plan, _stages
    from codemill.recipe.loader import Recipe

    def stage_names(dedup):
        recipe = Recipe(name="x", output_dir=tmp_path, data={"decontamination": {"enabled": False}, "dedup": dedup})
        stages = _stages(recipe, _plan(recipe), inputs=[])
        records = dict((name, pipeline) for name, pipeline, _ in stages)["finalize_records"]
        return [name for name, _, _ in stages], records[0].input_folder

    names, source = stage_names({})
    assert names[:2] == ["prepare", "exact_signatures"] and "minhash_clusters" in names and source.endswith("deduped")
    assert names[-2:] == ["finalize_records", "finalize"]
    names, source = stage_names({"exact": False, "near": False})
    assert names == ["prepare", "finalize_records", "finalize"] and source.endswith("prepared")
