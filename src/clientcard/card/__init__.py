"""The customer card: everything about one customer, and what it holds besides fields
(notes, documents, relationships, referrals)."""
