"""Storage: SQLAlchemy 2 tables, engines and transactions, Alembic migrations.

- :func:`yibao.persistence.db.make_engine`, :func:`~yibao.persistence.db.make_session_factory`,
  :func:`~yibao.persistence.db.unit_of_work`, :func:`~yibao.persistence.db.transaction`
- :func:`yibao.persistence.migrate.upgrade` runs the migrations shipped here.
- ``yibao.persistence.tables``: one module per noun.
"""
