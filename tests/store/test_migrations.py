from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from monitor.store import migrate
from monitor.store.engine import make_engine, session_scope
from monitor.store.tables import Base, ItemRecord, SourceRecord

NOW = datetime(2021, 10, 5, tzinfo=UTC)


def _add_rows(url: str) -> None:
    engine = make_engine(url)
    with session_scope(engine) as session:
        source = SourceRecord(name="s", field_mapping={}, created_at=NOW)
        session.add(source)
        session.flush()
        session.add(ItemRecord(source_id=source.id, external_id="1", text="t", text_normalised="t",
                               original_size=1, content_hash="h", published_at=NOW,
                               collected_at=NOW, extra={}))
    engine.dispose()


def test_migrations_upgrade_downgrade_upgrade_with_rows(blank_db_url: str) -> None:
    migrate.upgrade(blank_db_url)
    _add_rows(blank_db_url)
    migrate.downgrade(blank_db_url, "base")
    engine = make_engine(blank_db_url)
    assert "items" not in inspect(engine).get_table_names()
    engine.dispose()
    migrate.upgrade(blank_db_url)
    _add_rows(blank_db_url)
    engine = make_engine(blank_db_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with session_scope(engine) as session:
        assert session.scalars(select(ItemRecord.text)).all() == ["t"]
    engine.dispose()


def test_migrations_match_the_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_migrations_sqlite_runs_wal_with_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_migrations_foreign_keys_enforced(engine) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(ItemRecord(source_id=999, external_id="1", text="t", text_normalised="t",
                               original_size=1, content_hash="h", published_at=NOW,
                               collected_at=NOW, extra={}))


def test_migrations_datetimes_come_back_aware_utc(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        session.add(SourceRecord(name="s", field_mapping={}, created_at=NOW))
    with session_scope(engine) as session:
        created = session.scalars(select(SourceRecord.created_at)).one()
    assert created == NOW and created.tzinfo is not None
