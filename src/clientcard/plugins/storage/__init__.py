"""Storage backends: the embedded TinyDB store (the default)."""
