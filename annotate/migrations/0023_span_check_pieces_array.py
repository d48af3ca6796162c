"""The span text check of long documents looks pieces up in an array.

0019 joined a statement's spans to the text's pieces (a CTE of 25,000 rows for a 5 MB
text), which PostgreSQL estimates at a few rows and so joins in a nested loop: 500
spans accepted at once in a 5 MB article took a second, all of it in this check. The
pieces are now a PL/pgSQL array (expanded in memory: an element is read in constant
time), and each span reads its one or two pieces by subscript: 80 ms, most of it
cutting the text. The rest of 0019's function is unchanged.
"""

from __future__ import annotations

import importlib

from django.db import migrations

PIECE = 200

before = importlib.import_module("annotate.migrations.0019_span_checks_per_statement")
# 0019's function alone (not its triggers, which stay), replaceable in place.
FUNCTION_0019 = before.CHECK_PER_STATEMENT.split("DROP TRIGGER", 1)[0].replace(
    "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1
)

JOINED = f"""            WITH pieces AS MATERIALIZED (
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
                        substr(p.piece || coalesce(q.piece, ''),"""

SUBSCRIPTED = f"""            pieces := ARRAY(
                SELECT m[1]
                  FROM regexp_matches(doc_text, '.{{1,{PIECE}}}', 'g')
                       WITH ORDINALITY AS cut(m, n)
                 ORDER BY n
            );
            SELECT s.start, s."end" INTO bad
              FROM new_spans s
              JOIN annotate_assignment a ON a.id = s.assignment_id
             WHERE a.document_id = doc.document_id
               AND CASE WHEN s."end" - s.start <= {PIECE} THEN
                        substr(pieces[s.start / {PIECE} + 1]
                               || coalesce(pieces[s.start / {PIECE} + 2], ''),"""

assert JOINED in FUNCTION_0019, "0019's join of the pieces is not where it was"
FUNCTION_0023 = FUNCTION_0019.replace(JOINED, SUBSCRIPTED).replace(
    "    bad record;\n", "    bad record;\n    pieces text[];\n", 1
)


class Migration(migrations.Migration):
    dependencies = [("annotate", "0022_prediction_display")]

    operations = [migrations.RunSQL(FUNCTION_0023, FUNCTION_0019)]
