"""Feedback on one improved prompt: accepted, edited (with the text kept) or rejected.

Several per history row are allowed; the latest counts (see the `latest_feedback` view).
Shared by `POST /api/v1/history/{id}/feedback` and `prompt-improver feedback`.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from writer.migrations import TABLE
from writer.records import clean_text
from writer.storage import HistoryWriter, utc_now


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["accepted", "edited", "rejected"]
    # Validated even when absent: it is required for 'edited'.
    final_prompt: str | None = Field(None, max_length=100_000, validate_default=True)
    rating: int | None = Field(None, ge=1, le=5, strict=True)
    comment: str | None = Field(None, max_length=5000)

    _clean = field_validator("final_prompt", "comment")(clean_text)

    @field_validator("final_prompt")
    @classmethod
    def _only_for_edited(cls, value: str | None, info: ValidationInfo) -> str | None:
        outcome = info.data.get("outcome")
        if outcome == "edited" and not (value or "").strip():
            raise ValueError("required when outcome is 'edited': send the text you kept")
        if outcome in ("accepted", "rejected") and value is not None:
            raise ValueError(f"only for outcome 'edited' (this one is '{outcome}')")
        return value


class UnknownRow(LookupError):
    pass


class NothingToRate(ValueError):
    pass


def insert(
    conn: sqlite3.Connection,
    history_id: int,
    feedback: FeedbackRequest,
    *,
    client: str,
    request_id: str | None,
) -> int:
    """Add one feedback row (inside the caller's transaction); returns its id."""
    row = conn.execute(
        f"SELECT status, improved_prompt IS NOT NULL FROM {TABLE} WHERE id = ?", [history_id]
    ).fetchone()
    if row is None:
        raise UnknownRow(f"id: no history row {history_id}")
    if row[0] != "ok" or not row[1]:
        raise NothingToRate(
            f"id: history row {history_id} is a failed request; it has no prompt to rate"
        )
    cursor = conn.execute(
        "INSERT INTO feedback (history_id, created_at, outcome, final_prompt, rating, comment, "
        "client, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            history_id,
            utc_now(),
            feedback.outcome,
            feedback.final_prompt,
            feedback.rating,
            feedback.comment,
            client,
            request_id,
        ],
    )
    return cursor.lastrowid


async def add(
    writer: HistoryWriter,
    history_id: int,
    feedback: FeedbackRequest,
    *,
    client: str,
    request_id: str | None = None,
) -> int:
    """Store it through the writer thread; the id once committed."""
    return await writer.execute(
        lambda conn: insert(conn, history_id, feedback, client=client, request_id=request_id)
    )
