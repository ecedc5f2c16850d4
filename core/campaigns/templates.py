"""Message templates: `{name}`, `{drop}`, `{countdown}`, `{link}`, and for the near-tier
nudge `{points}` and `{tier}`; nothing else, so a typo is caught when the campaign is made
rather than shown to fans."""

from __future__ import annotations

import string

from core.errors import InvalidInput

VARIABLES = ("name", "drop", "countdown", "link", "points", "tier")
KNOWN = ", ".join(f"{{{name}}}" for name in VARIABLES)
MAX_LENGTH = 1000  # well inside Telegram's 4096 and Discord's 2000 once filled in


def check(template: str) -> str:
    template = template.strip()
    if not template:
        raise InvalidInput("the message is empty")
    if len(template) > MAX_LENGTH:
        raise InvalidInput(f"the message is {len(template)} characters; at most {MAX_LENGTH}")
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise InvalidInput(f"the message has a stray brace: {error}") from error
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in VARIABLES or spec or conversion:
            raise InvalidInput(f"unknown variable {{{field}}} in the message (use {KNOWN})")
    return template


def fill(template: str, values: dict[str, str]) -> str:
    return template.format_map({name: values.get(name, "") for name in VARIABLES})
