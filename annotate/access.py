"""Who may see what: the one place every view asks.

Outsiders get 404 (a project's existence is not revealed); members whose role is too
low get 403. In a blind project an annotator sees only their own assignments.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest

from annotate.models import Assignment, Document, Membership, Project

Role = Membership.Role
RANK = {Role.ANNOTATOR: 1, Role.REVIEWER: 2, Role.MANAGER: 3}


@dataclass(frozen=True)
class ProjectAccess:
    project: Project
    role: str

    @property
    def can_review(self) -> bool:
        return RANK[self.role] >= RANK[Role.REVIEWER]

    @property
    def can_manage(self) -> bool:
        return self.role == Role.MANAGER

    def sees_others_work(self) -> bool:
        return self.can_review or not self.project.blind


def project_access(
    request: HttpRequest, slug: str, *, at_least: str = Role.ANNOTATOR
) -> ProjectAccess:
    """The project and the user's role in it; 404 for outsiders, 403 below `at_least`."""
    user = request.user
    project = Project.objects.with_role_of(user).filter(slug=slug).first()
    role = None
    if project is not None:
        role = Role.MANAGER if user.is_superuser else project.member_role
    if role is None:
        raise Http404("No such project.")
    if RANK[role] < RANK[at_least]:
        raise PermissionDenied(f"This needs the {at_least} role in {project.name}.")
    return ProjectAccess(project, role)


def document_in(access: ProjectAccess, pk: int) -> Document:
    """A document of the project, with its publisher; 404 for any other id. Not its
    raw input (a scraped page can weigh far more than its text) nor its search vector:
    no screen shows them."""
    document = (
        Document.objects.select_related("publisher")
        .defer("raw", "search")
        .filter(project=access.project, pk=pk)
        .first()
    )
    if document is None:
        raise Http404("No such document in this project.")
    return document


def assignment_in(access: ProjectAccess, pk: int, user) -> Assignment:
    """An assignment of the project the user may open: their own, or anyone's for a
    reviewer (or in an open project). Someone else's id is a 404, not a 403, so ids
    reveal nothing. The document comes without its raw input and search vector (see
    document_in)."""
    assignments = (
        Assignment.objects.select_related("document__publisher", "annotator")
        .defer("document__raw", "document__search")
        .filter(document__project=access.project, pk=pk)
    )
    if not access.sees_others_work():
        assignments = assignments.filter(annotator=user)
    assignment = assignments.first()
    if assignment is None:
        raise Http404("No such assignment in this project.")
    assignment.document.project = access.project  # the same row, already loaded
    return assignment


def own_assignment_in(access: ProjectAccess, pk: int, user) -> Assignment:
    """An assignment the user may change: their own only. A reviewer can read anyone's
    (assignment_in) but changes nothing through the annotation screen; any other id is
    a 404, as above."""
    assignment = assignment_in(access, pk, user)
    if assignment.annotator_id != user.pk:
        raise Http404("No such assignment of yours.")
    return assignment


def own_assignment_access(
    request: HttpRequest, slug: str, pk: int
) -> tuple[ProjectAccess, Assignment]:
    """project_access and own_assignment_in in one query: every labelling change asks
    for both. Anything but the user's own assignment in a project they are a member
    of goes the two-query way, for the same 404 as there."""
    user = request.user
    roles = Membership.objects.active().filter(
        project=OuterRef("document__project"), user=user.pk
    )
    assignment = (
        Assignment.objects.select_related(
            "document__project", "document__publisher", "annotator"
        )
        .defer("document__raw", "document__search")
        .annotate(member_role=Subquery(roles.values("role")[:1]))
        .filter(pk=pk, document__project__slug=slug, annotator=user.pk)
        .first()
    )
    role = assignment and (
        Role.MANAGER if user.is_superuser else assignment.member_role
    )
    if role is None:
        access = project_access(request, slug)
        return access, own_assignment_in(access, pk, user)
    return ProjectAccess(assignment.document.project, role), assignment
