"""What is labelled: documents, the sources that publish or are cited, canonical entities."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import models, transaction
from django.db.models import Exists, F, Func, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from annotate.models.annotations import Rating

# Full-text search is language-neutral: the corpora mix English, Portuguese, Russian...
SEARCH_CONFIG = "simple"
# to_tsvector refuses inputs past 1 MB of lexemes; the head of a long text is enough to
# find it. Both are spelled in SQL in annotate_search_vector (migration 0020).
SEARCH_TEXT_CHARS = 100_000
# Documents whose vector the follow-up task of an import computes per statement.
SEARCH_FILL_CHUNK = 1000


class SearchVectorOf(Func):
    """A document's full-text vector computed from its title and text: what the stored
    `search` column holds once filled (the same SQL function fills it)."""

    function = "annotate_search_vector"
    output_field = SearchVectorField()

    def __init__(self) -> None:
        super().__init__(F("title"), F("text"))


class SourceQuerySet(models.QuerySet):
    def named(self, name: str) -> Source | None:
        """The source whose name or one of whose aliases is `name`, ignoring case."""
        name = name.strip()
        alias_match = RawSQL(
            "EXISTS (SELECT 1 FROM unnest(annotate_source.aliases) AS alias WHERE lower(alias) = lower(%s))",
            [name],
            output_field=models.BooleanField(),
        )
        return self.filter(Q(name__iexact=name) | Q(alias_match)).order_by("id").first()

    def used_in(self, projects) -> SourceQuerySet:
        """Sources that publish a document of `projects` or that a rating there names."""
        publishes = Document.objects.filter(
            publisher=OuterRef("pk"), project__in=projects
        )
        rated = Rating.objects.filter(
            source=OuterRef("pk"), assignment__document__project__in=projects
        )
        return self.filter(Exists(publishes) | Exists(rated))

    def get_or_create_named(self, name: str, *, domain: str = "") -> Source:
        """The source of that name or alias, created when new. Safe when two requests
        create the same source at once: INSERT ... ON CONFLICT DO NOTHING waits for the
        other's commit, after which the second look-up finds its row."""
        name = name.strip()[: Source._meta.get_field("name").max_length]
        source = self.named(name)
        if source is None:
            self.bulk_create([Source(name=name, domain=domain)], ignore_conflicts=True)
            source = self.named(name)
        return source


class Source(models.Model):
    """An outlet, agency, channel or person that publishes or is cited.

    Reference ratings from public corpora (factuality, bias, `reference`) are kept
    apart from the ratings our annotators give, which are Rating rows.
    """

    name = models.CharField(max_length=300)
    aliases = ArrayField(models.CharField(max_length=300), default=list, blank=True)
    domain = models.CharField(max_length=253, blank=True)
    factuality = models.CharField(
        max_length=30, blank=True, help_text="Reference factuality rating."
    )
    bias = models.CharField(
        max_length=30, blank=True, help_text="Reference bias rating."
    )
    reference = models.JSONField(
        default=dict, blank=True, help_text="Reference ratings by corpus."
    )

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="source_unique_name")
        ]
        indexes = [models.Index(fields=["domain"], name="source_domain")]

    def __str__(self) -> str:
        return self.name


class DocumentQuerySet(models.QuerySet):
    def for_project(self, project) -> DocumentQuerySet:
        return self.filter(project=project)

    def search(self, terms: str) -> DocumentQuerySet:
        """Full-text search over title and text (web-search syntax: quotes, -word, or)."""
        if not terms.strip():
            return self
        query = SearchQuery(terms, search_type="websearch", config=SEARCH_CONFIG)
        # A document just imported has no stored vector yet (see fill_search): it is
        # matched on a vector computed now, found through document_search_pending.
        # `search IS NULL` is written first so that PostgreSQL, which evaluates an
        # AND in the order given, computes a vector only for those documents.
        return self.alias(computed_search=SearchVectorOf()).filter(
            Q(search=query) | (Q(search__isnull=True) & Q(computed_search=query))
        )

    def fill_search(self, *, chunk: int = SEARCH_FILL_CHUNK) -> int:
        """Store the vector of every document here that has none (those an import
        loaded), `chunk` rows per committed UPDATE so that no row stays locked long;
        returns how many were filled."""
        pending = self.filter(search__isnull=True).order_by("id")
        filled = 0
        while True:
            with transaction.atomic():
                ids = list(
                    pending.select_for_update(of=("self",)).values_list(
                        "id", flat=True
                    )[:chunk]
                )
                if not ids:
                    return filled
                filled += Document.objects.filter(id__in=ids).update(
                    search=SearchVectorOf()
                )

    def for_list(self) -> DocumentQuerySet:
        return self.select_related("publisher").defer("text", "raw", "search", "meta")

    def count_up_to(self, limit: int) -> int:
        """The count, stopping at `limit` + 1: a list header need not scan every match
        of a search in a corpus of hundreds of thousands."""
        return self.order_by()[: limit + 1].count()


class Document(models.Model):
    project = models.ForeignKey(
        "Project", on_delete=models.CASCADE, related_name="documents"
    )
    external_id = models.CharField(max_length=300, blank=True)
    title = models.TextField(blank=True)
    text = models.TextField(
        help_text="What annotators label; never changes once a span points into it."
    )
    raw = models.TextField(help_text="The input verbatim.")
    url = models.URLField(max_length=2000, blank=True)
    publisher = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="published_documents",
    )
    byline = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=20, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    story_key = models.CharField(max_length=64, blank=True)
    # Annotators holding a slot: non-gold, not skipped, not imported assignments. Kept
    # by triggers on annotate_assignment (migration 0013), however the rows change
    # (the queue, the admin, a cascade), so `next` can lock on it and trust it.
    assignment_count = models.PositiveIntegerField(default=0, db_default=0)
    # The uncertainty of the newest Prediction written for the document (None: none
    # yet), kept by triggers on annotate_prediction (migration 0022) whoever writes
    # them: an uncertainty-first queue reads it through document_uncertainty_queue.
    prediction_uncertainty = models.FloatField(null=True, blank=True, editable=False)
    # The review queue's disagreement, per mille (-1: fewer than two annotators; None:
    # no submitted work). Triggers count changes to submitted work in review_changes;
    # the queue rescores the documents whose count moved past review_scored_changes.
    review_score = models.SmallIntegerField(null=True, blank=True)
    review_changes = models.PositiveIntegerField(default=0, db_default=0)
    review_scored_changes = models.PositiveIntegerField(default=0, db_default=0)
    # The full-text vector of title and text. A trigger stores it on insert and on a
    # change of either; the loader leaves it NULL and fills it by a follow-up task
    # (migration 0020), while the search computes a missing one on the fly.
    search = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "content_hash"], name="document_unique_content"
            ),
        ]
        indexes = [
            GinIndex(fields=["search"], name="document_search_gin"),
            models.Index(
                F("project"),
                condition=Q(search__isnull=True),
                name="document_search_pending",
            ),
            models.Index(fields=["project", "story_key"], name="document_story"),
            models.Index(
                fields=["project", "external_id"], name="document_external_id"
            ),
            # The queue's scan: documents of a project with a free slot, in id order.
            models.Index(
                fields=["project", "assignment_count", "id"], name="document_queue"
            ),
            models.Index(
                F("project"),
                F("prediction_uncertainty").desc(nulls_last=True),
                F("id"),
                name="document_uncertainty_queue",
            ),
            models.Index(
                F("project"),
                F("review_score").desc(),
                F("id"),
                condition=Q(review_score__isnull=False),
                name="document_review_queue",
            ),
            # On the difference, not a partial index on changes <> scored: PostgreSQL
            # keeps statistics of an indexed expression, so it knows that few rows are
            # unscored; for a comparison of two columns it guesses nearly all.
            models.Index(
                F("project"),
                F("review_changes") - F("review_scored_changes"),
                name="document_review_unscored",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"Document {self.pk}"

    @property
    def link(self) -> str:
        """The url when it is safe to link to: http(s) only, never javascript: or data:."""
        return self.url if self.url.lower().startswith(("http://", "https://")) else ""


class EntityQuerySet(models.QuerySet):
    def get_or_create_named(self, project, name: str, *, type=None) -> Entity:
        """The project's entity of that name (any case), created when new; safe when
        two requests create it at once (the unique name decides)."""
        name = name.strip()[:300]
        found = self.filter(project=project, name__iexact=name)
        entity = found.first()
        if entity is None:
            self.bulk_create(
                [Entity(project=project, name=name, type=type)], ignore_conflicts=True
            )
            entity = found.first()
        return entity

    def similar_to(self, name: str) -> EntityQuerySet:
        """Entities whose name or an alias resembles `name` (pg_trgm word similarity), best first."""
        from django.contrib.postgres.search import TrigramWordSimilarity

        return (
            self.filter(names__trigram_word_similar=name)
            .annotate(similarity=TrigramWordSimilarity(name, "names"))
            .order_by("-similarity", "name")
        )


class Entity(models.Model):
    """A canonical thing spans can point at; aliases merge spelling variants."""

    project = models.ForeignKey(
        "Project", on_delete=models.CASCADE, related_name="entities"
    )
    name = models.CharField(max_length=300)
    type = models.ForeignKey(
        "Label", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    aliases = ArrayField(models.CharField(max_length=300), default=list, blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, help_text="e.g. a Wikidata QID."
    )
    # Name and aliases in one string, for one trigram index (the helper function is
    # created IMMUTABLE in the migration, as generated columns require).
    names = models.GeneratedField(
        expression=models.Func(
            "name",
            "aliases",
            function="annotate_entity_names",
            output_field=models.TextField(),
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "project", name="entity_unique_name"
            ),
        ]
        indexes = [
            GinIndex(OpClass("names", name="gin_trgm_ops"), name="entity_names_trgm")
        ]

    def __str__(self) -> str:
        return self.name

    def add_alias(self, alias: str) -> bool:
        """Record a spelling variant; False when it is the name or already known."""
        alias = alias.strip()
        known = {self.name.casefold(), *(a.casefold() for a in self.aliases)}
        if not alias or alias.casefold() in known:
            return False
        self.aliases = [*self.aliases, alias]
        self.save(update_fields=["aliases"])
        return True
