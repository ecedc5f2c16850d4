"""Dropcast's settings, by the names in README.md (Settings).

Precedence: environment variables, then `.env`, then `config/dropcast.toml` (or the file
named by `DROPCAST_CONFIG`). A wrong value becomes one `SettingsError` line naming the
setting; secrets are `SecretStr`, so neither errors nor logs can print them. A name in
`.env` or the TOML file that is not a setting is an error too: pydantic-settings would
ignore it, and a misspelt `DASHBORD_PASSWORD` would leave the dashboard without one.
"""

from __future__ import annotations

import io
import os
import tomllib
from collections.abc import Iterable
from datetime import time
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated

from dotenv.parser import parse_stream
from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import ConfigurationError

ENV_FILE = Path(".env")
DEFAULT_TOML = Path("config/dropcast.toml")
CONFIG_VARIABLE = "DROPCAST_CONFIG"
DATABASE_SCHEMES = ("sqlite://", "postgres://", "postgresql://")

# The most any creator means: a larger number is a typo, and some would not reach the
# database whole (points are INT columns, days and minutes become SQL intervals)
MOST_POINTS = 1_000_000
MOST_TIER_POINTS = 1_000_000_000
DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES

IdList = Annotated[list[int], NoDecode]
CodeList = Annotated[list[str], NoDecode]
SHIPPING_COUNTRIES = (
    "US",
    "CA",
    "GB",
    "IE",
    "DE",
    "FR",
    "NL",
    "BE",
    "AT",
    "CH",
    "IT",
    "ES",
    "PT",
    "SE",
    "DK",
    "NO",
    "FI",
    "PL",
    "AU",
    "NZ",
    "JP",
)


def quiet_window(text: str) -> tuple[time, time]:
    """`22:00-08:00`: from, until (in the fan's local time)."""
    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise ValueError("must look like 22:00-08:00") from None


class SettingsError(Exception):
    """One line for the operator: which setting, what is wrong with it."""


class Settings(BaseSettings):
    # `TELEGRAM_TOKEN=` with nothing after it means not set, as in config/env.example
    model_config = SettingsConfigDict(
        env_file=ENV_FILE, extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    database_url: str = "sqlite://data/dropcast.sqlite3"
    public_base_url: AnyHttpUrl | None = None
    port: int = Field(default=8080, ge=1, le=65535)
    # behind a CDN or load balancer: the header it puts the visitor's address in
    # (CF-Connecting-IP, Fly-Client-IP; X-Forwarded-For: its last entry), else the peer's
    client_address_header: str | None = None
    creator_timezone: str = "UTC"

    discord_token: SecretStr | None = None
    discord_api_base_url: AnyHttpUrl | None = None
    discord_gateway_url: str | None = None
    telegram_token: SecretStr | None = None
    telegram_api_base_url: AnyHttpUrl | None = None
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: AnyHttpUrl | None = None

    shipping_countries: CodeList = Field(default_factory=lambda: list(SHIPPING_COUNTRIES))

    # recognition: what earns points, and the points each tier needs
    points_first_buyers: int = Field(default=10, ge=0, le=MOST_POINTS)
    points_first_buyer: int = Field(default=50, ge=0, le=MOST_POINTS)
    points_quick_minutes: int = Field(default=15, ge=0, le=WEEK_MINUTES)
    points_quick_buyer: int = Field(default=20, ge=0, le=MOST_POINTS)
    points_per_minute: int = Field(default=1, ge=0, le=MOST_POINTS)
    points_minutes_cap: int = Field(default=40, ge=0, le=DAY_MINUTES)
    points_live_code: int = Field(default=10, ge=0, le=MOST_POINTS)
    tier_supporter: int = Field(default=50, ge=1, le=MOST_TIER_POINTS)
    tier_insider: int = Field(default=150, ge=1, le=MOST_TIER_POINTS)
    tier_inner_circle: int = Field(default=400, ge=1, le=MOST_TIER_POINTS)
    shout_outs: bool = False  # congratulate fans who reach a tier, in the community

    # campaign DMs: at most this many per fan in any 7 days, none in quiet hours (the fan's
    # time zone, else the creator's), at each platform's pace
    dm_weekly_cap: int = Field(default=2, ge=0, le=100)
    quiet_hours: str = "22:00-08:00"
    near_tier_points: int = Field(default=20, ge=1, le=MOST_TIER_POINTS)
    telegram_messages_per_second: float = Field(default=30, gt=0)
    discord_dms_per_second: float = Field(default=20, gt=0)

    # blended attribution: how each paid order's credit is split (see `dropcast stats`)
    attribution_live: float = Field(default=2.0, ge=0)
    attribution_per_minute: float = Field(default=0.05, ge=0)
    attribution_minutes_cap: int = Field(default=60, ge=0, le=DAY_MINUTES)
    attribution_per_code: float = Field(default=0.5, ge=0)
    attribution_dm: float = Field(default=1.0, ge=0)
    attribution_organic: float = Field(default=0.5, gt=0)
    attribution_days: int = Field(default=7, ge=1, le=3650)

    # memberships: a member whose renewal failed keeps access this many days
    membership_grace_days: int = Field(default=3, ge=0, le=30)
    # memberships: a renewal refunded in full or disputed at Stripe ends the member's access
    # (the subscription is cancelled there), as a refunded order takes back what it gave
    membership_refunds_end_access: bool = True

    dashboard_password: SecretStr | None = None  # else only one-time links from /dashboard
    metrics_token: SecretStr | None = None  # the bearer token of /metrics, else it is off

    admin_telegram_ids: IdList = Field(default_factory=list)
    admin_discord_role_ids: IdList = Field(default_factory=list)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        """Read as bots/database.py will read it, so a typo is named here, not mid-command."""
        if not value.startswith(DATABASE_SCHEMES):
            raise ValueError("must start with sqlite:// or postgres://")
        try:
            credentials = expand_db_url(value)["credentials"]
        except ConfigurationError as err:  # no file path, a port that is not a number
            raise ValueError(f"is not a database address: {err}") from None
        if "file_path" not in credentials and not (credentials["host"] and credentials["database"]):
            raise ValueError("needs a host and a database, as in postgres://user:pass@host:5432/db")
        return value

    @field_validator("creator_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA time zone such as Europe/Berlin") from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        quiet_window(value)
        return value

    @field_validator("admin_telegram_ids", "admin_discord_role_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isdigit() for part in parts):
                raise ValueError("must be numeric ids separated by commas")
            return [int(part) for part in parts]
        return value

    @field_validator("shipping_countries", mode="before")
    @classmethod
    def _country_codes(cls, value: object) -> object:
        if isinstance(value, str):
            codes = [part.strip().upper() for part in value.split(",") if part.strip()]
            if not codes or not all(len(code) == 2 and code.isalpha() for code in codes):
                raise ValueError("must be two-letter country codes separated by commas")
            return codes
        return value

    @model_validator(mode="after")
    def _stripe_needs_a_public_address(self) -> Settings:
        if self.stripe_secret_key is not None and self.public_base_url is None:
            raise ValueError(
                "PUBLIC_BASE_URL is needed with STRIPE_SECRET_KEY (Checkout returns there)"
            )
        return self

    @property
    def platforms(self) -> list[str]:
        """The platforms whose token is set; the others are simply not started."""
        configured = {"discord": self.discord_token, "telegram": self.telegram_token}
        return [name for name, token in configured.items() if token is not None]

    @property
    def telegram_webhook(self) -> bool:
        """Telegram POSTs updates to the web process when it has a public address;
        otherwise the Telegram process long-polls for them."""
        return self.telegram_token is not None and self.public_base_url is not None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, dotenv_settings, toml)


def config_file() -> Path:
    return Path(os.environ.get(CONFIG_VARIABLE, DEFAULT_TOML))


def load_settings(**overrides: object) -> Settings:
    toml = config_file()
    _check_names(_env_file_names(ENV_FILE), ENV_FILE)
    _check_names(_toml_names(toml), toml)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        first = err.errors()[0]
        name = f"{str(first['loc'][0]).upper()} " if first["loc"] else ""  # model checks name it
        raise SettingsError(f"setting {name}{_reason(first['msg'])}") from None


def _reason(message: str) -> str:
    return message.removeprefix("Value error, ")


def _env_file_names(path: Path) -> list[str]:
    """The names `.env` sets. A line python-dotenv cannot parse is refused: it would only
    log a warning and skip it. The line is not shown: it may hold a token."""
    if not path.is_file():
        return []
    names = []
    for binding in parse_stream(io.StringIO(_text(path, "env file"))):
        if binding.error:
            raise SettingsError(f"line {binding.original.line} of {path} is not NAME=value")
        if binding.key is not None:
            names.append(binding.key)
    return names


def _toml_names(path: Path) -> list[str]:
    """The names the TOML file sets; none when the default file is absent (that is normal),
    an error when the file DROPCAST_CONFIG names is not there."""
    if not path.is_file():
        if CONFIG_VARIABLE in os.environ:
            raise SettingsError(f"{CONFIG_VARIABLE} names {path}, which is not a file")
        return []
    try:
        return list(tomllib.loads(_text(path, "config file")))
    except tomllib.TOMLDecodeError as err:
        raise SettingsError(f"config file {path} is not valid TOML: {err}") from None


def _text(path: Path, kind: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SettingsError(f"{kind} {path} cannot be read: {err}") from None


def _check_names(names: Iterable[str], where: Path) -> None:
    """Every name must be a setting; the closest one is suggested, written as `name` was."""
    known = list(Settings.model_fields)
    for name in names:
        if name.lower() in known:
            continue
        if name.upper() == CONFIG_VARIABLE:
            raise SettingsError(
                f"{CONFIG_VARIABLE} in {where} is not read from there: set it in the environment"
            )
        hint = ""
        if close := get_close_matches(name.lower(), known, n=1):
            hint = f" (did you mean {close[0].upper() if name.isupper() else close[0]}?)"
        raise SettingsError(f"setting {name} in {where} is not a Dropcast setting{hint}")
