"""Merge strategies (most-complete, keep-primary, newest-wins)."""
