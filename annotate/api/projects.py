"""Projects: the caller's list, one project with its labels and counts, and a new one
for users allowed to create projects."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Router, Status

from annotate.access import RANK, Role
from annotate.api.core import ApiError, access_to, responses
from annotate.api.schemas import ProjectIn, ProjectOut, ProjectSummary
from annotate.models import Assignment, Label, Project
from annotate.projects import templates
from annotate.projects.people import PROJECT_CREATORS, can_create_projects

router = Router(tags=["projects"])


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
    """A new project with the labels of a template (or the set-up of a project you
    manage), you its manager: the web's "New project". For superusers and members of
    the "project creators" group. The slug is made from the name."""
    user = request.user
    if not can_create_projects(user):
        raise ApiError(
            403,
            f"Creating projects needs a superuser or the {PROJECT_CREATORS!r} group.",
        )
    source = None
    if payload.copy_from:
        source = Project.objects.visible_to(user).filter(slug=payload.copy_from).first()
        if (
            source is None
            or RANK[source.role_of(user) or Role.ANNOTATOR] < RANK[Role.MANAGER]
        ):
            raise ApiError(404, f"You manage no project {payload.copy_from!r} to copy.")
    project = templates.create_project(
        name=payload.name.strip(),
        creator=user,
        template=payload.template,
        copy_from=source,
        description=payload.description,
        guidelines=payload.guidelines,
        overlap=payload.overlap,
        blind=payload.blind,
    )
    return Status(201, project_detail(project, Role.MANAGER, user))
