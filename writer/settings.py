"""Settings from the environment and `.env`, with the names existing users already have."""

from __future__ import annotations

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The repository root: metadata.yml, plugins/ and datasette/ live here (editable install).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

Provider = Literal["ollama", "openai", "anthropic", "gemini", "deepseek"]

DEFAULT_MODELS: dict[str, str] = {
    "ollama": "llama3.1",
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-latest",
    "gemini": "gemini-1.5-flash",
    "deepseek": "deepseek-chat",
}

# litellm's provider prefix for each of our provider names.
LITELLM_PREFIX: dict[str, str] = {
    "ollama": "ollama_chat",
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "deepseek": "deepseek",
}


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1, localhost and *.localhost (which browsers resolve to loopback)."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    llm_provider: Provider = "ollama"
    llm_model: str = ""
    llm_base_url: str = "http://localhost:11434"
    llm_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    gemini_api_key: SecretStr | None = None
    deepseek_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(120.0, gt=0)
    # One deadline for a whole improvement (LLM calls, retries and the offline fallback),
    # under the Raycast extension's own 120 s timeout so the fallback still reaches it.
    improve_deadline_s: float = Field(90.0, gt=0)
    # How often the background probe asks the provider for its model list (a failed call
    # also triggers one); a down LLM is probed more often, every LLM_PROBE_DOWN_INTERVAL_S.
    llm_probe_interval_s: float = Field(60.0, gt=0)
    llm_probe_down_interval_s: float = Field(10.0, gt=0)
    # A refused connection is retried too, with backoff: keep this small for a hotkey.
    llm_max_retries: int = Field(1, ge=0, le=10)
    # After "nothing is listening", answer without the LLM for this long (0: always try).
    llm_retry_after_s: float = Field(30.0, ge=0)
    llm_temperature: float | None = None
    llm_max_tokens: int | None = 2000
    llm_fallback: Literal["nlac", "none"] = "nlac"

    nlac_k: int = Field(3, ge=1, le=10)

    # The compiled few-shot program `serve` uses when the file exists (`prompt-improver
    # compile -o ...`); reloaded when it changes or on SIGHUP. Empty: always zero-shot.
    dspy_compiled_path: Path | None = PROJECT_ROOT / "models" / "improver.json"

    sqlite_enabled: bool = True
    sqlite_db_path: Path = PROJECT_ROOT / "data" / "prompt_history.db"
    sqlite_busy_timeout_ms: int = Field(5000, ge=0)
    # How many queued rows one commit may take (group commit).
    sqlite_max_batch: int = Field(1000, ge=1)
    # Where rows go when the database cannot take them [default: <db>.spool.jsonl]. Put it
    # on another disk to survive the database's disk filling up.
    sqlite_spool_path: Path | None = None
    # After this many failed writes in a row, spool without trying the database...
    sqlite_breaker_threshold: int = Field(5, ge=1)
    # ...for this long, then probe it again.
    sqlite_breaker_cooldown_s: float = Field(300.0, ge=0)
    sqlite_checkpoint_interval_s: float = Field(30.0, gt=0)
    # Delete rows older than this many days (0 keeps everything), at start and then hourly.
    sqlite_retention_days: int = Field(30, ge=0)
    sqlite_retention_interval_s: float = Field(3600.0, gt=0)

    # Bearer token the write endpoints require; needed to bind beyond loopback.
    write_api_token: SecretStr | None = None
    # Origins allowed to call the API from a browser (comma-separated); none by default.
    cors_allow_origins: str = ""
    # A request body must arrive within this time (slow-drip bodies get 408).
    body_timeout_s: float = Field(10.0, gt=0)
    # Host names (comma-separated) the server answers besides the loopback ones: a request
    # with any other Host header gets 421 (DNS rebinding). See docs/security.md.
    allowed_hosts: str = ""
    # Reading (Datasette, full /health) needs the owner signed in: "auto" = when `serve`
    # binds beyond loopback; "always"; "never".
    read_auth: Literal["auto", "always", "never"] = "auto"
    # The address `serve` binds (set by `serve --host`); decides read_auth "auto".
    bind_host: str = "127.0.0.1"
    bind_port: int = 8000
    # Writes are refused with 507 once the database file (with its WAL) is this big.
    sqlite_max_db_mb: float = Field(4096.0, gt=0)
    # Rows are refused with 503 (never 202) once the spool is this big.
    sqlite_spool_max_mb: float = Field(64.0, gt=0)
    # HTTP limits of `serve` (see writer/http.py).
    http_max_header_bytes: int = Field(32 * 1024, ge=1024)
    http_max_headers: int = Field(100, ge=10)
    http_header_timeout_s: float = Field(10.0, gt=0)
    http_max_connections: int = Field(256, ge=4)
    # Datasette: the most bytes of rows one query may return (the rest is an error page).
    datasette_max_result_mb: float = Field(16.0, gt=0)

    datasette_metadata: Path = PROJECT_ROOT / "metadata.yml"
    datasette_plugins_dir: Path = PROJECT_ROOT / "plugins"
    datasette_templates_dir: Path = PROJECT_ROOT / "datasette" / "templates"
    datasette_static_dir: Path = PROJECT_ROOT / "datasette" / "static"
    # Turn off arbitrary SQL in Datasette when the history is shared.
    datasette_allow_sql: bool = True

    max_body_bytes: int = 1024 * 1024
    # POST /api/v1/history takes up to 1000 records in one body: room for ~8 KB each.
    history_max_body_bytes: int = 8 * 1024 * 1024

    @field_validator("write_api_token", "dspy_compiled_path", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def host_names(self) -> list[str]:
        return [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]

    @property
    def reads_need_auth(self) -> bool:
        if self.read_auth == "auto":
            return not is_loopback(self.bind_host)
        return self.read_auth == "always"

    @property
    def spool_file(self) -> Path:
        from writer.spool import spool_path

        return self.sqlite_spool_path or spool_path(self.sqlite_db_path)

    @cached_property
    def model_name(self) -> str:
        return self.llm_model or DEFAULT_MODELS[self.llm_provider]

    @cached_property
    def litellm_model(self) -> str:
        return f"{LITELLM_PREFIX[self.llm_provider]}/{self.model_name}"

    def api_key(self) -> str | None:
        """The key for the configured provider: LLM_API_KEY wins over the provider's own name."""
        secret = self.llm_api_key or {
            "openai": self.openai_api_key,
            "anthropic": self.anthropic_api_key,
            "gemini": self.gemini_api_key,
            "deepseek": self.deepseek_api_key,
        }.get(self.llm_provider)
        return secret.get_secret_value() if secret else None

    def api_base(self) -> str | None:
        """LLM_BASE_URL applies to Ollama always, to other providers only when changed."""
        default = type(self).model_fields["llm_base_url"].default
        if self.llm_provider == "ollama" or self.llm_base_url != default:
            return self.llm_base_url
        return None

    @property
    def llm_budget_s(self) -> float:
        """What the legacy path (dspy's import on a cold start, the LLM calls, retries) may
        use of IMPROVE_DEADLINE_S: the rest, up to 5 s, is kept for the fallback and the write."""
        deadline = self.improve_deadline_s
        return deadline - min(5.0, deadline * 0.2)

    @property
    def llm_call_timeout_s(self) -> float:
        """The LLM's own time: LLM_TIMEOUT_S, within the budget."""
        return min(self.llm_timeout_s, self.llm_budget_s)

    @property
    def dspy_configured(self) -> bool:
        """True when the legacy mode has what it needs to call an LLM (no network check)."""
        return bool(self.model_name) and (
            self.llm_provider == "ollama"
            or self.api_key() is not None
            or self.api_base() is not None
        )
