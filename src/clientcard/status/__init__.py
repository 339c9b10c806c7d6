"""Automatic status: the rule-set contract, the classifier, status history."""
