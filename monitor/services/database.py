"""Opening the configured database, checked to be at the current schema."""

from __future__ import annotations

from sqlalchemy import Engine

from monitor.config import Settings
from monitor.store import migrate
from monitor.store.engine import make_engine


def open_engine(settings: Settings, *, check_schema: bool = True) -> Engine:
    """The engine for the configured database; refuses a schema that is not at head."""
    engine = make_engine(settings.effective_database_url)
    if check_schema:
        try:
            migrate.require_head(engine)
        except BaseException:
            engine.dispose()
            raise
    return engine


def upgrade(settings: Settings, revision: str = "head") -> None:
    migrate.upgrade(settings.effective_database_url, revision)


def downgrade(settings: Settings, revision: str) -> None:
    migrate.downgrade(settings.effective_database_url, revision)


def current(settings: Settings) -> tuple[str | None, str]:
    """(current revision, head revision) of the configured database."""
    engine = make_engine(settings.effective_database_url)
    try:
        return migrate.current_revision(engine), migrate.head_revision()
    finally:
        engine.dispose()
