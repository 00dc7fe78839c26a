"""The command API sends once through its own stack before it listens: answered 404, nothing written."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from pydantic import SecretStr
from pymongo import AsyncMongoClient

import command_api.main
from command_api.main import create_app
from command_api.settings import CommandSettings
from shared.event_store import EventStore
from shared.warm_up import warm_up
from tests.support import Infra


async def test_the_warm_up_send_is_answered_404_and_appends_nothing(
    infra: Infra, mongo: AsyncMongoClient[dict[str, Any]], db_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    statuses: list[int] = []
    original = warm_up

    async def recorded(*args: Any, **kwargs: Any) -> int:
        statuses.append(await original(*args, **kwargs))
        return statuses[-1]

    monkeypatch.setattr(command_api.main, "warm_up", recorded)
    settings = CommandSettings(
        env="test",
        mongodb_url=infra.ferretdb.url,
        mongodb_db=db_name,
        nats_url=infra.nats.url,
        nats_stream=db_name.upper(),
        subject_prefix=f"{db_name}.events",
        live_subject_prefix=f"{db_name}.live",
        jwt_secret=SecretStr(secrets.token_urlsafe(32)),
        media_dir=str(infra.workdir / f"{db_name}-media"),
        log_level="WARNING",
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            assert statuses == [404]
        assert await EventStore(mongo[db_name]).last_position() == 0
    finally:
        await mongo.drop_database(db_name)
