"""SQLAlchemy storage for SQLite and PostgreSQL."""
