"""TermUse: how many spans of each project label a string with a label, kept by
triggers on annotate_span, so the suggestions' vocabulary is read from an index
instead of counted from every span of the project (a blind project counted them again
for each document opened: 0.3 s of PostgreSQL a document at 1,000,000 spans).

Statement-level triggers add the counts of inserted spans and take away those of
deleted ones (one upsert per statement: bulk loads, cascades, accept-all); an UPDATE
applies the difference between its old and new rows, so linking an entity writes
nothing. A document moved to another project, or an assignment to another document,
moves its spans' counts. Rows that reach 0 are deleted. Counts are filled once here."""
from __future__ import annotations

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


def changes(*sides: tuple[str, int]) -> str:
    """(project, label, text, change) summed over transition tables of spans, each
    counted with its sign, leaving out what sums to nothing."""
    counted = " UNION ALL ".join(
        f"SELECT d.project_id, s.label_id, s.text, {sign} AS n FROM {table} s "
        "JOIN annotate_assignment a ON a.id = s.assignment_id "
        "JOIN annotate_document d ON d.id = a.document_id"
        for table, sign in sides
    )
    return (
        f"SELECT project_id, label_id, text, sum(n) AS n FROM ({counted}) c "
        "GROUP BY project_id, label_id, text HAVING sum(n) <> 0"
    )


def applied(changed: str) -> str:
    """Adds the changes (in key order, so that concurrent statements lock the rows in
    one order), then deletes the rows they brought to 0."""
    return f"""
        INSERT INTO annotate_termuse (project_id, label_id, text, uses)
        SELECT project_id, label_id, text, n FROM ({changed}) c
         ORDER BY project_id, label_id, md5(text)
        ON CONFLICT (project_id, label_id, md5(text))
        DO UPDATE SET uses = annotate_termuse.uses + EXCLUDED.uses;
        DELETE FROM annotate_termuse t USING ({changed}) c
         WHERE c.n < 0 AND t.project_id = c.project_id AND t.label_id = c.label_id
           AND md5(t.text) = md5(c.text) AND t.uses <= 0;"""


COUNTED = f"""
CREATE FUNCTION annotate_span_uses_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {applied(changes(("new_spans", 1)))}
    ELSIF TG_OP = 'DELETE' THEN
        {applied(changes(("old_spans", -1)))}
    ELSE
        {applied(changes(("new_spans", 1), ("old_spans", -1)))}
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER annotate_span_uses_insert AFTER INSERT ON annotate_span
    REFERENCING NEW TABLE AS new_spans
    FOR EACH STATEMENT EXECUTE FUNCTION annotate_span_uses_counted();
CREATE TRIGGER annotate_span_uses_delete AFTER DELETE ON annotate_span
    REFERENCING OLD TABLE AS old_spans
    FOR EACH STATEMENT EXECUTE FUNCTION annotate_span_uses_counted();
CREATE TRIGGER annotate_span_uses_update AFTER UPDATE ON annotate_span
    REFERENCING OLD TABLE AS old_spans NEW TABLE AS new_spans
    FOR EACH STATEMENT EXECUTE FUNCTION annotate_span_uses_counted();

-- The spans of one document (or one assignment) counted from one project to another.
CREATE FUNCTION annotate_span_uses_moved(
    spans_of_document bigint, spans_of_assignment bigint, old_project bigint,
    new_project bigint) RETURNS void LANGUAGE sql AS $$
    WITH moved AS (
        SELECT s.label_id, s.text, count(*) AS n FROM annotate_span s
          JOIN annotate_assignment a ON a.id = s.assignment_id
         WHERE a.document_id = spans_of_document
           AND (spans_of_assignment IS NULL OR a.id = spans_of_assignment)
         GROUP BY s.label_id, s.text)
    INSERT INTO annotate_termuse (project_id, label_id, text, uses)
    SELECT p.project_id, m.label_id, m.text, p.sign * m.n
      FROM moved m CROSS JOIN (VALUES (old_project, -1), (new_project, 1)) p(project_id, sign)
     ORDER BY 1, 2, md5(m.text)
    ON CONFLICT (project_id, label_id, md5(text))
    DO UPDATE SET uses = annotate_termuse.uses + EXCLUDED.uses;
    DELETE FROM annotate_termuse WHERE project_id = old_project AND uses <= 0;
$$;
CREATE FUNCTION annotate_document_uses_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM annotate_span_uses_moved(NEW.id, NULL, OLD.project_id, NEW.project_id);
    RETURN NULL;
END $$;
CREATE TRIGGER annotate_document_uses_move AFTER UPDATE OF project_id ON annotate_document
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION annotate_document_uses_moved();
CREATE FUNCTION annotate_assignment_uses_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_project bigint;
    new_project bigint;
BEGIN
    SELECT project_id INTO old_project FROM annotate_document WHERE id = OLD.document_id;
    SELECT project_id INTO new_project FROM annotate_document WHERE id = NEW.document_id;
    IF old_project IS DISTINCT FROM new_project THEN
        PERFORM annotate_span_uses_moved(NEW.document_id, NEW.id, old_project, new_project);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER annotate_assignment_uses_move AFTER UPDATE OF document_id ON annotate_assignment
    FOR EACH ROW WHEN (OLD.document_id IS DISTINCT FROM NEW.document_id)
    EXECUTE FUNCTION annotate_assignment_uses_moved();

INSERT INTO annotate_termuse (project_id, label_id, text, uses)
SELECT d.project_id, s.label_id, s.text, count(*) FROM annotate_span s
  JOIN annotate_assignment a ON a.id = s.assignment_id
  JOIN annotate_document d ON d.id = a.document_id
 GROUP BY d.project_id, s.label_id, s.text;
"""

DROP = """
DROP TRIGGER annotate_span_uses_insert ON annotate_span;
DROP TRIGGER annotate_span_uses_delete ON annotate_span;
DROP TRIGGER annotate_span_uses_update ON annotate_span;
DROP TRIGGER annotate_document_uses_move ON annotate_document;
DROP TRIGGER annotate_assignment_uses_move ON annotate_assignment;
DROP FUNCTION annotate_span_uses_counted();
DROP FUNCTION annotate_document_uses_moved();
DROP FUNCTION annotate_assignment_uses_moved();
DROP FUNCTION annotate_span_uses_moved(bigint, bigint, bigint, bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0023_span_check_pieces_array"),
    ]

    operations = [
        migrations.CreateModel(
            name="TermUse",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("text", models.TextField()),
                ("uses", models.IntegerField()),
                (
                    "label",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="annotate.label",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="term_uses",
                        to="annotate.project",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        models.F("project"),
                        models.OrderBy(models.F("uses"), descending=True),
                        name="termuse_most_used",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        models.F("project"),
                        models.F("label"),
                        django.db.models.functions.text.MD5("text"),
                        name="termuse_unique",
                    )
                ],
            },
        ),
        migrations.RunSQL(COUNTED, DROP),
    ]
