"""What the API accepts: request bodies validated into clear, field-named errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from writer.improver import normalize_framework
from writer.storage import iso_utc

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,36}$")
MAX_RECORDS = 1000
# created_at must fall in this window: older is a typo or an attack on the charts, later
# than a day ahead is a wrong clock (a day covers every time zone).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)
# No single request uses more tokens or costs more than this; beyond is a wrong unit or junk.
MAX_TOKENS = 10_000_000
MAX_COST_USD = 1000.0

Text = Annotated[str, StringConstraints(max_length=100_000)]
Short = Annotated[str, StringConstraints(max_length=200)]


def clean_text(value: Any) -> Any:
    """Refuse text SQLite or the browser would mangle: NUL characters and lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    elif isinstance(value, list):
        for item in value:
            clean_text(item)
    return value


class ImproveRequest(BaseModel):
    # Unknown keys are ignored: the extension may send more than we read.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    idea: str = Field(max_length=20_000)
    context: str = Field("", max_length=5000)
    mode: Literal["legacy", "nlac"] = "legacy"

    _clean = field_validator("idea", "context")(clean_text)

    @field_validator("idea")
    @classmethod
    def _idea_long_enough(cls, value: str) -> str:
        if len(value.strip()) < 5:
            raise ValueError("must be at least 5 characters once stripped")
        return value.strip()


class HistoryRecord(BaseModel):
    """A record produced elsewhere (for example the extension calling Ollama itself)."""

    # Unknown keys are refused: a misspelt field would otherwise be silently lost.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    original_idea: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    improved_prompt: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
    context: str = Field("", max_length=5000)
    created_at: datetime | None = None
    request_id: str | None = Field(None, pattern=REQUEST_ID_RE.pattern)
    client: Short | None = None  # None: from X-Client and the user agent, else "api"
    mode: Short | None = None
    backend: Short | None = None
    status: Literal["ok", "error"] = "ok"
    error: Text | None = None
    role: Text | None = None
    directive: Text | None = None
    framework: Short | None = None
    guardrails: list[Annotated[str, StringConstraints(max_length=2000)]] | None = Field(
        None, max_length=50
    )
    reasoning: Text | None = None
    confidence: float | None = Field(None, ge=0, le=1)
    provider: Short | None = None
    model: Short | None = None
    latency_ms: float | None = Field(None, ge=0, le=86_400_000)
    prompt_tokens: int | None = Field(None, ge=0, le=MAX_TOKENS)
    completion_tokens: int | None = Field(None, ge=0, le=MAX_TOKENS)
    cost_usd: float | None = Field(None, ge=0, le=MAX_COST_USD)
    user_agent: Short | None = None

    _clean = field_validator("*")(clean_text)

    @field_validator("original_idea", "improved_prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("created_at")
    @classmethod
    def _sane_time(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        # Years 1 and 9999 with an offset overflow the conversion to UTC: refuse them first.
        if not 2000 <= value.year <= 9998 or not EARLIEST <= value <= datetime.now(UTC) + AHEAD:
            raise ValueError(
                "must be between 2000-01-01 and one day from now (ISO-8601, UTC if no offset)"
            )
        return value

    def to_row(self) -> dict[str, Any]:
        row = self.model_dump()
        created = self.created_at or datetime.now(UTC)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        row["created_at"] = iso_utc(created)
        row["framework_raw"] = self.framework
        row["framework"] = normalize_framework(self.framework) if self.framework else None
        return row


_records = TypeAdapter(list[HistoryRecord])


def describe(error: ValidationError, prefix: str = "") -> str:
    """'records[3].confidence: Input should be less than or equal to 1' style messages."""
    parts = []
    for item in error.errors(include_url=False)[:5]:
        loc = prefix
        for part in item["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (check its spelling; see /api/v1/openapi.json)"
        parts.append(f"{loc or 'body'}: {message}")
    more = len(error.errors()) - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def parse_records(body: Any) -> list[HistoryRecord]:
    """One record (an object) or up to MAX_RECORDS (an array). Raises ValueError with a detail."""
    if isinstance(body, dict):
        try:
            return [HistoryRecord.model_validate(body)]
        except ValidationError as exc:
            raise ValueError(describe(exc)) from None
    if isinstance(body, list):
        if not body:
            raise ValueError("body: the array is empty; send at least one record")
        if len(body) > MAX_RECORDS:
            raise ValueError(
                f"body: {len(body)} records in one request; send at most {MAX_RECORDS} per request"
            )
        try:
            return _records.validate_python(body)
        except ValidationError as exc:
            raise ValueError(describe(exc, prefix="records")) from None
    raise ValueError("body: must be a JSON object (one record) or an array of records")
