"""HTTP for fans, providers and operators (aiohttp): webhooks, health, and later links."""
