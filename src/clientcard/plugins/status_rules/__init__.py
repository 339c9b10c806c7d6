"""Classification rule packs (lifecycle, lead-client-vip, loyalty tiers)."""
