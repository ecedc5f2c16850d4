"""Drops: the lifecycle a creator drives, the holds fans place, the payments that settle them."""
