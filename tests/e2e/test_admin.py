"""Admin rights come from an operator's `parley admin grant|revoke EMAIL`, recorded as events (issue 10, item 10),
not from a list of emails that whoever registers one first inherits."""

from __future__ import annotations

import httpx

from tests.support import Stack, bearer, eventually, parley, register, unique


async def test_an_operator_grants_and_revokes_admin_rights(http: httpx.AsyncClient, stack: Stack) -> None:
    ops = await register(http, stack, name="Ops", email=f"{unique('ops')}@Example.com")
    email, ops_id = ops["user"]["email"], ops["user"]["id"]
    url = f"{stack.url('query')}/api/audit/events"
    headers = bearer(ops["access_token"])
    assert (await http.get(url, headers=headers)).status_code == 403

    status, out, err = await parley(stack, "admin", "grant", email.upper())
    assert status == 0, err
    assert "granted admin rights" in out and ops_id in out

    async def audit_answers(expected: int) -> bool:
        return (await http.get(url, params={"limit": 1}, headers=headers)).status_code == expected

    await eventually(lambda: audit_answers(200), what="the grant projected")
    granted = await http.get(url, params={"type": "AdminGranted", "limit": 1000}, headers=headers)
    mine = [e for e in granted.json()["events"] if e["data"]["user_id"] == ops_id]
    assert len(mine) == 1 and mine[0]["stream"] == f"admin:{ops_id}" and mine[0]["data"]["email"] == email
    assert "@" in mine[0]["data"]["by"]  # the operator, for the trail

    status, out, _ = await parley(stack, "admin", "grant", email)
    assert status == 0 and "already" in out  # no second event
    status, _, err = await parley(stack, "admin", "grant", f"{unique('nobody')}@example.com")
    assert status == 1 and "no account" in err

    status, out, err = await parley(stack, "admin", "revoke", email)
    assert status == 0 and "revoked" in out, err
    await eventually(lambda: audit_answers(403), what="the revocation projected")
