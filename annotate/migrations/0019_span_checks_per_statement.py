"""The span text check per statement, not per row.

0002's trigger read the document's text (all of it, decompressed) for every span
inserted: ~40 ms a span in a 5 MB article, 16 minutes for an "accept all" of 30,000.
Inserts are now checked once per statement, from its new spans (a transition table):
the spans of short documents in one query; those of long ones grouped by document,
each document's text read once and the spans compared with it in one query. One or two spans are cut out of the text directly; many are
matched against the text cut once into pieces of PIECE characters, so the whole check
stays linear in the text and the spans (substr counts characters from the start of
what it cuts, so cutting every span out of a 5 MB text would be quadratic).

UPDATEs that move a span (start, end, text, assignment) are rare and keep 0002's
per-row check (transition tables cannot be limited to those columns).
"""

from __future__ import annotations

from django.db import migrations

PIECE = 200  # PostgreSQL's regular expressions repeat at most 255 times
# Texts shorter than this (bytes; octet_length reads no text) are checked span by span
# in one query for the whole statement, as 0002 did row by row.
BIG = 100_000

CHECK_PER_STATEMENT = f"""
CREATE FUNCTION annotate_spans_match_text() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    doc record;
    doc_text text;
    doc_length integer;
    bad record;
BEGIN
    -- Documents under {BIG} bytes (nearly all): each span cut straight from the text,
    -- all of them in one query.
    SELECT s.start, s."end", char_length(d.text) AS length,
           s.start < 0 OR s."end" <= s.start OR s."end" > char_length(d.text) AS outside
      INTO bad
      FROM new_spans s
      JOIN annotate_assignment a ON a.id = s.assignment_id
      JOIN annotate_document d ON d.id = a.document_id
     WHERE octet_length(d.text) < {BIG}
       AND (s.start < 0 OR s."end" <= s.start OR s."end" > char_length(d.text)
            OR substr(d.text, s.start + 1, s."end" - s.start) IS DISTINCT FROM s.text)
     LIMIT 1;
    IF FOUND AND bad.outside THEN
        RAISE EXCEPTION 'span %-% is outside the document text of % characters',
            bad.start, bad."end", bad.length USING ERRCODE = 'check_violation';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'span %-% text does not match the document', bad.start, bad."end"
            USING ERRCODE = 'check_violation';
    END IF;
    -- Long documents: the text read once per document.
    FOR doc IN
        SELECT a.document_id, count(*) AS spans
          FROM new_spans s
          JOIN annotate_assignment a ON a.id = s.assignment_id
          JOIN annotate_document d ON d.id = a.document_id
         WHERE octet_length(d.text) >= {BIG}
         GROUP BY a.document_id
    LOOP
        -- Read the text once for all of this statement's spans in it (decompressed
        -- at once when there are many, not by each substr).
        SELECT CASE WHEN doc.spans <= 2 THEN d.text ELSE d.text || '' END INTO doc_text
          FROM annotate_document d WHERE d.id = doc.document_id;
        doc_length := char_length(doc_text);
        SELECT s.start, s."end" INTO bad
          FROM new_spans s JOIN annotate_assignment a ON a.id = s.assignment_id
         WHERE a.document_id = doc.document_id
           AND (s.start < 0 OR s."end" <= s.start OR s."end" > doc_length)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'span %-% is outside the document text of % characters',
                bad.start, bad."end", doc_length USING ERRCODE = 'check_violation';
        END IF;
        IF doc.spans <= 2 THEN
            SELECT s.start, s."end" INTO bad
              FROM new_spans s JOIN annotate_assignment a ON a.id = s.assignment_id
             WHERE a.document_id = doc.document_id
               AND substr(doc_text, s.start + 1, s."end" - s.start) IS DISTINCT FROM s.text
             LIMIT 1;
        ELSE
            WITH pieces AS MATERIALIZED (
                SELECT (n - 1)::integer AS i, m[1] AS piece
                  FROM regexp_matches(doc_text, '.{{1,{PIECE}}}', 'g')
                       WITH ORDINALITY AS cut(m, n)
            )
            SELECT s.start, s."end" INTO bad
              FROM new_spans s
              JOIN annotate_assignment a ON a.id = s.assignment_id
              LEFT JOIN pieces p ON p.i = s.start / {PIECE}
              LEFT JOIN pieces q ON q.i = s.start / {PIECE} + 1
             WHERE a.document_id = doc.document_id
               AND CASE WHEN s."end" - s.start <= {PIECE} THEN
                        substr(p.piece || coalesce(q.piece, ''),
                               s.start % {PIECE} + 1, s."end" - s.start)
                   ELSE substr(doc_text, s.start + 1, s."end" - s.start)
                   END IS DISTINCT FROM s.text
             LIMIT 1;
        END IF;
        IF FOUND THEN
            RAISE EXCEPTION 'span %-% text does not match the document',
                bad.start, bad."end" USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
DROP TRIGGER annotate_span_matches_text ON annotate_span;
CREATE TRIGGER annotate_span_matches_text
    BEFORE UPDATE OF start, "end", text, assignment_id ON annotate_span
    FOR EACH ROW EXECUTE FUNCTION annotate_span_matches_text();
CREATE TRIGGER annotate_spans_match_text
    AFTER INSERT ON annotate_span REFERENCING NEW TABLE AS new_spans
    FOR EACH STATEMENT EXECUTE FUNCTION annotate_spans_match_text();
"""

PER_ROW_AGAIN = """
DROP TRIGGER annotate_spans_match_text ON annotate_span;
DROP FUNCTION annotate_spans_match_text();
DROP TRIGGER annotate_span_matches_text ON annotate_span;
CREATE TRIGGER annotate_span_matches_text
    BEFORE INSERT OR UPDATE OF start, "end", text, assignment_id ON annotate_span
    FOR EACH ROW EXECUTE FUNCTION annotate_span_matches_text();
"""


class Migration(migrations.Migration):
    dependencies = [("annotate", "0018_task_heartbeats")]

    operations = [migrations.RunSQL(CHECK_PER_STATEMENT, PER_ROW_AGAIN)]
