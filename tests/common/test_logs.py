import logging
import sys
import warnings

from loguru import logger

from codemill.common.console import console
from codemill.common.logs import library_logs
from codemill.common.progress import progress


def test_library_output_goes_to_the_stage_log_and_codemill_lines_to_the_terminal(tmp_path, capsys):
    import transformers  # noqa: F401 - its own stderr handler must be bypassed too

    log = tmp_path / "logs" / "data.log"
    with library_logs(log):
        print("a library print")
        print("a library error line", file=sys.stderr)
        logging.getLogger("transformers.trainer").warning("a transformers warning")
        warnings.warn("a FutureWarning from somewhere", FutureWarning)
        logger.info("a datatrove banner")
        console.print("codemill: our own line")
        with progress("our bar", total=1) as bar:
            bar.advance()
    terminal = capsys.readouterr()
    text = log.read_text()
    for line in ("a library print", "a library error line", "a transformers warning", "a FutureWarning", "a datatrove banner"):
        assert line in text and line not in terminal.out + terminal.err
    assert "codemill: our own line" in terminal.err and "our bar: 1/1" in terminal.err
    assert "our own line" not in text
    print("after the stage")  # everything is back where it was
    logger.warning("a later loguru warning")
    after = capsys.readouterr()
    assert "after the stage" in after.out and "a later loguru warning" not in log.read_text()


def test_verbose_leaves_library_output_on_the_terminal(tmp_path, capsys, monkeypatch):
    from codemill.common import logs

    monkeypatch.setattr(logs, "verbose", True)
    with library_logs(tmp_path / "x.log"):
        print("shown")
    assert "shown" in capsys.readouterr().out and not (tmp_path / "x.log").exists()


def _chatty_step(data, rank: int = 0, world_size: int = 1):
    print(f"a worker print from task {rank}", flush=True)
    logger.info(f"a worker loguru line from task {rank}")
    return data


def test_local_executor_workers_write_to_the_stage_log(tmp_path, capfd):
    from codemill.common.executors import make_executor, run_to_completion
    from codemill.recipe.data import DataConfig

    log = tmp_path / "logs" / "data.log"
    with library_logs(log):
        executor = make_executor(DataConfig(workers=2), [_chatty_step], 2, str(tmp_path / "work"))
        run_to_completion(executor, "chatty")
    terminal = capfd.readouterr()
    text = log.read_text()
    assert "a worker print from task" in text and "a worker loguru line from task" in text and "PIPELINE" in text
    assert "worker" not in terminal.out + terminal.err and "PIPELINE" not in terminal.out + terminal.err
