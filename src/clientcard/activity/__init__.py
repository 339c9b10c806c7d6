"""Activity: bookings, payments, messages and the other kinds, and the facts rule sets read."""
