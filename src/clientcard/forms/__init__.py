"""Intake forms: their fields, collectors, JSON Schema and submissions."""
