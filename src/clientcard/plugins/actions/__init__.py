"""Kinds of action needing attention (overdue payments, unpaid bookings, win-back)."""
