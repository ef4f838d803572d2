"""Storage: SQLAlchemy tables, engine and sessions, migrations, queries."""
