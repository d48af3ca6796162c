"""What annotators say about a document: one Assignment each, and what hangs off it."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.db.models import F, Q, Subquery
from django.db.models.functions import MD5
from django.utils import timezone


class AssignmentQuerySet(models.QuerySet):
    def for_project(self, project) -> AssignmentQuerySet:
        return self.filter(document__project=project)

    def by(self, user) -> AssignmentQuerySet:
        return self.filter(annotator=user, is_gold=False)

    def open(self) -> AssignmentQuerySet:
        return self.filter(status=Assignment.Status.ASSIGNED)

    def submitted(self) -> AssignmentQuerySet:
        return self.filter(status=Assignment.Status.SUBMITTED)

    def gold(self) -> AssignmentQuerySet:
        return self.filter(is_gold=True)

    def imported(self) -> AssignmentQuerySet:
        """Work imported from other tools, under identities that are not our users."""
        return self.filter(is_imported=True)

    def by_people(self) -> AssignmentQuerySet:
        """Work done here by this installation's users (deactivated ones included):
        what agreement, statistics and the source registry count."""
        return self.filter(is_imported=False)


class Assignment(models.Model):
    """One person's work on one document. Gold is one more Assignment with is_gold=True."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned"
        SUBMITTED = "submitted"
        SKIPPED = "skipped"

    class ReviewState(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    document = models.ForeignKey(
        "Document", on_delete=models.CASCADE, related_name="assignments"
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ASSIGNED
    )
    review_state = models.CharField(
        max_length=20, choices=ReviewState.choices, default=ReviewState.PENDING
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_comment = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # A manager's direct assignment (None: taken from the queue); the queue serves
    # assigned documents first, until their annotator first opens them (opened_at).
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    is_gold = models.BooleanField(default=False)
    # Imported from another tool (or restored by someone who may not speak for the
    # people it names): its annotator is an inactive "imported:<name>" identity. Such
    # work holds no queue slot and is left out of agreement.
    is_imported = models.BooleanField(default=False, db_default=False)
    # Bumped by every change, so two tabs or two reviewers notice each other's edits.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "annotator"],
                condition=Q(is_gold=False),
                name="assignment_one_per_annotator",
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(is_gold=True),
                name="assignment_one_gold",
            ),
        ]
        indexes = [
            models.Index(
                fields=["annotator", "status"], name="assignment_annotator_status"
            ),
            models.Index(
                fields=["document", "status"], name="assignment_document_status"
            ),
            # Where an annotator left off in a project (annotate.labelling.queue).
            models.Index(
                fields=["annotator", "document"],
                condition=Q(is_gold=False),
                name="assignment_annotator_document",
            ),
        ]

    def __str__(self) -> str:
        who = "gold" if self.is_gold else str(self.annotator)
        return f"{self.document} · {who}"

    def touch(self) -> None:
        """Record that something hanging off this assignment changed."""
        # One statement, not an UPDATE and a read back: every labelling action pays it.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Assignment._meta.db_table} SET version = version + 1, updated_at = %s"
                " WHERE id = %s RETURNING version, updated_at",
                [timezone.now(), self.pk],
            )
            self.version, self.updated_at = cursor.fetchone()

    @property
    def is_open_to_changes(self) -> bool:
        """Its annotator may still change it: until accepted. A rejected version goes
        back to its annotator to fix (the reviewer's comment says what) and resubmit."""
        return self.review_state != self.ReviewState.ACCEPTED

    def submit(self) -> None:
        self.status = self.Status.SUBMITTED
        self.submitted_at = timezone.now()
        if self.review_state == self.ReviewState.REJECTED:
            self.review_state = self.ReviewState.PENDING  # fixed: to be reviewed again
        self.version += 1
        self.save(
            update_fields=[
                "status",
                "submitted_at",
                "review_state",
                "version",
                "updated_at",
            ]
        )
        self.trim_undo_stack()

    def trim_undo_stack(self) -> None:
        """Keep the newest AssignmentChange.KEPT changes: undo still reaches back into
        the last session after a submit, and a long-edited document's stack stays
        small. Done at submit, not on every change, which it would slow down."""
        oldest_kept = self.changes.order_by("-id").values("id")[
            AssignmentChange.KEPT - 1 : AssignmentChange.KEPT
        ]
        self.changes.filter(id__lt=Subquery(oldest_kept)).delete()

    def skip(self) -> None:
        self.status = self.Status.SKIPPED
        self.version += 1
        self.save(update_fields=["status", "version", "updated_at"])

    def review(self, *, reviewer, state: str, comment: str = "") -> None:
        self.review_state = state
        self.reviewer = reviewer
        self.review_comment = comment
        self.reviewed_at = timezone.now()
        self.version += 1
        self.save(
            update_fields=[
                "review_state",
                "reviewer",
                "review_comment",
                "reviewed_at",
                "version",
                "updated_at",
            ]
        )


class Span(models.Model):
    """A labelled character range; offsets are Python string indices (code points).

    Besides the checks below, a trigger (migration 0002) refuses a span whose
    `text` is not document.text[start:end].
    """

    class Origin(models.TextChoices):
        MANUAL = "manual"
        SUGGESTED = "suggested"
        IMPORTED = "imported"

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="spans"
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    label = models.ForeignKey("Label", on_delete=models.RESTRICT, related_name="spans")
    text = models.TextField()
    entity = models.ForeignKey(
        "Entity", null=True, blank=True, on_delete=models.SET_NULL, related_name="spans"
    )
    origin = models.CharField(
        max_length=20, choices=Origin.choices, default=Origin.MANUAL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "-end", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="span_start_gte_0"),
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="span_start_lt_end"
            ),
            models.UniqueConstraint(
                fields=["assignment", "start", "end", "label"], name="span_unique"
            ),
        ]
        indexes = [models.Index(fields=["label"], name="span_label")]

    def __str__(self) -> str:
        return f"{self.text} [{self.label}]"


class TermUseQuerySet(models.QuerySet):
    def most_used(self, project_id: int, most: int) -> list[tuple[str, int, int]]:
        """The project's `most` most used (string, label, uses), most used first."""
        rows = self.filter(project_id=project_id, uses__gt=0).order_by(
            "-uses", "text", "label_id"
        )
        return list(rows.values_list("text", "label_id", "uses")[:most])

    def most_used_beside(
        self, project_id: int, document_id: int, most: int
    ) -> list[tuple[str, int, int]]:
        """The same, without the spans people made in one document (its imported
        annotations still count): a blind project's vocabulary as seen from there.
        One statement, so the counts and the document's spans are read together."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH own AS (
                    SELECT s.text, s.label_id, count(*) AS n
                      FROM annotate_span s
                      JOIN annotate_assignment a ON a.id = s.assignment_id
                     WHERE a.document_id = %(document)s AND NOT a.is_imported
                     GROUP BY s.text, s.label_id)
                SELECT t.text, t.label_id, t.uses - coalesce(own.n, 0) AS left_over
                  FROM (SELECT text, label_id, uses FROM annotate_termuse
                         WHERE project_id = %(project)s AND uses > 0
                         ORDER BY uses DESC, text, label_id
                         -- enough that none of the `most` left over is missed
                         LIMIT %(most)s + (SELECT count(*) FROM own)) t
                  LEFT JOIN own ON own.text = t.text AND own.label_id = t.label_id
                 WHERE t.uses - coalesce(own.n, 0) > 0
                 ORDER BY left_over DESC, t.text, t.label_id
                 LIMIT %(most)s
                """,
                {"project": project_id, "document": document_id, "most": most},
            )
            return cursor.fetchall()


class TermUse(models.Model):
    """How many spans of a project label a string with a label: the vocabulary that
    suggestions are drawn from, kept by triggers on spans (migration 0024), so reading
    a project's most used strings never counts its spans."""

    project = models.ForeignKey(
        "Project", on_delete=models.CASCADE, related_name="term_uses"
    )
    label = models.ForeignKey("Label", on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    uses = models.IntegerField()

    objects = TermUseQuerySet.as_manager()

    class Meta:
        constraints = [
            # md5: a span's text can be longer than a btree entry may be.
            models.UniqueConstraint(
                F("project"), F("label"), MD5("text"), name="termuse_unique"
            )
        ]
        indexes = [
            models.Index(F("project"), F("uses").desc(), name="termuse_most_used")
        ]

    def __str__(self) -> str:
        return f"{self.text} [{self.label_id}] x{self.uses}"


class Evidence(models.Model):
    """An optional pointer into the document text backing a judgement."""

    evidence_start = models.PositiveIntegerField(null=True, blank=True)
    evidence_end = models.PositiveIntegerField(null=True, blank=True)
    evidence_text = models.TextField(blank=True)

    class Meta:
        abstract = True

    @staticmethod
    def evidence_constraint(prefix: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=Q(evidence_start__isnull=True, evidence_end__isnull=True)
            | Q(evidence_start__gte=0, evidence_start__lt=F("evidence_end")),
            name=f"{prefix}_evidence_bounds",
        )


class Stance(Evidence):
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="stances"
    )
    target = models.ForeignKey(
        "StanceTarget", on_delete=models.CASCADE, related_name="stances"
    )
    label = models.ForeignKey(
        "Label", on_delete=models.RESTRICT, related_name="stances"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "target"], name="stance_unique_target"
            ),
            Evidence.evidence_constraint("stance"),
        ]

    def __str__(self) -> str:
        return f"{self.target}: {self.label}"


class Rating(Evidence):
    class Role(models.TextChoices):
        PUBLISHER = "publisher"
        CITED = "cited"

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="ratings"
    )
    source = models.ForeignKey(
        "Source", on_delete=models.PROTECT, related_name="ratings"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    label = models.ForeignKey(
        "Label", on_delete=models.RESTRICT, related_name="ratings"
    )
    rationale = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "source__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "source", "role"],
                name="rating_unique_source_role",
            ),
            Evidence.evidence_constraint("rating"),
        ]
        indexes = [models.Index(fields=["source", "role"], name="rating_source_role")]

    def __str__(self) -> str:
        return f"{self.source} ({self.role}): {self.label}"


class DismissedSuggestion(models.Model):
    """A suggestion the annotator turned down, so it is not proposed again."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="dismissed_suggestions"
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    label = models.ForeignKey("Label", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "start", "end", "label"],
                name="dismissed_suggestion_unique",
            )
        ]

    def __str__(self) -> str:
        return f"dismissed {self.start}-{self.end} [{self.label_id}]"


class AssignmentChange(models.Model):
    """One change an annotator made to an assignment, with the steps that reverse it:
    the assignment's undo stack (newest last). The steps are plain data, written and
    read by annotate.labelling.changes alone."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="changes"
    )
    # How far back undo reaches once an assignment is submitted (Assignment.submit).
    KEPT = 100

    action = models.CharField(max_length=40)
    undo = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["assignment", "id"], name="assignmentchange_stack")
        ]

    def __str__(self) -> str:
        return f"{self.action} #{self.assignment_id}"
