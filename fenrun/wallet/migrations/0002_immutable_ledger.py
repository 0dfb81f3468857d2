"""Database guards that keep ledger rows immutable, beside the model-level guards.

UPDATE is refused on both databases. DELETE is refused on PostgreSQL only: SQLite's test
flush empties tables with DELETE, while PostgreSQL's uses TRUNCATE, which row triggers
do not see.
"""

from django.db import migrations

TABLES = ("wallet_entry", "wallet_transaction")

SQLITE_UP = [
    f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, 'wallet ledger rows are immutable'); END;"""
    for table in TABLES
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {table}_no_update;" for table in TABLES]

PG_UP = [
    """CREATE OR REPLACE FUNCTION wallet_ledger_immutable() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'wallet ledger rows are immutable'; END;
    $$ LANGUAGE plpgsql;"""
] + [
    f"""CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION wallet_ledger_immutable();"""
    for table in TABLES
]
PG_DOWN = [f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};" for table in TABLES] + [
    "DROP FUNCTION IF EXISTS wallet_ledger_immutable();"
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        )
    ]
