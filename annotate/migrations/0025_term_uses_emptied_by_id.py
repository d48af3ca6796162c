"""The vocabulary trigger deletes the TermUse rows a statement brought to 0 by their
ids, taken from the upsert's RETURNING. 0024 joined the table back to the statement's
changes on (project, label, md5(text)); with its statistics stale, PostgreSQL chose a
nested loop, and deleting a document of 5,000 labelled strings took 10 s (25 million
md5 comparisons) instead of milliseconds."""

from __future__ import annotations

from importlib import import_module

from django.db import migrations

term_uses = import_module("annotate.migrations.0024_term_uses")


def applied(changed: str) -> str:
    """Adds the changes (in key order, so that concurrent statements lock the rows in
    one order) and keeps the ids of the rows they brought to 0 or below."""
    return f"""
        WITH counted AS (
            INSERT INTO annotate_termuse (project_id, label_id, text, uses)
            SELECT project_id, label_id, text, n FROM ({changed}) c
             ORDER BY project_id, label_id, md5(text)
            ON CONFLICT (project_id, label_id, md5(text))
            DO UPDATE SET uses = annotate_termuse.uses + EXCLUDED.uses
            RETURNING id, uses)
        SELECT array_agg(id) FILTER (WHERE uses <= 0) INTO emptied FROM counted;"""


COUNTED = f"""
CREATE OR REPLACE FUNCTION annotate_span_uses_counted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    emptied bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        {applied(term_uses.changes(("new_spans", 1)))}
    ELSIF TG_OP = 'DELETE' THEN
        {applied(term_uses.changes(("old_spans", -1)))}
    ELSE
        {applied(term_uses.changes(("new_spans", 1), ("old_spans", -1)))}
    END IF;
    IF emptied IS NOT NULL THEN
        DELETE FROM annotate_termuse WHERE id = ANY(emptied);
    END IF;
    RETURN NULL;
END $$;
"""

# 0024's function, for a migration back.
JOINED = (
    term_uses.COUNTED.split("CREATE TRIGGER", 1)[0]
    .replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
)


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0024_term_uses"),
    ]

    operations = [migrations.RunSQL(COUNTED, JOINED)]
