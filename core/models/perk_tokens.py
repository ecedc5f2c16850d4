"""Perk tokens: a numbered set the creator mints for a next-week perk, and each token of it,
held by one fan (or unclaimed), redeemed once, gifted once, or expired (README: Perk tokens)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from core.models.fans import Fan
from core.models.perks import Perk


class TokenPerk(StrEnum):
    """What redeeming a token gives for its window."""

    EARLY_ACCESS = "early_access"  # buy `early_minutes` before a drop opens
    PERK = "perk"  # hold an existing Perk (a perk chat, a role)
    MEMBER_PRICE = "member_price"  # pay tiers' member prices
    SHOUT_OUT = "shout_out"  # named in a post, once


class PerkTokenSet(Model):
    """`rule` and `source` say who got the tokens (core/perk_tokens/rules.py); a giveaway is
    drawn once (`drawn_at`, set by a conditional update) from `seed`, so anyone can draw
    it again. The window is `window_days` from redeeming, or `window_from`..`window_until`."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    kind = fields.CharEnumField(TokenPerk, max_length=16)
    perk: fields.ForeignKeyNullableRelation[Perk] = fields.ForeignKeyField(
        "models.Perk", related_name="token_sets", null=True, on_delete=fields.RESTRICT
    )
    perk_id: int | None
    early_minutes = fields.IntField(default=0)
    count = fields.IntField()
    window_days = fields.IntField(null=True)
    window_from = fields.DatetimeField(null=True)
    window_until = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField()
    rule = fields.CharField(max_length=16)
    source: dict[str, object] = fields.JSONField(default=dict)
    seed = fields.CharField(max_length=32)
    drawn_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "perk_token_set"


class PerkToken(Model):
    """One numbered token. Each change of state is one conditional update: claimed (a
    holder given), gifted (`gifted_at IS NULL`), redeemed (`redeemed_at IS NULL`), expired;
    `perk_from`..`perk_until` is the window a redeemed token grants, and `perk_given_at` /
    `perk_ended_at` mark that its start and end were handed to the perks."""

    id = fields.IntField(primary_key=True)
    token_set: fields.ForeignKeyRelation[PerkTokenSet] = fields.ForeignKeyField(
        "models.PerkTokenSet", related_name="tokens", on_delete=fields.CASCADE
    )
    token_set_id: int
    number = fields.IntField()
    holder: fields.ForeignKeyNullableRelation[Fan] = fields.ForeignKeyField(
        "models.Fan", related_name="perk_tokens", null=True, on_delete=fields.SET_NULL
    )
    holder_id: int | None
    claimed_at = fields.DatetimeField(null=True)
    gifted_at = fields.DatetimeField(null=True)
    gifted_by_id = fields.IntField(null=True)  # the fan who gave it away
    redeemed_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField()
    expired_at = fields.DatetimeField(null=True)
    perk_from = fields.DatetimeField(null=True)
    perk_until = fields.DatetimeField(null=True, db_index=True)
    perk_given_at = fields.DatetimeField(null=True)
    perk_ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "perk_token"
        unique_together = (("token_set", "number"),)
        # a Buy tap reads the fan's tokens in their window (core/drops/members.py)
        indexes = (Index(fields=["holder_id", "perk_until"]),)
