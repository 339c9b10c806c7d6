"""The business's fields: built-in and custom definitions, presets, the calendar of dates."""
