"""Stage 2: curate extracted documents into a training set (datatrove pipeline)."""
