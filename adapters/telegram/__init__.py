"""Telegram through python-telegram-bot: fans buy in the bot chat, creators run drops from
it, drops are announced in the connected channels and groups."""
