from django.db.migrations.operations.base import Operation


class PostgresOnlySQL(Operation):
    """Raw SQL that runs on PostgreSQL and is a no-op elsewhere (the SQLite demo)."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, sql: str, reverse_sql: str):
        self.sql = sql
        self.reverse_sql = reverse_sql

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(self.sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(self.reverse_sql)

    def describe(self):
        return "PostgreSQL-only SQL"
