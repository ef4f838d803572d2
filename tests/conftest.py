"""Shared fixtures: real databases (SQLite and PostgreSQL), migrated by Alembic once each.

PostgreSQL tests use the server on 127.0.0.1:5432 (override: MONITOR_TEST_PG_URL). When it
cannot be reached they skip with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import secrets
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from monitor.config import Settings
from monitor.services.training import TrainResult
from monitor.store import migrate
from monitor.store.engine import make_engine
from monitor.store.tables import Base

TEST_SECRET = secrets.token_urlsafe(40)
os.environ.setdefault("MONITOR_SECRET_KEY", TEST_SECRET)
PG_URL = os.environ.get(
    "MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_unreachable_reason() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL at {make_url(PG_URL).render_as_string()} unreachable: {exc}"[:300]
    return None


class PostgresServer:
    """Creates throwaway databases on the test server and drops them at the end."""

    def __init__(self) -> None:
        self.admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create_database(self) -> str:
        name = f"monitor_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    reason = _pg_unreachable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    server = PostgresServer()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated(postgres_server: PostgresServer) -> str:
    url = postgres_server.create_database()
    migrate.upgrade(url)
    return url


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each backend; isolated per test."""
    if request.param == "sqlite":
        path = tmp_path / "monitor.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_migrated")
    _truncate_all(url)
    yield url
    _truncate_all(url)


@pytest.fixture(params=BACKENDS)
def blank_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no schema at all, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'blank.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url, secret_key=TEST_SECRET,
                    ingest_batch_size=50, _env_file=None)  # type: ignore[call-arg]


DATA = Path(__file__).parent / "data"


# Models trained once per session on a small synthetic corpus (tests/mini_corpus.py): the
# classifier tests use them, and every test that runs `monitor demo` copies them so the demo
# finds active models instead of training on the whole seed corpus.


@pytest.fixture(scope="session")
def mini_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .mini_corpus import write_corpus

    return write_corpus(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, mini_corpus: Path
            ) -> tuple[Settings, TrainResult]:
    from monitor.services.training import train_models

    base = tmp_path_factory.mktemp("models")
    settings = Settings(data_dir=base / "data", models_dir=base / "models",
                        secret_key=TEST_SECRET, _env_file=None)  # type: ignore[call-arg]
    return settings, train_models(settings, corpus_dir=mini_corpus, seed=0)


@pytest.fixture
def mini_models(trained: tuple[Settings, TrainResult], tmp_path: Path) -> Path:
    """A private copy of the trained models directory (activation changes stay local)."""
    target = tmp_path / "mini-models"
    shutil.copytree(trained[0].models_dir, target)
    return target
