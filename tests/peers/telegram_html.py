"""Telegram's HTML parse mode, as the fake Bot API keeps it (core.telegram.org/bots/api#html-style):
the text a user sees once the tags are taken out and the entities unescaped, and the spans
struck through; a text Telegram could not parse is refused in Telegram's words."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# core.telegram.org/bots/api#html-style: "Only the tags mentioned above are currently supported"
TAGS = frozenset({
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
})  # fmt: skip
STRUCK = frozenset({"s", "strike", "del"})
# "All <, > and & symbols that are not a part of a tag or an HTML entity must be replaced"
_BARE_AMPERSAND = re.compile(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


class EntitiesError(ValueError):
    """Telegram's description of a text it cannot parse."""


def parse_html(text: str) -> tuple[str, tuple[str, ...]]:
    """The text a user sees, and each struck-through span of it, in order."""
    bare = _BARE_AMPERSAND.search(text)
    if bare is not None:
        raise EntitiesError(
            f"Bad Request: can't parse entities: Character '&' is reserved and must be "
            f"escaped with the preceding '\\' at byte offset {bare.start()}"
        )
    parser = _Entities()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise EntitiesError(
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start "
            f'tag "{parser.open[-1][0]}"'
        )
    return "".join(parser.text), tuple(parser.struck)


class _Entities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[tuple[str, int]] = []
        self.struck: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            raise EntitiesError(
                f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        self.open.append((tag, len("".join(self.text))))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise EntitiesError(f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')
        _, start = self.open.pop()
        if tag in STRUCK:
            self.struck.append("".join(self.text)[start:])

    def handle_data(self, data: str) -> None:
        self.text.append(data)
