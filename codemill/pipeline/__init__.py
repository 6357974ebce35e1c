"""End to end: `codemill run` ties the stages together; `codemill report` shows a run."""
