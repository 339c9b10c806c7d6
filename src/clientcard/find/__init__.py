"""Finding customers: the filters (Selection), the --where language, column views, segments."""
