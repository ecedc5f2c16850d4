"""What fans do on Discord, whichever way they start it (a button, `/buy`): every answer is
ephemeral, seen by that fan alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from adapters import wording
from adapters.discord.markdown import strike
from core import privacy
from core.app import Core
from core.drops.views import LinkedHold
from core.errors import DropcastError, NotFound, PaidInStars
from core.fans import FanRef
from core.kinds import Platform

T = TypeVar("T")
DMS_CLOSED = (
    "\nI cannot DM you, so receipts and goods will not reach you: allow direct messages from "
    "this server's members, then use /me."
)


def core_of(interaction: discord.Interaction) -> Core:
    core: Core = interaction.client.core  # type: ignore[attr-defined]
    return core


def who(interaction: discord.Interaction) -> FanRef:
    """The user, as the core finds their fan."""
    user = interaction.user
    return FanRef(Platform.DISCORD, str(user.id), user.display_name)


async def say(interaction: discord.Interaction, text: str, **extra: Any) -> None:
    """Answer ephemerally, whether or not the interaction was deferred already."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, **extra)
    else:
        await interaction.response.send_message(text, ephemeral=True, **extra)


async def think(interaction: discord.Interaction) -> None:
    """Say "thinking…" before any work: Discord voids an interaction 3 seconds after it
    arrives unless a first response came, and a core call may post, DM or give roles on
    Discord (each a network round trip) before it returns."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)


async def answer(
    interaction: discord.Interaction,
    action: Awaitable[T],
    done: Callable[[T], str],
    refused: str = "{}.",
) -> None:
    """Run a core call for the user, deferred first, and answer with what it did, or with
    why it refused."""
    await think(interaction)
    await say(interaction, await wording.outcome(action, done, refused))


async def buy(
    interaction: discord.Interaction,
    tier_id: int,
    unknown: str = "",
    *,
    pop_up_id: int | None = None,
) -> None:
    """Hold a unit and hand the fan their own pay link, inside Discord's 3 seconds: the
    answer is deferred first, as a pay link may take a call to Stripe. `unknown`, if
    given, answers a tier that does not exist (one typed in) in place of the core's words;
    `pop_up_id` is where the fan chose to pick it up (adapters/discord/pickup_choice.py)."""
    await think(interaction)
    try:
        held = await core_of(interaction).holds.buy_by_link(
            tier_id, who(interaction), pop_up_id=pop_up_id
        )
    except PaidInStars:
        await say(interaction, "That tier is paid in Telegram Stars: buy it in our Telegram bot.")
        return
    except NotFound as refusal:
        await say(interaction, unknown or f"{refusal}.")
        return
    except DropcastError as refusal:
        await say(interaction, f"{refusal}.")
        return
    await say(interaction, _held(held), view=pay_button(held.url))


async def wait(interaction: discord.Interaction, tier_id: int) -> None:
    await answer(
        interaction,
        core_of(interaction).holds.join_waitlist_as(tier_id, who(interaction)),
        lambda place: f"You are number {place} on the waitlist; I will DM you a free unit.",
    )


async def rsvp(interaction: discord.Interaction, session_id: int) -> None:
    await answer(
        interaction,
        core_of(interaction).live_reminders.rsvp_as(session_id, who(interaction)),
        lambda session: (
            f"See you at {session.title}! I will DM you a day and ten minutes "
            "before, and at the start."
        ),
    )


def pay_button(url: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Pay now", url=url))
    return view


def _held(held: LinkedHold) -> str:
    offer = held.offer
    when = f"<t:{int(offer.expires_at.timestamp())}:t>"
    text = wording.held_until("Held for you", when, offer.price, offer.pitch, strike)
    return text + ("" if held.reachable else DMS_CLOSED)


async def forget(interaction: discord.Interaction, fan_id: int) -> None:
    """The confirming button of /forgetme; it names the fan it was shown to. Taking perk
    roles back is Discord's work: deferred first."""
    await think(interaction)
    core = core_of(interaction)
    done = await privacy.forget_account(who(interaction), fan_id, core.perks, core.bus)
    await say(interaction, wording.FORGOTTEN if done else wording.FORGET_NOT_YOURS)


async def keep(interaction: discord.Interaction, _: int) -> None:
    await say(interaction, wording.KEPT)


async def opt_out(interaction: discord.Interaction, delivery_id: int) -> None:
    """The button on every campaign DM; pressed twice, it says so and changes nothing."""
    await think(interaction)
    said_no = await core_of(interaction).consent.choose(
        who(interaction), False, "the opt-out button"
    )
    await say(interaction, wording.OPTED_OUT if said_no else wording.ALREADY_OUT)
