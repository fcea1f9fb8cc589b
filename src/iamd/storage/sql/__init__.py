"""SQLAlchemy Core storage for SQLite and PostgreSQL.

May import: storage.api, domain, sqlalchemy.
"""
