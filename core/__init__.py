"""Dropcast's domain: drops, holds, orders and the ports the platforms plug into."""
