"""Placeholder: this paper's experiments are being written (see its issue)."""

EXPERIMENTS = {}
