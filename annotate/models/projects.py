"""Projects, who works in them, and the label sets they annotate with."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, When
from django.utils.functional import cached_property


class ProjectQuerySet(models.QuerySet):
    def get_or_create_with_labels(
        self, slug: str, *, name: str = ""
    ) -> tuple[Project, bool]:
        """The project with this slug; a new one gets the default label sets."""
        project, created = self.get_or_create(
            slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
        )
        if created:
            add_default_labels(project)
        return project, created

    def with_role_of(self, user) -> ProjectQuerySet:
        """Each project with `member_role`, the user's role in it (None: not a member,
        or a deactivated one), in the same query: every screen asks for it first."""
        roles = Membership.objects.active().filter(project=OuterRef("pk"), user=user.pk)
        return self.annotate(member_role=Subquery(roles.values("role")[:1]))

    def visible_to(self, user) -> ProjectQuerySet:
        """Projects the user is an active member of; superusers see all."""
        if user.is_superuser:
            return self
        return self.filter(
            memberships__user=user, memberships__is_active=True
        ).distinct()

    def managed_by(self, user) -> ProjectQuerySet:
        """Projects whose set-up the user may copy or change: those they manage;
        superusers manage all."""
        if user.is_superuser:
            return self
        return self.filter(
            memberships__user=user,
            memberships__is_active=True,
            memberships__role=Membership.Role.MANAGER,
        ).distinct()


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(
        blank=True, help_text="What the project is for, shown in the project list."
    )
    guidelines = models.TextField(
        blank=True, help_text="Markdown, shown in the annotation screen."
    )
    overlap = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1)],
        help_text="How many annotators label each document.",
    )
    blind = models.BooleanField(
        default=True, help_text="Annotators never see each other's work."
    )
    # Models in the loop (annotate.labelling.predicted, annotate.mlbackend).
    prediction_threshold = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Predicted spans scoring below this are not shown to annotators.",
    )
    queue_order = models.CharField(
        max_length=20,
        choices=[
            ("imported", "Import order"),
            ("uncertainty", "Least confident prediction first"),
        ],
        default="imported",
        help_text="Which new documents the queue hands out first.",
    )
    model_server_url = models.URLField(
        blank=True,
        help_text="A model server speaking Label Studio's ML backend protocol "
        "(/health, /setup, /predict, /webhook).",
    )
    model_server_auth = models.CharField(
        max_length=500,
        blank=True,
        help_text="Sent as the Authorization header to the model server, if set.",
    )
    # Kept by triggers on annotate_document (migration 0009), so no page counts a
    # corpus of hundreds of thousands of documents to show its size.
    document_count = models.PositiveIntegerField(
        default=0, db_default=0, editable=False
    )
    # The recommenders (annotate/assist) retrain after this many newly accepted
    # documents; 0: only by hand ("Train now").
    retrain_every = models.PositiveIntegerField(
        default=25,
        db_default=25,
        help_text="Retrain the recommenders after this many newly accepted documents "
        "(0: only when a manager presses Train now).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overlap__gte=1), name="project_overlap_gte_1"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def label_list(self) -> list[Label]:
        """The labels, read once per request: an action checks its label against them
        and then redraws the screen, which lists them all."""
        return list(self.labels.all())

    def role_of(self, user) -> str | None:
        """The user's role here, or None for an outsider or a deactivated member
        (superusers count as managers)."""
        if user.is_superuser:
            return Membership.Role.MANAGER
        membership = self.memberships.active().filter(user=user).only("role").first()
        return membership.role if membership else None


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True)


class Membership(models.Model):
    """A user's role in a project. A deactivated membership (is_active=False) keeps
    the role for a reactivation and the person's work for the project's counts and
    exports, but opens nothing: to the project its holder is an outsider."""

    class Role(models.TextChoices):
        ANNOTATOR = "annotator"
        REVIEWER = "reviewer"
        MANAGER = "manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANNOTATOR)
    is_active = models.BooleanField(default=True, db_default=True)
    # Deactivating this membership closed the account (no other project was open to
    # it): a reactivation may reopen it. An account an administrator closed stays so.
    closed_account = models.BooleanField(default=False, db_default=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project"], name="membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.project} · {self.role}"


colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Give the colour as #rrggbb.")

# Keys the annotation screen answers itself whatever is selected (static/js/annotate.js,
# the help in templates/annotate/annotate.html), so no label may take them. Shift+Y,
# Shift+K, Shift+N and Shift+Enter are the screen's too; keys are kept lower case.
SCREEN_KEYS = {
    "/": "find in the text",
    "?": "the keyboard help",
    "u": "undo",
    "y": "accept a suggestion",
    "x": "dismiss a suggestion",
    "g": "show the guidelines",
    "[": "the previous part of a long text",
    "]": "the next part of a long text",
}


def key_problem(key: str, *, kind: str) -> str:
    """Why `key` cannot be a label's key on the annotation screen ("" when it can).
    Digits rate sources (and pick an entity in the link panel), so only reliability
    grades take them; every other key is one letter."""
    if key in SCREEN_KEYS:
        return f"The key {key} is the annotation screen's ({SCREEN_KEYS[key]})."
    if key.isdigit() and len(key) == 1:
        if kind != Label.Kind.RELIABILITY:
            return "Digits are kept for the reliability scale."
        return ""
    if len(key) != 1 or not ("a" <= key <= "z"):
        return "A key is one letter a–z (or a digit, for a reliability grade)."
    return ""


# Colours new labels take in turn (one not yet used in the project first): distinct
# hues, each dark enough for black text at 35 % on white and light enough on dark grey.
LABEL_PALETTE = (
    "#f4a261",
    "#2a9d8f",
    "#e9c46a",
    "#8ecae6",
    "#cdb4db",
    "#ffafcc",
    "#90be6d",
    "#f28482",
    "#84a59d",
    "#b5838d",
    "#a2d2ff",
    "#ffd166",
)


def next_colour(project: Project) -> str:
    """The first palette colour the project's labels do not use yet, else the next in
    turn: labels made without a colour are told apart by default."""
    used = set(Label.objects.filter(project=project).values_list("colour", flat=True))
    for colour in LABEL_PALETTE:
        if colour not in used:
            return colour
    return LABEL_PALETTE[len(used) % len(LABEL_PALETTE)]


class LabelQuerySet(models.QuerySet):
    def get_or_create_named(
        self,
        project: Project,
        *,
        kind: str,
        name: str,
        colour: str | None = None,
        shortcut: str = "",
        value: int | None = None,
        description: str = "",
        position: int | None = None,
    ) -> Label:
        """The project's label of that kind and name (any case), created when new: with
        a colour of its own, at the end of its kind, without a key another label of
        the kind has. Safe when two imports create it at once (the unique name)."""
        name = name.strip()[:100]
        found = self.filter(project=project, kind=kind, name__iexact=name)
        label = found.first()
        if label is not None:
            return label
        siblings = self.filter(project=project, kind=kind)
        if shortcut and siblings.filter(shortcut=shortcut).exists():
            shortcut = ""
        if kind == Label.Kind.RELIABILITY and value is None:
            highest = siblings.aggregate(models.Max("value"))["value__max"]
            value = (highest or 0) + 1
        new = Label(
            project=project,
            kind=kind,
            name=name,
            colour=colour or next_colour(project),
            shortcut=shortcut,
            value=value,
            description=description,
            position=siblings.count() if position is None else position,
        )
        self.bulk_create([new], ignore_conflicts=True)
        label = found.first()
        if label is None and shortcut:  # the key was taken meanwhile: without it
            new.shortcut = ""
            self.bulk_create([new], ignore_conflicts=True)
            label = found.first()
        return label

    def active(self) -> LabelQuerySet:
        """Labels an annotator may still choose (retired ones stay on existing work)."""
        return self.filter(retired=False)

    def entities(self) -> LabelQuerySet:
        return self.filter(kind=Label.Kind.ENTITY)

    def stances(self) -> LabelQuerySet:
        return self.filter(kind=Label.Kind.STANCE)

    def reliabilities(self) -> LabelQuerySet:
        return self.filter(kind=Label.Kind.RELIABILITY)


class Label(models.Model):
    """One model for entity types, stance labels and reliability grades."""

    class Kind(models.TextChoices):
        ENTITY = "entity"
        STANCE = "stance"
        RELIABILITY = "reliability"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="labels"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100)
    colour = models.CharField(
        max_length=7, default="#888888", validators=[colour_validator]
    )
    shortcut = models.CharField(
        max_length=1,
        blank=True,
        help_text="One key, unique in the project (see SCREEN_KEYS for those the "
        "annotation screen keeps).",
    )
    value = models.SmallIntegerField(
        null=True, blank=True, help_text="The ordinal of a reliability grade."
    )
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Hidden from the annotation screen's choices and keys; kept on the spans,
    # stances and ratings that use it, and in exports.
    retired = models.BooleanField(default=False, db_default=False)

    objects = LabelQuerySet.as_manager()

    class Meta:
        # A reliability scale reads low to high by its ordinal wherever it is listed;
        # other kinds in the order their manager gave them.
        ordering = [
            "kind",
            Case(
                When(kind="reliability", then=F("value")),
                default=F("position"),
                output_field=models.IntegerField(),
            ).asc(),
            "name",
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "name"], name="label_unique_name"
            ),
            # Keys are unique across kinds too (annotate.projects.labels checks it,
            # under a lock on the project): a retired label's key is free for others.
            models.UniqueConstraint(
                fields=["project", "kind", "shortcut"],
                condition=~Q(shortcut="") & Q(retired=False),
                name="label_unique_shortcut",
            ),
            models.CheckConstraint(
                condition=Q(kind="reliability", value__isnull=False)
                | ~Q(kind="reliability"),
                name="label_reliability_has_value",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# The default label sets given to a new project: (name, colour, shortcut, value, description).
# Keys are unique across kinds and keep clear of SCREEN_KEYS (GPE is c, not g).
DEFAULT_LABELS: dict[str, list[tuple[str, str, str, int | None, str]]] = {
    Label.Kind.ENTITY: [
        ("PERSON", "#f4a261", "p", None, "People, real or fictional."),
        (
            "ORG",
            "#2a9d8f",
            "o",
            None,
            "Organisations: companies, agencies, armies, parties, outlets.",
        ),
        ("GPE", "#e9c46a", "c", None, "Countries, cities, states."),
        (
            "LOC",
            "#8ecae6",
            "l",
            None,
            "Other locations: regions, bodies of water, mountains.",
        ),
        (
            "NORP",
            "#cdb4db",
            "n",
            None,
            "Nationalities, religious and political groups.",
        ),
        ("EVENT", "#ffafcc", "e", None, "Named events: wars, summits, elections."),
        ("MISC", "#b7b7a4", "m", None, "Other named things."),
    ],
    Label.Kind.STANCE: [
        (
            "favor",
            "#52b788",
            "f",
            None,
            "The article argues for or presents the target positively.",
        ),
        (
            "against",
            "#e76f51",
            "a",
            None,
            "The article argues against or presents the target negatively.",
        ),
        (
            "neutral",
            "#adb5bd",
            "t",
            None,
            "The article discusses the target without taking a side.",
        ),
        ("unrelated", "#dee2e6", "r", None, "The article does not discuss the target."),
    ],
    Label.Kind.RELIABILITY: [
        ("very low", "#d62828", "1", 1, "Fabricated, or repeatedly false."),
        ("low", "#f77f00", "2", 2, "Often misleading or one-sided."),
        ("mixed", "#fcbf49", "3", 3, "Sometimes reliable, sometimes not."),
        ("high", "#90be6d", "4", 4, "Generally accurate, corrects errors."),
        ("very high", "#2b9348", "5", 5, "Consistently accurate and transparent."),
    ],
}


def add_default_labels(project: Project, kinds: Iterable[str] | None = None) -> None:
    """Give a project the default label sets: every kind, or those of `kinds`."""
    wanted = set(DEFAULT_LABELS if kinds is None else kinds)
    Label.objects.bulk_create(
        [
            Label(
                project=project,
                kind=kind,
                name=name,
                colour=colour,
                shortcut=shortcut,
                value=value,
                description=description,
                position=position,
            )
            for kind, rows in DEFAULT_LABELS.items()
            if kind in wanted
            for position, (name, colour, shortcut, value, description) in enumerate(
                rows
            )
        ],
        ignore_conflicts=True,
    )


class StanceTargetQuerySet(models.QuerySet):
    def active(self) -> StanceTargetQuerySet:
        return self.filter(retired=False)


class StanceTarget(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="stance_targets"
    )
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    entity = models.ForeignKey(
        "Entity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0, db_default=0)
    # No longer asked on the annotation screen; the stances taken stay and export.
    retired = models.BooleanField(default=False, db_default=False)

    objects = StanceTargetQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"], name="stancetarget_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
