"""Actions needing attention: the action-kind contract."""
