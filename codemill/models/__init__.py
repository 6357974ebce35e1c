"""Saved models and adapters as codemill writes them, read back by finetune (merging) and evals (generation).

A bottom package beside recipe and common: it imports no stage, and torch, transformers and peft only
inside its functions.
"""
