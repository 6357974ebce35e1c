"""`run_extract`: one recipe source into its extracted folder, whichever kind it is (pdf, StackExchange, Hub dataset).

The extractors are imported when a source of their kind runs, so a recipe without PDFs never loads pymupdf.
When the recipe curates on a cluster (`data.executor: ray` or `slurm`), PDFs and StackExchange shards are
extracted as datatrove tasks on that same executor; on the local default they run in this machine's processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from codemill.common.console import console
from codemill.common.summary import Summary

if TYPE_CHECKING:  # annotations only: `codemill extract pdf` imports this package without the recipe models
    from codemill.recipe.data import DataConfig
    from codemill.recipe.pdf import PdfOptions
    from codemill.recipe.sources import SourceConfig
    from codemill.recipe.stackexchange import StackExchangeOptions


def _failures(failed) -> list[tuple[str, str]]:
    return [(str(path), reason) for path, reason in failed]


def _extract_hub(source: SourceConfig, out_dir: Path, force: bool) -> Summary:
    from codemill.extract.huggingface import extract_huggingface

    done = extract_huggingface(source, out_dir, force=force)
    return Summary(_failures(done.failed), {"records": done.records_written}, [out_dir])


def extract_options(source: SourceConfig) -> PdfOptions | StackExchangeOptions:
    """The extractor options of `source`'s type; a StackExchange `site:` source names its site in them."""
    options = source.pdf if source.type == "pdf" else source.stackexchange
    if source.site is not None and options.site is None:
        options = options.model_copy(update={"site": source.site})
    return options


def cluster_executor(data: DataConfig | None) -> DataConfig | None:
    """The data section to extract on, or None for this machine's processes (`workers:` of the source).

    Local datatrove tasks would only add overhead to the extractors' own process pools, so only a cluster
    executor takes the work over."""
    return data if data is not None and data.executor != "local" else None


def _extract_files(source: SourceConfig, local: list[Path], out_dir: Path, force: bool, data: DataConfig | None) -> Summary:
    options, executor = extract_options(source), cluster_executor(data)
    if source.type == "pdf":
        from codemill.extract.pdf.runner import extract_pdfs

        done = extract_pdfs(local, out_dir, options=options, workers=source.workers, force=force, executor=executor)
        counts = {"documents": len(done.written) + len(done.skipped), "pages": done.pages}
    else:
        from codemill.extract.stackexchange.extract import extract_stackexchange

        (dump,) = local
        done = extract_stackexchange(dump, out_dir, options=options, workers=source.workers, force=force, executor=executor)
        counts = {"threads": done.threads_written, "answers": done.answers_written}
    return Summary(_failures(done.failed), counts, [out_dir])


def run_extract(source: SourceConfig, inputs: list[Path], out_dir: Path, *, force: bool, data: DataConfig | None = None) -> Summary:
    """Extract `source` into `out_dir`, from scratch when `force`, else resuming what an earlier run left.

    `data` is the recipe's data section: on a Ray or Slurm executor the files are extracted as its tasks.
    `inputs` are the source's local files; url and site sources (none given) are downloaded into the
    cache first. A source whose raw input is gone but whose `extracted:` folder holds output is used as is.
    Failures, per file or of the download, are returned in `failed`, never raised."""
    out_dir = Path(out_dir)
    if source.type == "huggingface":
        return _extract_hub(source, out_dir, force)
    missing = [path for path in inputs if not Path(path).exists()]
    if missing:
        if source.extracted is not None and any(out_dir.glob("*")):
            console.print(f"  {missing[0]} is absent; using the already extracted {out_dir}", markup=False,
                          emoji=False, highlight=False, soft_wrap=True)
            return Summary(outputs=[out_dir])
        return Summary(failed=[(str(missing[0]), f"source '{source.name}' path does not exist")])
    local = [Path(path) for path in inputs]
    if not local:
        from codemill.extract.remote import local_input

        try:
            local = [local_input(source)]  # url/site: downloaded once into the cache
        except (ValueError, OSError) as error:  # FetchError is an OSError
            return Summary(failed=[(source.location, str(error))])
    return _extract_files(source, local, out_dir, force, data)
