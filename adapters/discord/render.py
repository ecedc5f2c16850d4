"""What drops look like on Discord: embeds with live `<t:…:R>` countdowns (Discord's own
clients count down, so a post is edited only when the drop changes) and Buy buttons."""

from __future__ import annotations

from datetime import datetime

import discord

from adapters import wording
from adapters.discord.markdown import strike
from adapters.discord.views import PostButton
from core.messages import DropAnnouncement, LiveAnnouncement

STATUS_LINES = {
    "open": "Open now",
    "sold_out": "Sold out",
    "closed": "Closed",
    "cancelled": "Called off",
    "draft": "Not announced yet",
}
COLOUR = discord.Colour.from_rgb(235, 110, 75)


def when(moment: datetime | None) -> str:
    if moment is None:
        return "soon"
    stamp = int(moment.timestamp())
    return f"<t:{stamp}:R> (<t:{stamp}:f>)"


def status_line(status: str, opens_at: datetime | None) -> str:
    if status == "scheduled":
        return f"Opens {when(opens_at)}"
    return STATUS_LINES.get(status, status)


def drop_post(
    post: DropAnnouncement, member: bool = False
) -> tuple[discord.Embed, discord.ui.View | None]:
    """A drop as its public post and as a fan's card: a Buy button per tier while it sells.
    A member's own card shows their member prices against the struck public ones."""
    lines = [status_line(post.status, post.opens_at)]
    lines += wording.members_lines(
        post.members_only, post.members_early_minutes, post.status == "scheduled"
    )
    embed = discord.Embed(title=f"🎁 {post.title}", description="\n".join(lines))
    embed.colour = COLOUR
    for tier in post.tiers:
        left = f"{tier.available} left" if tier.available else "none left"
        price = wording.tier_price(tier.price, tier.member_price, tier.members_only, member, strike)
        embed.add_field(name=tier.name, value=f"{price} · {left}", inline=True)
    embed.set_footer(text=f"Drop #{post.drop_id}")
    if post.status not in ("open", "sold_out"):
        return embed, None
    view = discord.ui.View(timeout=None)
    for tier in post.tiers:
        view.add_item(
            PostButton("buy", tier.tier_id, f"Buy {tier.name}")
            if tier.available
            else PostButton("wait", tier.tier_id, f"Waitlist: {tier.name}")
        )
    return embed, view


LIVE_LINES = {
    "live": "🔴 Live now",
    "ended": "Ended. Thanks for listening!",
    "cancelled": "Called off",
}


def live_post(post: LiveAnnouncement) -> tuple[discord.Embed, discord.ui.View | None]:
    """A live session's post: sign up before; while it is on, the featured drop's buttons."""
    line = (
        f"Live {when(post.starts_at)}"
        if post.status == "scheduled"
        else LIVE_LINES.get(post.status, post.status)
    )
    embed = discord.Embed(title=f"🎙 {post.title}", description=line, colour=COLOUR)
    if post.drop and post.status in ("scheduled", "live"):
        embed.add_field(name="Featuring", value=post.drop.title, inline=False)
    if post.status == "scheduled":
        view = discord.ui.View(timeout=None)
        view.add_item(PostButton("rsvp", post.session_id, "I'll be there"))
        return embed, view
    if post.status == "live" and post.drop:
        return embed, drop_post(post.drop)[1]
    return embed, None


def signature(embed: discord.Embed, view: discord.ui.View | None) -> str:
    """What a post shows, to tell whether an edit would change anything."""
    buttons = view.to_components() if view else []
    return repr((embed.to_dict(), buttons))
