"""Projects: the caller's list, one project with its labels and counts, and a new one
for users allowed to create projects."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.text import slugify
from ninja import Router, Status

from annotate.access import RANK, Role
from annotate.api.core import ApiError, access_to, responses
from annotate.api.schemas import ProjectIn, ProjectOut, ProjectSummary
from annotate.models import (
    DEFAULT_LABELS,
    Assignment,
    Label,
    Membership,
    Project,
    StanceTarget,
)

router = Router(tags=["projects"])

# The group whose members may create projects (superusers always may); managed in
# the admin.
CREATORS_GROUP = "project creators"
TEMPLATE_KINDS = {
    "news": (Label.Kind.ENTITY, Label.Kind.STANCE, Label.Kind.RELIABILITY),
    "entities": (Label.Kind.ENTITY,),
    "stance": (Label.Kind.STANCE,),
    "blank": (),
}


def may_create_projects(user) -> bool:
    return user.is_superuser or user.groups.filter(name=CREATORS_GROUP).exists()


def summary(project: Project, role: str) -> dict:
    return {
        "slug": project.slug,
        "name": project.name,
        "role": role,
        "blind": project.blind,
        "overlap": project.overlap,
        "document_count": project.document_count,
        "created_at": project.created_at,
    }


@router.get("/", response=responses({200: list[ProjectSummary]}))
def list_projects(request: HttpRequest):
    """The projects you belong to (every project, for a superuser)."""
    projects = Project.objects.visible_to(request.user).with_role_of(request.user)
    superuser = request.user.is_superuser
    return [
        summary(project, Role.MANAGER if superuser else project.member_role)
        for project in projects.order_by("name", "id")
    ]


@router.get("/{slug}/", response=responses({200: ProjectOut}))
def get_project(request: HttpRequest, slug: str):
    """The project: labels, stance targets, the reliability scale and counts."""
    access = access_to(request, slug)
    return project_detail(access.project, access.role, request.user, access)


def project_detail(project: Project, role: str, user, access=None) -> dict:
    labels = list(project.labels.all())
    versions = Assignment.objects.for_project(project).by_people()
    if access is not None and not access.sees_others_work():
        versions = versions.filter(annotator=user)
    people = Q(is_gold=False)
    counts = versions.aggregate(
        versions=Count("id", filter=people),
        submitted=Count("id", filter=people & Q(status=Assignment.Status.SUBMITTED)),
        accepted=Count("id", filter=people & Q(review_state="accepted")),
        rejected=Count("id", filter=people & Q(review_state="rejected")),
        gold=Count("id", filter=Q(is_gold=True)),
    )
    scale = sorted(
        (label for label in labels if label.kind == Label.Kind.RELIABILITY),
        key=lambda label: (label.value, label.name),
    )
    return {
        **summary(project, role),
        "guidelines": project.guidelines,
        "labels": labels,
        "stance_targets": list(project.stance_targets.all()),
        "reliability_scale": scale,
        "counts": {"documents": project.document_count, **counts},
    }


@router.post("/", response=responses({201: ProjectOut}))
def create_project(request: HttpRequest, payload: ProjectIn):
    """A new project with the labels of a template (or of a project of yours), you
    its manager. For superusers and members of the "project creators" group."""
    user = request.user
    if not may_create_projects(user):
        raise ApiError(
            403, f"Creating projects needs a superuser or the {CREATORS_GROUP!r} group."
        )
    source = None
    if payload.copy_from:
        source = Project.objects.visible_to(user).filter(slug=payload.copy_from).first()
        if (
            source is None
            or RANK[source.role_of(user) or Role.ANNOTATOR] < RANK[Role.MANAGER]
        ):
            raise ApiError(404, f"You manage no project {payload.copy_from!r} to copy.")
    slug = payload.slug or slugify(payload.name)[:100]
    if not slug:
        raise ApiError(422, "Give the project a slug: its name makes none.")
    try:
        with transaction.atomic():
            project = Project.objects.create(
                name=payload.name.strip(),
                slug=slug,
                guidelines=payload.guidelines,
                overlap=payload.overlap,
                blind=payload.blind,
            )
            _set_up_labels(project, payload.template, source)
            Membership.objects.create(user=user, project=project, role=Role.MANAGER)
    except IntegrityError:
        raise ApiError(
            409, f"A project with the slug {slug!r} exists already."
        ) from None
    return Status(201, project_detail(project, Role.MANAGER, user))


def _set_up_labels(project: Project, template: str, source: Project | None) -> None:
    if source is not None:
        fields = (
            "kind",
            "name",
            "colour",
            "shortcut",
            "value",
            "description",
            "position",
        )
        Label.objects.bulk_create(
            Label(project=project, **{f: getattr(label, f) for f in fields})
            for label in source.labels.all()
        )
        StanceTarget.objects.bulk_create(
            StanceTarget(
                project=project, name=target.name, description=target.description
            )
            for target in source.stance_targets.all()
        )
        return
    Label.objects.bulk_create(
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
        for kind in TEMPLATE_KINDS[template]
        for position, (name, colour, shortcut, value, description) in enumerate(
            DEFAULT_LABELS[kind]
        )
    )
