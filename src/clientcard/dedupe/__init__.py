"""Duplicates: detection, names across scripts, the merge plan and strategies."""
