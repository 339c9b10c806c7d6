"""The small core: contracts and the context every service shares.

The model and its converter, the field-type protocol and schema, the store
protocol, the hookspecs and the plugin host, settings, errors, text folding
and the clock.  Nothing here imports a capability or a plugin
(tests/test_layers.py keeps it so).
"""
