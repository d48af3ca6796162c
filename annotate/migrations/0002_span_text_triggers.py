"""Invariants that cross tables, so CHECK constraints cannot hold them.

- A span's text must be document.text[start:end] (substr counts characters, as Python does).
- A document's text never changes once a span points into it.
"""

from __future__ import annotations

from django.db import migrations

SPAN_CHECK = """
CREATE FUNCTION annotate_span_matches_text() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    doc_text text;
BEGIN
    SELECT d.text INTO doc_text
      FROM annotate_assignment a JOIN annotate_document d ON d.id = a.document_id
     WHERE a.id = NEW.assignment_id;
    -- Triggers run before CHECK constraints, so the bounds are checked here first.
    IF NEW.start < 0 OR NEW."end" <= NEW.start OR NEW."end" > char_length(doc_text) THEN
        RAISE EXCEPTION 'span %-% is outside the document text of % characters',
            NEW.start, NEW."end", char_length(doc_text) USING ERRCODE = 'check_violation';
    END IF;
    IF substr(doc_text, NEW.start + 1, NEW."end" - NEW.start) IS DISTINCT FROM NEW.text THEN
        RAISE EXCEPTION 'span %-% text does not match the document', NEW.start, NEW."end"
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER annotate_span_matches_text
    BEFORE INSERT OR UPDATE OF start, "end", text, assignment_id ON annotate_span
    FOR EACH ROW EXECUTE FUNCTION annotate_span_matches_text();

CREATE FUNCTION annotate_document_text_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM annotate_span s JOIN annotate_assignment a ON a.id = s.assignment_id
                WHERE a.document_id = NEW.id) THEN
        RAISE EXCEPTION 'document % has spans: its text cannot change', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER annotate_document_text_frozen
    BEFORE UPDATE OF text ON annotate_document
    FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)
    EXECUTE FUNCTION annotate_document_text_frozen();
"""

REVERSE = """
DROP TRIGGER annotate_document_text_frozen ON annotate_document;
DROP FUNCTION annotate_document_text_frozen();
DROP TRIGGER annotate_span_matches_text ON annotate_span;
DROP FUNCTION annotate_span_matches_text();
"""


class Migration(migrations.Migration):
    dependencies = [("annotate", "0001_initial")]

    operations = [migrations.RunSQL(SPAN_CHECK, REVERSE)]
