"""Stage 4: generate, execute in a sandbox, score pass@k, and compare runs."""
