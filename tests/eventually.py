"""`await eventually(probe)`: the suite's one way to wait for what another task, process or
peer does. The probe is asked again and again, a few milliseconds apart, until it answers
with something truthy, which is returned; past the deadline the test fails, naming what it
waited for and what the probe last said."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

POLL = 0.01  # seconds between two asks: short beside every deadline the suite sets


class NeverHappened(TimeoutError, AssertionError):
    """What a test waited for did not come in time. An assertion that failed, and still a
    `TimeoutError` for code that gives up on a slow peer (a fan tapping again, say)."""


@overload
async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    seconds: float = ...,
    what: str = ...,
    ignoring: tuple[type[Exception], ...] = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T | None],
    *,
    seconds: float = ...,
    what: str = ...,
    ignoring: tuple[type[Exception], ...] = ...,
) -> T: ...


async def eventually(
    probe: Callable[[], object],
    *,
    seconds: float = 5.0,
    what: str = "",
    ignoring: tuple[type[Exception], ...] = (),
) -> Any:
    """Ask `probe()` (sync or async) until its answer is truthy, and return that answer.
    `ignoring` names exceptions that mean "not yet" (a server not listening yet, say);
    `what` names the wait in the failure, which otherwise quotes the probe's source."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    last: object = None
    try:
        async with asyncio.timeout_at(deadline) as timer:
            while True:
                try:
                    answer = probe()
                    if inspect.isawaitable(answer):
                        answer = await answer
                except ignoring as error:
                    last = error
                else:
                    if answer:
                        return answer
                    last = answer
                await asyncio.sleep(POLL)
    except TimeoutError:
        if not timer.expired():
            raise  # the probe's own timeout, not ours
    raise NeverHappened(
        f"waited {seconds:g} s for {what or described(probe)}; it last said {last!r:.300}"
    )


def described(probe: Callable[..., object]) -> str:
    """The probe's name, or a lambda's own source text (up to the end of its expression)."""
    name = getattr(probe, "__qualname__", "") or repr(probe)
    if "<lambda>" not in name:
        return name
    try:
        source = " ".join(inspect.getsource(probe).split())
    except (OSError, TypeError):
        return name
    text, depth = source[source.find("lambda") :], 0
    for at, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if depth < 0 or (depth == 0 and char == ","):
            text = text[:at]
            break
    return text[:200]
