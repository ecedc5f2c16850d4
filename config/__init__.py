"""Settings: environment, `.env` and `config/dropcast.toml`, read once by `bots/`."""

from config.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
