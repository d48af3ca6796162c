"""New projects: from a template (the news set-up, entities only, stance only, blank)
or as a copy of the set-up of a project the creator manages.

A copy takes labels, stance targets, guidelines, overlap and blind mode, never
documents or anyone's work; labels and targets that were retired there are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from annotate.models import (
    Label,
    Membership,
    Project,
    StanceTarget,
    add_default_labels,
)

# The demo's stance targets (annotate/management/commands/load_demo.py uses these).
NEWS_STANCE_TARGETS = (
    (
        "French military presence in Africa",
        "Should French troops stay in West African countries?",
    ),
    (
        "Russian influence in Africa",
        "Is Russia's growing role in Africa presented as welcome?",
    ),
)
DEFAULT_OVERLAP = 2
DEFAULT_BLIND = True


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    kinds: tuple[str, ...]  # the label sets of DEFAULT_LABELS it starts with
    stance_targets: tuple[tuple[str, str], ...] = ()


TEMPLATES = {
    template.key: template
    for template in (
        Template(
            "news",
            "News: entities, stance, source reliability",
            (Label.Kind.ENTITY, Label.Kind.STANCE, Label.Kind.RELIABILITY),
            NEWS_STANCE_TARGETS,
        ),
        Template("entities", "Entities only", (Label.Kind.ENTITY,)),
        Template("stance", "Stance only", (Label.Kind.STANCE,)),
        Template("blank", "Blank", ()),
    )
}


def unique_slug(name: str) -> str:
    """A slug for the project's URLs made from its name, numbered when taken."""
    base = slugify(name)[:90].strip("-") or "project"
    slug, n = base, 1
    while Project.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_project(
    *,
    name: str,
    creator,
    template: str = "",
    copy_from: Project | None = None,
    description: str = "",
    guidelines: str = "",
    overlap: int | None = None,
    blind: bool | None = None,
) -> Project:
    """A new project set up from `template` or copied from `copy_from` (which the
    caller has checked the creator manages); the creator becomes its manager.
    Overlap and blind left as None take the copied project's, else the defaults;
    guidelines left empty take the copied project's."""
    if copy_from is None and template not in TEMPLATES:
        raise ValueError(f"No template {template!r}.")
    if copy_from is not None:
        overlap = copy_from.overlap if overlap is None else overlap
        blind = copy_from.blind if blind is None else blind
        guidelines = guidelines or copy_from.guidelines
    project = Project(
        name=name,
        description=description,
        guidelines=guidelines,
        overlap=DEFAULT_OVERLAP if overlap is None else overlap,
        blind=DEFAULT_BLIND if blind is None else blind,
    )
    _save_with_unique_slug(project)
    if copy_from is not None:
        copy_setup(source=copy_from, target=project)
    else:
        _apply_template(TEMPLATES[template], project)
    Membership.objects.create(
        user=creator, project=project, role=Membership.Role.MANAGER
    )
    return project


def _save_with_unique_slug(project: Project, attempts: int = 5) -> None:
    """Save a new project under a free slug; two people naming projects alike at
    the same moment get two slugs, not an error."""
    for _ in range(attempts):
        project.slug = unique_slug(project.name)
        try:
            with transaction.atomic():
                project.save()
            return
        except IntegrityError:
            continue
    raise IntegrityError(f"No free slug for {project.name!r}.")


def _apply_template(template: Template, project: Project) -> None:
    add_default_labels(project, template.kinds)
    StanceTarget.objects.bulk_create(
        StanceTarget(project=project, name=name, description=description, position=i)
        for i, (name, description) in enumerate(template.stance_targets)
    )


def copy_setup(*, source: Project, target: Project) -> None:
    """The source's labels and stance targets in use (not retired), in their order,
    added to `target` (a new project: nothing there to clash with). Targets are not
    linked to entities: entities belong to the source's documents."""
    Label.objects.bulk_create(
        Label(
            project=target,
            kind=label.kind,
            name=label.name,
            colour=label.colour,
            shortcut=label.shortcut,
            value=label.value,
            description=label.description,
            position=label.position,
        )
        for label in source.labels.active()
    )
    StanceTarget.objects.bulk_create(
        StanceTarget(
            project=target,
            name=stance_target.name,
            description=stance_target.description,
            position=stance_target.position,
        )
        for stance_target in source.stance_targets.active()
    )
