"""The login throttle (issue 10, items 2 and 3): attempts are counted before the password is checked, and an
attacker is slowed without locking the owner out.

The services trust X-Forwarded-For from 127.0.0.1 (the gateway's address, uvicorn's default), so a test speaking
to the command API directly plays the gateway and says which client each attempt comes from.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import Infra, Stack, eventually, register, unique

WRONG = "wrong password"


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def _address() -> str:
    return f"198.51.100.{random.randint(1, 254)}"


async def _login(
    http: httpx.AsyncClient, stack: Stack, email: str, password: str, address: str | None = None
) -> httpx.Response:
    # Directly to the command API, bypassing the shared stack's gateway (which would set the address itself).
    return await http.post(
        f"{stack.direct('command')}/api/auth/login",
        json={"email": email, "password": password},
        headers=_from(address) if address else {},
    )


async def test_simultaneous_guesses_are_evaluated_at_most_the_allowed_number(
    http: httpx.AsyncClient, stack: Stack
) -> None:
    user = await register(http, stack)
    email, address = user["user"]["email"], _address()
    passwords = [WRONG] * 29 + [user["password"]]
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=30)) as burst:
        answers = await asyncio.gather(*(_login(burst, stack, email, p, address) for p in passwords))
    codes = Counter(a.status_code for a in answers)
    evaluated = codes[401] + codes[200]
    # PARLEY_LOGIN_MAX_FAILURES (5): the free failures of one (account, address). A success gives its slot back
    # (only failures count), so when the right password is answered mid-burst one more waiting guess may take that
    # slot: at most 5 wrong guesses are ever evaluated, plus the right one.
    assert codes[401] <= 5 and codes[200] <= 1, codes
    assert codes[429] == 30 - evaluated, codes
    # The right password was either among the evaluated ones, or refused unseen: never evaluated past the limit.
    right = answers[-1]
    assert right.status_code in (200, 429)


async def test_back_off_doubles_for_one_account_and_address(http: httpx.AsyncClient, stack: Stack) -> None:
    user = await register(http, stack)
    email, address = user["user"]["email"], _address()
    codes = [(await _login(http, stack, email, WRONG, address)).status_code for _ in range(5)]
    assert codes == [401] * 5
    first = await _login(http, stack, email, WRONG, address)
    assert first.status_code == 429
    assert 1 <= int(first.headers["Retry-After"]) <= 2  # PARLEY_LOGIN_BACKOFF_SECONDS

    async def allowed_again() -> httpx.Response | None:
        response = await _login(http, stack, email, WRONG, address)
        return response if response.status_code == 401 else None

    await eventually(allowed_again, timeout=5, interval=0.25, what="the back-off to pass")
    second = await _login(http, stack, email, WRONG, address)
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) >= 3  # twice the first wait


async def test_an_attacker_does_not_lock_the_owner_out(http: httpx.AsyncClient, stack: Stack) -> None:
    owner = await register(http, stack)
    email = owner["user"]["email"]
    attacker = _address()
    codes = [(await _login(http, stack, email, WRONG, attacker)).status_code for _ in range(12)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    # The owner, from their own address, logs in at once; the attacker still waits even with the right password.
    assert (await _login(http, stack, email, owner["password"], "203.0.113.9")).status_code == 200
    assert (await _login(http, stack, email, owner["password"], attacker)).status_code == 429


async def test_a_successful_login_does_not_count(http: httpx.AsyncClient, stack: Stack) -> None:
    user = await register(http, stack)
    email, address = user["user"]["email"], _address()
    for _ in range(8):
        assert (await _login(http, stack, email, user["password"], address)).status_code == 200
    assert [(await _login(http, stack, email, WRONG, address)).status_code for _ in range(5)] == [401] * 5


@pytest.fixture(scope="module")
def small_limits(infra: Infra) -> Iterator[Stack]:
    """A stack whose per-account and per-address limits are small enough to reach in a test."""
    stack = Stack(
        infra,
        infra.nats,
        extra_env={"PARLEY_LOGIN_ACCOUNT_LIMIT": "6", "PARLEY_LOGIN_ADDRESS_LIMIT": "4"},
    ).start()
    try:
        yield stack
    finally:
        stack.stop()


async def test_guessing_one_account_from_many_addresses_is_limited(
    http: httpx.AsyncClient, small_limits: Stack
) -> None:
    stack = small_limits
    user = await register(http, stack)
    email = user["user"]["email"]
    codes = [(await _login(http, stack, email, WRONG, f"192.0.2.{i}")).status_code for i in range(1, 9)]
    assert codes == [401] * 6 + [429] * 2


async def test_guessing_many_accounts_from_one_address_is_limited(http: httpx.AsyncClient, small_limits: Stack) -> None:
    stack = small_limits
    address = "203.0.113.50"
    codes = [(await _login(http, stack, f"{unique('x')}@example.com", WRONG, address)).status_code for _ in range(6)]
    assert codes == [401] * 4 + [429] * 2
    other: dict[str, Any] = await register(http, stack)
    # Another address is not affected.
    assert (await _login(http, stack, other["user"]["email"], other["password"], "203.0.113.51")).status_code == 200
