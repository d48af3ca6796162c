"""Assignment.is_imported (set for the loader's "imported:<tool>" identities), and
Document.assignment_count kept by triggers on annotate_assignment: statement-level for
inserts and deletes (one UPDATE per statement, however many rows: bulk loads, cascades,
the admin's bulk delete), row-level for the rare update that moves a slot (a skip, a
reopen, a document moved). Counts are recomputed once here."""

from django.db import migrations, models

COUNTED = "NOT {row}.is_gold AND NOT {row}.is_imported AND {row}.status <> 'skipped'"

SLOT_TRIGGERS = f"""
UPDATE annotate_assignment a SET is_imported = true
  FROM auth_user u WHERE u.id = a.annotator_id AND u.username LIKE 'imported:%';

CREATE FUNCTION annotate_assignment_slots_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE annotate_document d SET assignment_count = d.assignment_count + added.n
          FROM (SELECT document_id, count(*) AS n FROM new_rows r
                 WHERE {COUNTED.format(row="r")} GROUP BY document_id) added
         WHERE d.id = added.document_id;
    ELSE
        UPDATE annotate_document d SET assignment_count = d.assignment_count - removed.n
          FROM (SELECT document_id, count(*) AS n FROM old_rows r
                 WHERE {COUNTED.format(row="r")} GROUP BY document_id) removed
         WHERE d.id = removed.document_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER annotate_assignment_slots_insert AFTER INSERT ON annotate_assignment
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION annotate_assignment_slots_counted();
CREATE TRIGGER annotate_assignment_slots_delete AFTER DELETE ON annotate_assignment
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION annotate_assignment_slots_counted();

CREATE FUNCTION annotate_assignment_slot_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {COUNTED.format(row="OLD")} THEN
        UPDATE annotate_document SET assignment_count = assignment_count - 1
         WHERE id = OLD.document_id;
    END IF;
    IF {COUNTED.format(row="NEW")} THEN
        UPDATE annotate_document SET assignment_count = assignment_count + 1
         WHERE id = NEW.document_id;
    END IF;
    RETURN NULL;
END $$;
-- Only updates of the columns that decide a slot, and only when the decision or the
-- document changes: every labelling action updates its assignment's version.
CREATE TRIGGER annotate_assignment_slot_move
    AFTER UPDATE OF status, is_gold, is_imported, document_id ON annotate_assignment
    FOR EACH ROW
    WHEN (({COUNTED.format(row="OLD")}) IS DISTINCT FROM ({COUNTED.format(row="NEW")})
          OR OLD.document_id IS DISTINCT FROM NEW.document_id)
    EXECUTE FUNCTION annotate_assignment_slot_moved();

UPDATE annotate_document d SET assignment_count = (
    SELECT count(*) FROM annotate_assignment a
     WHERE a.document_id = d.id AND {COUNTED.format(row="a")});
"""

DROP = """
DROP TRIGGER annotate_assignment_slots_insert ON annotate_assignment;
DROP TRIGGER annotate_assignment_slots_delete ON annotate_assignment;
DROP TRIGGER annotate_assignment_slot_move ON annotate_assignment;
DROP FUNCTION annotate_assignment_slot_moved();
DROP FUNCTION annotate_assignment_slots_counted();
"""



class Migration(migrations.Migration):

    dependencies = [
        ('annotate', '0012_assignment_annotator_document'),
    ]

    operations = [
        migrations.AddField(
            model_name='assignment',
            name='is_imported',
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name='importrun',
            name='merged',
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AlterField(
            model_name='reviewevent',
            name='via',
            field=models.CharField(choices=[('admin', 'Admin'), ('review', 'review screen'), ('restore', 'restore of a full export')], max_length=20),
        ),
        migrations.RunSQL(SLOT_TRIGGERS, DROP),
    ]
