"""The house, read from the package's own imports (with `ast`, nothing imported).

recipe at the bottom; common, benchmarks, models and sandbox beside it; the stages (extract, datasets, finetune, evals)
as peers that import only those; the pipeline and the commands on top. No importlib strings, no lazy
`__getattr__` faces. Each rule is also run on a small made-up package, so a rule that finds nothing
because it is broken fails here too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "codemill"
BOTTOM = ("codemill.recipe", "codemill.common", "codemill.benchmarks", "codemill.models", "codemill.sandbox")
STAGES = ("codemill.extract", "codemill.datasets", "codemill.finetune", "codemill.evals")
PIPELINE = "codemill.pipeline"
BOTTOM_NAMES = ", ".join(name.removeprefix("codemill.") for name in BOTTOM)

# importlib for what is not ours: is an optional third-party package installed, which version is it.
ALLOWED_IMPORTLIB = ("importlib.util", "importlib.metadata")
# Imports by a name held in a variable, each with its reason; none names a codemill module.
ALLOWED_DYNAMIC = {
    "codemill.common.processes": "guards the forkservers of multiprocessing and of `multiprocess`, which may be absent",
    "codemill.sandbox.worker": "the sandbox worker preloads a fixed list of standard-library modules for samples",
}


@dataclass
class Module:
    name: str
    tree: ast.Module
    is_package: bool = False

    def imports(self) -> list[str]:
        """Every module this one imports, at any depth (function-level imports count)."""
        found = []
        package = self.name if self.is_package else self.name.rpartition(".")[0]
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                found.append(module)
                found += [f"{module}.{alias.name}" for alias in node.names if self._is_submodule(module, alias.name)]
        return found

    @staticmethod
    def _is_submodule(module: str, name: str) -> bool:
        """`from codemill.extract.stackexchange import spill` imports the module `...stackexchange.spill`."""
        folder = PACKAGE.parent.joinpath(*module.split("."))
        return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()


def read_package(root: Path = PACKAGE) -> list[Module]:
    modules = []
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        modules.append(Module(".".join(parts), ast.parse(path.read_text(encoding="utf-8")), is_package))
    return modules


def within(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def stage_of(name: str) -> str | None:
    return next((stage for stage in STAGES if within(name, stage)), None)


def is_command(name: str) -> bool:
    """The command layer: `codemill.cli` and each package's `cli` module sit on top, beside the pipeline."""
    return name == "codemill.cli" or name.endswith(".cli")


def layer_problems(module: Module) -> list[str]:
    problems = []
    for imported in module.imports():
        if not within(imported, "codemill") or imported == "codemill":
            continue
        where = f"{module.name} imports {imported}"
        if within(module.name, "codemill.recipe") and not within(imported, "codemill.recipe"):
            problems.append(f"{where}: the recipe package is the bottom of the house and imports nothing of codemill")
        elif within(module.name, *BOTTOM) and (stage_of(imported) or within(imported, PIPELINE)):
            problems.append(f"{where}: a bottom package ({BOTTOM_NAMES}) imports no stage or pipeline")
        if is_command(imported) and not (is_command(module.name) or within(module.name, PIPELINE)):
            problems.append(f"{where}: only commands import a command module")
        stage = stage_of(module.name)
        if stage is None or is_command(module.name) or within(imported, stage, *BOTTOM):
            continue
        if within(imported, PIPELINE):
            problems.append(f"{where}: a stage never imports the pipeline (the pipeline calls the stages)")
        else:
            problems.append(f"{where}: a stage imports only its own package and the bottom ones ({BOTTOM_NAMES}); "
                            "call another stage through the pipeline, or move the shared code to a bottom package")
    return problems


def pipeline_problems(module: Module) -> list[str]:
    """`pipeline/stages.py` reaches each stage through its package face (`codemill.extract.run_extract`, ...)."""
    if module.name != f"{PIPELINE}.stages":
        return []
    return [f"{module.name} imports {imported}: call the stage through its package face ({stage_of(imported)})"
            for imported in module.imports() if stage_of(imported) and imported not in STAGES]


def dynamic_import_problems(module: Module) -> list[str]:
    problems = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            names = []
        for name in names:
            if within(name, "importlib") and not within(name, *ALLOWED_IMPORTLIB):
                problems.append(f"{module.name}: imports {name}; import modules by name in plain import statements")
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if called in ("import_module", "__import__", "spec_from_file_location") and module.name not in ALLOWED_DYNAMIC:
                problems.append(f"{module.name}: calls {called}(); import modules by name in plain import statements")
            if called == "find_spec":
                argument = node.args[0] if node.args else None
                literal = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
                if not literal or within(argument.value, "codemill"):
                    problems.append(f"{module.name}: find_spec() is only for asking whether a third-party package "
                                    "is installed (a string literal, not codemill)")
    return problems


def lazy_face_problems(module: Module) -> list[str]:
    for node in module.tree.body:
        defined = isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
        assigned = isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__getattr__" for target in node.targets)
        if defined or assigned:
            return [f"{module.name}: a module-level __getattr__ hands names out lazily; import them plainly"]
    return []


RULES = (layer_problems, pipeline_problems, dynamic_import_problems, lazy_face_problems)


def problems_of(modules: list[Module]) -> list[str]:
    return [problem for module in modules for rule in RULES for problem in rule(module)]


def test_the_package_keeps_its_layers():
    modules = read_package()
    assert len(modules) > 100 and any(module.name == "codemill.pipeline.stages" for module in modules)
    assert problems_of(modules) == []


def test_every_allowed_dynamic_import_still_exists():
    modules = {module.name: module for module in read_package()}
    for name in ALLOWED_DYNAMIC:
        calls = [node for node in ast.walk(modules[name].tree) if isinstance(node, ast.Call)
                 and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("import_module", "__import__")]
        assert calls, name


def made_up(name: str, source: str) -> Module:
    return Module(name, ast.parse(source), name.count(".") == 1)


@pytest.mark.parametrize(("name", "source", "expected"), [
    ("codemill.recipe.data", "from codemill.datasets.build import build_dataset", "the bottom of the house"),
    ("codemill.recipe.data", "from codemill.common.atomic import atomic_write_json", "the bottom of the house"),
    ("codemill.common.hub", "def f():\n    from codemill.evals.runner import evaluate", "a bottom package"),
    ("codemill.datasets.read", "from codemill.pipeline.runner import StageFailure", "never imports the pipeline"),
    ("codemill.evals.runner", "def f():\n    from codemill.finetune.base_model import resolve_base_model",
     "only its own package"),
    ("codemill.evals.runner", "import codemill.extract.pdf.runner", "only its own package"),
    ("codemill.finetune.train", "from codemill.datasets import run_data", "only its own package"),
    ("codemill.evals.generate", "from codemill.finetune.train import finetune", "only its own package"),
    ("codemill.datasets.read", "from codemill.extract.cli import extract_app", "only commands"),
    ("codemill.pipeline.stages", "def f():\n    from codemill.finetune.train import finetune", "package face"),
    ("codemill.pipeline.stages", "import importlib", "plain import statements"),
    ("codemill.datasets.build", "import importlib\nimportlib.import_module('codemill.datasets.read')",
     "calls import_module"),
    ("codemill.evals.runner", "build = __import__('codemill.evals.plus')", "calls __import__"),
    ("codemill.finetune.speed", "from importlib.util import find_spec\nfind_spec('codemill.finetune.train')",
     "third-party package"),
    ("codemill.finetune", "from codemill.common.lazy import lazy_exports\n__getattr__ = lazy_exports(__name__, {})",
     "__getattr__"),
    ("codemill.evals", "def __getattr__(name):\n    return name", "__getattr__"),
])
def test_each_rule_catches_what_it_forbids(name, source, expected):
    found = problems_of([made_up(name, source)])
    assert any(expected in problem for problem in found), found


@pytest.mark.parametrize(("name", "source"), [
    ("codemill.recipe.data", "from codemill.recipe.base import StrictModel"),
    ("codemill.datasets.build", "from codemill.benchmarks import load_benchmark\nfrom codemill.common import atomic"),
    ("codemill.finetune.stage", "def f():\n    from codemill.finetune.train import finetune"),
    ("codemill.datasets.cli", "from codemill.pipeline.stages import extract_sources"),
    ("codemill.pipeline.stages", "def f():\n    from codemill.extract import run_extract"),
    ("codemill.finetune.model_loading", "import importlib.util\nimportlib.util.find_spec('liger_kernel')"),
    ("codemill.evals.generate", "def f():\n    from codemill.models.saved import base_load_options"),
    ("codemill.datasets.synthesize.check", "from codemill.sandbox import SandboxPool"),
])
def test_what_the_house_allows_passes(name, source):
    assert problems_of([made_up(name, source)]) == []
