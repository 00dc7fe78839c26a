"""The warm-up request goes through the whole ASGI stack, as a client's would."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Header
from pydantic import BaseModel

from shared.warm_up import REQUEST_ID, warm_up


class Body(BaseModel):
    text: str


async def test_a_warm_up_request_reaches_the_route_with_its_headers_and_body() -> None:
    app = FastAPI()
    seen: list[tuple[str, str | None, str | None]] = []

    @app.post("/things", status_code=201)
    async def create(
        body: Body,
        authorization: Annotated[str | None, Header()] = None,
        x_request_id: Annotated[str | None, Header()] = None,
    ) -> dict[str, str]:
        seen.append((body.text, authorization, x_request_id))
        return {"ok": "yes"}

    status = await warm_up(app, "POST", "/things", headers={"Authorization": "Bearer t"}, body={"text": "héllo"})
    assert status == 201
    assert seen == [("héllo", "Bearer t", REQUEST_ID)]
    assert await warm_up(app, "POST", "/things", headers={}, body={"wrong": 1}) == 422
