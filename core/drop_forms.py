"""An admin's `/newdrop` form in a bot chat (title, tiers, opening time, confirm), read and
written in the database at every answer, so a bot handler makes one call per message.

Why not python-telegram-bot's ConversationHandler with a BasePersistence: PTB reads the
persisted conversations (and user_data) once, at Application.initialize, decides which step
an update belongs to from its own dict in the synchronous check_update, and writes back only
every update_interval. Another web process, or this one after a restart, would answer from a
state that is out of date or gone. Here each answer reads the form's row, and each step is a
conditional update from the step it expects, so two handlings of one step move it once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.drops.lifecycle import DropLifecycle
from core.drops.specs import TierSpec, parse_tiers
from core.drops.views import DropView
from core.errors import DropcastError, InvalidState
from core.models import TelegramForm
from core.ports import Clock
from core.times import parse_opening

LIFETIME = timedelta(hours=1)  # a form not moved on for this long is abandoned


class FormEnded(InvalidState):
    """A confirmation tap for a form that is no longer waiting for one."""

    def __init__(self) -> None:
        super().__init__("that form has ended (made, stopped or left for an hour)")


class Step(StrEnum):
    TITLE = "title"
    TIERS = "tiers"
    OPENS = "opens"
    CONFIRM = "confirm"


@dataclass(frozen=True, slots=True)
class Turn:
    """What an answer did: the step the form is at now, and why the answer was refused
    (`problem`; the same question is asked again). `moved` is False when another handling
    of the same answer moved the form first: nothing is to be said. At `CONFIRM`, the
    drop to confirm."""

    step: Step
    problem: str | None = None
    moved: bool = True
    title: str = ""
    tiers: tuple[TierSpec, ...] = ()
    opens_at: datetime | None = None
    members_only: bool = False


class DropForms:
    def __init__(self, clock: Clock, drops: DropLifecycle) -> None:
        self.clock = clock
        self.drops = drops

    async def begin(self, user_id: int, chat_id: int, *, members_only: bool = False) -> None:
        """A new form, in place of any the admin left unfinished; `members_only`: a drop
        only members of a plan may buy."""
        await TelegramForm.update_or_create(
            user_id=user_id,
            defaults={
                "chat_id": chat_id, "step": Step.TITLE,
                "answers": {"members_only": True} if members_only else {},
                "updated_at": self.clock.now(),
            },
        )  # fmt: skip

    async def answer(self, user_id: int, chat_id: int, text: str, zone: str) -> Turn | None:
        """The admin's text as their form's next answer; None without a form in this chat
        (the text is not an answer)."""
        form = await self._current(user_id, chat_id)
        if form is None:
            return None
        step, answers = Step(form.step), form.answers
        try:
            if step == Step.TITLE:
                title = text.strip()
                if not 1 <= len(title) <= 120:
                    return Turn(step, "a title is 1 to 120 characters")
                return await self._advance(user_id, step, Step.TIERS, answers, title=title)
            if step == Step.TIERS:
                parse_tiers(text)
                return await self._advance(user_id, step, Step.OPENS, answers, tiers=text)
            if step == Step.OPENS:
                opens_at = parse_opening(text, now=self.clock.now(), zone=zone)
                opening = opens_at.isoformat() if opens_at else None
                return await self._advance(user_id, step, Step.CONFIRM, answers, opens_at=opening)
        except DropcastError as error:
            return Turn(step, str(error))
        return _confirming(answers)  # waiting for Create or Cancel

    async def finish(self, user_id: int, chat_id: int, *, create: bool) -> DropView | None:
        """Create the confirmed drop (or drop the form, without `create`): the form is taken
        once, so one drop is made however often the tap arrives."""
        await self._expire(user_id)
        form = await TelegramForm.get_or_none(user_id=user_id, chat_id=chat_id)
        if form is None or form.step != Step.CONFIRM:
            raise FormEnded
        if not await TelegramForm.filter(user_id=user_id, step=Step.CONFIRM).delete():
            raise FormEnded
        if not create:
            return None
        turn = _confirming(form.answers)
        return await self.drops.launch(
            turn.title, list(turn.tiers), turn.opens_at, members_only=turn.members_only
        )

    async def end(self, user_id: int) -> bool:
        """The admin's form dropped; False when there was none (or it had expired)."""
        await self._expire(user_id)
        return await TelegramForm.filter(user_id=user_id).delete() > 0

    async def _current(self, user_id: int, chat_id: int) -> TelegramForm | None:
        await self._expire(user_id)
        return await TelegramForm.get_or_none(user_id=user_id, chat_id=chat_id)

    async def _advance(
        self, user_id: int, was: Step, step: Step, answers: dict[str, Any], **more: Any
    ) -> Turn:
        """Move the form on from `was` with more answers, unless it moved meanwhile."""
        answers = {**answers, **more}
        moved = await TelegramForm.filter(user_id=user_id, step=was).update(
            step=step, answers=answers, updated_at=self.clock.now()
        )
        turn = _confirming(answers) if step == Step.CONFIRM else Turn(step)
        return replace(turn, moved=moved == 1)

    async def _expire(self, user_id: int) -> None:
        stale = self.clock.now() - LIFETIME
        await TelegramForm.filter(user_id=user_id, updated_at__lt=stale).delete()


def _confirming(answers: dict[str, Any]) -> Turn:
    opening = answers["opens_at"]
    return Turn(
        Step.CONFIRM,
        title=answers["title"],
        tiers=tuple(parse_tiers(answers["tiers"])),
        opens_at=datetime.fromisoformat(opening) if opening else None,
        members_only=answers.get("members_only") is True,
    )
