"""Users: yourself, and everyone else for the sidebar."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from query_api.deps import CurrentUserId, ViewsDep
from shared.views import USERS, public_user

router = APIRouter(prefix="/api", tags=["users"])


class User(BaseModel):
    id: str
    name: str
    avatar: str | None = None
    online: bool = False
    last_seen: datetime | None = None


class Me(User):
    email: str


class MeResponse(BaseModel):
    user: Me


@router.get("/me", responses={404: {"description": "Account not projected yet"}})
async def me(user_id: CurrentUserId, views: ViewsDep) -> MeResponse:
    """The signed-in user's own profile."""
    doc = await views[USERS].find_one({"_id": user_id})
    if doc is None:
        raise HTTPException(404, "user not found")
    return MeResponse(user=Me(**public_user(doc), email=doc["email"]))


@router.get("/users")
async def users(user_id: CurrentUserId, views: ViewsDep) -> list[User]:
    """Every other user, for the sidebar, sorted by name."""
    cursor = views[USERS].find({"_id": {"$ne": user_id}}).sort([("name_key", 1), ("_id", 1)])
    return [User(**public_user(doc)) async for doc in cursor]
