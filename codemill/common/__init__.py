"""Small helpers shared by every stage: atomic writes, resume manifests, progress."""
