"""The full-text vector becomes a plain column, so that a bulk load does not compute it.

A generated `to_tsvector` column (and its GIN index) was ~95% of an import's INSERT. Now:
- `annotate_search_vector(title, text)` is the one definition of a document's vector
  (the same lexemes as the generated column had, so stored vectors stay valid);
- a trigger fills it on every INSERT, and on an UPDATE of the title or the text, except
  for rows the loader inserts with `annotate.search_later` set: those stay NULL until the
  loader's follow-up task (annotate/ingest/search.py) fills them with set-based UPDATEs;
- the search matches a NULL vector by computing it on the fly, through the partial index
  `document_search_pending`, so a document is findable from the moment it is committed.
"""

import django.contrib.postgres.search
from django.db import migrations, models

FORWARD = """
ALTER TABLE annotate_document ALTER COLUMN search DROP EXPRESSION;
ALTER TABLE annotate_document ALTER COLUMN search DROP NOT NULL;

CREATE OR REPLACE FUNCTION annotate_search_vector(title text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('simple'::regconfig,
                       coalesce(title, '') || ' ' || coalesce(left(body, 100000), ''));

CREATE FUNCTION annotate_document_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := annotate_search_vector(NEW.title, NEW.text);
    RETURN NEW;
END $$;

CREATE TRIGGER annotate_document_search_insert BEFORE INSERT ON annotate_document
    FOR EACH ROW
    WHEN (coalesce(current_setting('annotate.search_later', true), '') <> 'on')
    EXECUTE FUNCTION annotate_document_search();
CREATE TRIGGER annotate_document_search_update BEFORE UPDATE OF title, text
    ON annotate_document FOR EACH ROW
    EXECUTE FUNCTION annotate_document_search();
"""

BACKWARD = """
DROP TRIGGER annotate_document_search_insert ON annotate_document;
DROP TRIGGER annotate_document_search_update ON annotate_document;
DROP FUNCTION annotate_document_search();
DROP INDEX IF EXISTS document_search_pending;
DROP INDEX document_search_gin;
ALTER TABLE annotate_document DROP COLUMN search;
ALTER TABLE annotate_document ADD COLUMN search tsvector GENERATED ALWAYS AS
    (annotate_search_vector(title, text)) STORED;
CREATE INDEX document_search_gin ON annotate_document USING gin (search);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0019_span_checks_per_statement"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.AlterField(
                    model_name="document",
                    name="search",
                    field=django.contrib.postgres.search.SearchVectorField(
                        editable=False, null=True
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                models.F("project"),
                condition=models.Q(search__isnull=True),
                name="document_search_pending",
            ),
        ),
    ]
