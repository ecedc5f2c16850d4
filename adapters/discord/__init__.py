"""Discord through discord.py 2.x: app commands, persistent buy buttons, roles as perks."""
