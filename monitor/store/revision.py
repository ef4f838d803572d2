"""Draft a new Alembic revision from the tables: `python -m monitor.store.revision MESSAGE`.

It autogenerates against a scratch SQLite database migrated to head, so it needs no server.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from monitor.store.migrate import alembic_config, upgrade


def main(argv: list[str]) -> None:
    message = " ".join(argv) or "change"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        upgrade(url)
        command.revision(alembic_config(url), message=message, autogenerate=True)


if __name__ == "__main__":
    main(sys.argv[1:])
