"""What fans read about picking up at a pop-up, on every platform: the choice at Buy, the
receipt's pass, `/me`'s pass lines and the no-show DM."""

from __future__ import annotations

from core.messages import Pickup, PickupMissed
from core.popups.pickups import PassState
from core.popups.places import PopUpView, clock_time, window

QUESTION = "How do you want to get it?"
SHIP_TO_ME = "Ship to me"


def choice(pop_up: PopUpView) -> str:
    return f"Pick up at {pop_up.place}, {window(pop_up.starts_at, pop_up.ends_at, pop_up.zone)}"


def question(choices: list[PopUpView]) -> str:
    return "\n".join([QUESTION, f"• {SHIP_TO_ME}", *(f"• {choice(each)}" for each in choices)])


def receipt(pickup: Pickup) -> str:
    return (
        f"\nPick it up at {pickup.place}, {window(pickup.starts_at, pickup.ends_at, pickup.zone)}. "
        f"Show this pass there: {pickup.pass_link}"
    )


def missed(message: PickupMissed) -> str:
    return (
        f"You did not pick up order #{message.order_id} ({message.title}) at {message.place}. "
        "The creator will ship it to you or refund you, and let you know."
    )


def pass_line(found: PassState) -> str:
    """A pass in `/me`: where, when, and waiting, collected at HH:MM, missed or void."""
    state = {
        "collected": f"collected at {clock_time(found.collected_at, found.zone)}"
        if found.collected_at
        else "",
        "missed": "missed" + (f", {found.resolution} instead" if found.resolution else ""),
        "void": "void: the order was refunded",
    }.get(found.state, found.state)
    when = window(found.starts_at, found.ends_at, found.zone)
    line = f"  ↳ pickup at {found.place}, {when}: {state}"
    return line + (
        f"\n    your pass: {found.link}" if found.link and found.state == "waiting" else ""
    )
