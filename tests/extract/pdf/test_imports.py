"""What the extractor costs a process: pymupdf's optional layout analyser stays out (about a second per
process), yet stays importable afterwards, and the glyph boxes are the same whether or not it is installed;
`extract pdf` loads no other command's modules; the cyclic collector runs rarely while PDFs are read."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec

import pytest


def python(code: str) -> str:
    """Run `code` in a fresh interpreter (the test process has imported pymupdf already) and return its output."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


@pytest.mark.skipif(find_spec("pymupdf4llm") is None, reason="pymupdf4llm (and its layout analyser) not installed")
def test_the_extractor_leaves_out_the_layout_analyser_but_a_later_import_still_works():
    out = python(
        "import sys\n"
        "import codemill.extract.pdf.document\n"
        "print(sorted(m for m in ('pymupdf.layout', 'pymupdf4llm', 'onnxruntime') if m in sys.modules))\n"
        "import pymupdf4llm, pymupdf\n"
        "print(callable(pymupdf.layout.activate), callable(pymupdf4llm.to_markdown))\n"
    )
    assert out.splitlines() == ["[]", "True True"]


def test_quad_corrections_are_off_without_pymupdf4llm_switching_them_off():
    out = python(
        "import sys\n"
        "sys.modules['pymupdf4llm'] = None\n"
        "from codemill.extract.pdf.mupdf import pymupdf\n"
        "print(pymupdf.TOOLS.unset_quad_corrections())\n"
    )
    assert out == "True"


def test_the_command_line_loads_no_heavy_library_before_a_command_needs_it():
    """Every `codemill` process pays for what codemill.cli imports, `extract pdf` on a short book included."""
    out = python(
        "import sys\n"
        "import codemill.cli\n"
        "print(sorted(m for m in ('torch', 'transformers', 'pyarrow', 'numpy', 'pymupdf') if m in sys.modules))\n"
    )
    assert out == "[]"


def test_extract_pdf_loads_neither_the_other_commands_nor_datatrove():
    """`codemill extract pdf` imports codemill.cli and the runner; the pipeline, eval, data and fine-tune
    commands load when they run, and datatrove only when PDFs run as tasks."""
    out = python(
        "import sys\n"
        "import codemill.cli, codemill.extract.pdf.runner\n"
        "print(sorted(m for m in ('datatrove', 'codemill.pipeline', 'codemill.evals', 'codemill.datasets', 'codemill.finetune')"
        " if m in sys.modules))\n"
    )
    assert out == "[]"


def test_commands_loaded_later_are_still_listed_and_suggested():
    from typer.testing import CliRunner

    from codemill.cli import app

    listed = CliRunner().invoke(app, ["--help"]).output
    assert all(f" {name} " in listed for name in ("eval", "compare", "run", "data", "finetune"))
    typo = CliRunner().invoke(app, ["fintune", "recipe.yaml"])
    assert typo.exit_code != 0 and "Did you mean 'finetune'?" in typo.output


def test_the_cyclic_collector_runs_rarely_while_pdfs_are_read_and_as_before_after():
    import gc

    from codemill.extract.pdf.runner import GC_ALLOCATIONS, rare_collections

    before = gc.get_threshold()
    with rare_collections():
        assert gc.get_threshold() == (max(before[0], GC_ALLOCATIONS), *before[1:])
    assert gc.get_threshold() == before
