"""The schemas the web client's types are generated from are current with the code (``make api-types``)."""

from __future__ import annotations

import json

from parley_cli.api_schemas import SCHEMA_PATH, client_schema
from shared.schemas import SOCKET_EVENTS


def test_the_checked_in_schema_is_current() -> None:
    assert json.loads(SCHEMA_PATH.read_text()) == client_schema(), "run `make api-types` and commit the result"


def test_every_socket_event_has_its_payload_in_the_schema() -> None:
    events = client_schema()["$defs"]["SocketEvents"]
    assert set(events["properties"]) == set(SOCKET_EVENTS) == set(events["required"])


def test_what_is_always_sent_is_required() -> None:
    """A field with a default is still always in an answer: the client's type must not make it optional."""
    definitions = client_schema()["$defs"]
    assert set(definitions["HistoryPage"]["required"]) >= {"messages", "next_before", "peer_read_seq"}
    assert set(definitions["MeResponse"]["required"]) == {"user", "sync_position"}
    assert set(definitions["UserOut"]["required"]) == {"id", "name", "avatar", "online", "last_seen"}
