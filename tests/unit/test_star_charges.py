"""A plan's Stars invoice payload names its plan and fan, and nothing else reads as one."""

from __future__ import annotations

import pytest

from core.memberships.star_charges import plan_and_fan, plan_payload


def test_a_plan_payload_names_its_plan_and_fan_within_telegrams_128_bytes():
    payload = plan_payload(4_294_967_295, 999_999_999_999)
    assert plan_and_fan(payload) == (4_294_967_295, 999_999_999_999)
    assert len(payload.encode()) <= 128


@pytest.mark.parametrize(
    "payload", ["hold:12", "plan:1", "plan:1:x", "plan:-1:2", "plan:1:2:3", " plan:1:2", ""]
)
def test_anything_else_is_not_a_plans_invoice(payload):
    assert plan_and_fan(payload) is None
