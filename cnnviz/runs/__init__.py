"""Runs: a trained (or built) model with its config.json, history and metrics, saved atomically in a folder."""
