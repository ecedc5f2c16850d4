"""Side effects owed to fans and communities, and the processes that deliver them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.kinds import NoticeStatus


class Notice(Model):
    """One subscriber's side effect of one committed domain event: a DM, a post edit, a pay
    link, a perk change. Written in the transaction that made the change, so a change and
    what it owes are kept or lost together (core/notices.py delivers them).

    Notices with the same `key` (one community's post of one drop, one fan's perks) are
    delivered one at a time, in order; `target` is the community a post notice is for."""

    id = fields.BigIntField(primary_key=True)
    subscriber = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=64)  # the domain event's class name
    payload = fields.TextField()  # the event, as core/notices.py encodes it
    target = fields.IntField(null=True)
    key = fields.CharField(max_length=64, null=True)
    status = fields.CharEnumField(NoticeStatus, default=NoticeStatus.QUEUED, max_length=16)
    attempts = fields.IntField(default=0)
    due_at = fields.DatetimeField()  # queued: not before then; sending: the claim's lease
    claimed_by = fields.CharField(max_length=64, null=True)
    reason = fields.CharField(max_length=255, null=True)  # the last failure, in words
    created_at = fields.DatetimeField()
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notice"
        indexes = (("status", "due_at"), ("key", "status"))


class Worker(Model):
    """A running process that claims work (notices, provider events): it says it is alive
    every few seconds, and what a silent one claimed is taken over by the others."""

    id = fields.CharField(max_length=64, primary_key=True)
    role = fields.CharField(max_length=32)
    seen_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "worker"
