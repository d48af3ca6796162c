"""The label and stance-target editor: add, rename, recolour, reorder, set a key,
retire and restore, delete what nothing uses.

Rules a manager meets here:
- a key is unique in the project across kinds (the annotation screen takes keys of
  every kind on one page) and never one the screen keeps (models.SCREEN_KEYS); only
  reliability grades take digits. Every change that sets a key locks the project row
  first, so two managers cannot give one key to two labels at once;
- a reliability scale is ordered by its values (Label's ordering), so it has no up
  and down: its values place it, and two grades never share a value;
- retiring hides a label from the annotation screen and frees its key; the spans,
  stances and ratings that use it keep it, and it is exported with them. Restoring
  brings it back, with its key unless another label took it meanwhile.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from annotate.models import Label, Project, StanceTarget, key_problem, next_colour
from annotate.projects import SetupError


def _lock(project: Project) -> None:
    """Serialise set-up changes of one project: the checks below read other rows."""
    Project.objects.select_for_update().filter(pk=project.pk).exists()


def _checked_key(
    project: Project, key: str, *, kind: str, label: Label | None = None
) -> str:
    key = key.strip().lower()
    if not key:
        return ""
    if problem := key_problem(key, kind=kind):
        raise SetupError(problem)
    holder = (
        Label.objects.filter(project=project, shortcut=key)
        .active()
        .exclude(pk=label.pk if label else None)
        .first()
    )
    if holder is not None:
        raise SetupError(
            f"The key {key} is taken by the {holder.kind} label {holder.name}."
        )
    return key


def _checked_name(
    project: Project, name: str, *, kind: str, label: Label | None = None
) -> str:
    name = " ".join(name.split())
    if not name:
        raise SetupError("Give the label a name.")
    same = Label.objects.filter(project=project, kind=kind, name__iexact=name)
    if label is not None:
        same = same.exclude(pk=label.pk)
    if (other := same.first()) is not None:
        retired = " (retired: restore it instead)" if other.retired else ""
        raise SetupError(
            f"This project already has a {kind} label named {other.name}{retired}."
        )
    return name


def _checked_value(
    project: Project, value: int | None, *, kind: str, label: Label | None = None
) -> int | None:
    if kind != Label.Kind.RELIABILITY:
        return None
    if value is None:
        raise SetupError(
            "A reliability grade needs its value (its place on the scale)."
        )
    taken = (
        Label.objects.filter(project=project, kind=kind, value=value)
        .active()
        .exclude(pk=label.pk if label else None)
        .first()
    )
    if taken is not None:
        raise SetupError(f"The grade {taken.name} already has the value {value}.")
    return value


@transaction.atomic
def add_label(
    *,
    project: Project,
    kind: str,
    name: str,
    colour: str = "",
    shortcut: str = "",
    value: int | None = None,
    description: str = "",
) -> Label:
    """A new label at the end of its kind, in a colour no label of the project has
    yet unless one is given."""
    _lock(project)
    label = Label(
        project=project,
        kind=kind,
        name=_checked_name(project, name, kind=kind),
        colour=colour or next_colour(project),
        shortcut=_checked_key(project, shortcut, kind=kind),
        value=_checked_value(project, value, kind=kind),
        description=description.strip(),
        position=Label.objects.filter(project=project, kind=kind).count(),
    )
    label.save()
    return label


@transaction.atomic
def change_label(
    *,
    label: Label,
    name: str,
    colour: str,
    shortcut: str,
    value: int | None,
    description: str,
) -> Label:
    """Rename, recolour, rekey, revalue or redescribe a label. The key is checked
    only when it changes: an old project's key the screen has since claimed does
    not stop a rename (the editor points it out)."""
    project = label.project
    _lock(project)
    label.name = _checked_name(project, name, kind=label.kind, label=label)
    label.colour = colour or label.colour
    shortcut = shortcut.strip().lower()
    if shortcut != label.shortcut and not label.retired:
        label.shortcut = _checked_key(project, shortcut, kind=label.kind, label=label)
    if value != label.value:
        label.value = _checked_value(project, value, kind=label.kind, label=label)
    label.description = description.strip()
    label.save(update_fields=["name", "colour", "shortcut", "value", "description"])
    return label


def _renumber(rows: list, moved, step: int) -> None:
    """Move `moved` one place up (step -1) or down (+1) and number the positions
    0, 1, 2, ... again, so ties left by older set-ups are resolved too."""
    index = rows.index(moved)
    other = index + step
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows):
        row.position = position
    type(moved).objects.bulk_update(rows, ["position"])


@transaction.atomic
def move_label(*, label: Label, step: int) -> None:
    if label.kind == Label.Kind.RELIABILITY:
        raise SetupError(
            "A reliability scale is ordered by its values: change a value."
        )
    _lock(label.project)
    rows = list(
        Label.objects.filter(project=label.project_id, kind=label.kind).order_by(
            "position", "name"
        )
    )
    _renumber(rows, next(row for row in rows if row.pk == label.pk), step)


@transaction.atomic
def retire_label(*, label: Label) -> None:
    label.retired = True
    label.save(update_fields=["retired"])


@transaction.atomic
def restore_label(*, label: Label) -> str:
    """Back on the annotation screen. Returns a notice when its key or value was
    taken meanwhile (it comes back without the key; a grade's value must be
    changed before it can come back)."""
    project = label.project
    _lock(project)
    if label.kind == Label.Kind.RELIABILITY:
        _checked_value(project, label.value, kind=label.kind, label=label)
    notice = ""
    if label.shortcut:
        try:
            _checked_key(project, label.shortcut, kind=label.kind, label=label)
        except SetupError as taken:
            notice = f"{taken} {label.name} is back without a key."
            label.shortcut = ""
    label.retired = False
    label.save(update_fields=["retired", "shortcut"])
    return notice


@transaction.atomic
def delete_label(*, label: Label) -> None:
    """Only a label nothing uses; one in use is retired instead."""
    try:
        with transaction.atomic():
            label.delete()
    except (ProtectedError, RestrictedError) as used:
        raise SetupError(
            f"{label.name} is used by annotations, so it stays: retire it instead."
        ) from used


def key_warnings(labels: list[Label]) -> dict[int, str]:
    """Keys of labels in use that the editor would refuse today (set before the
    rules, or by an import): the annotation screen may not answer them as meant."""
    warnings: dict[int, str] = {}
    holders: dict[str, Label] = {}
    for label in labels:
        if label.retired or not label.shortcut:
            continue
        if problem := key_problem(label.shortcut, kind=label.kind):
            warnings[label.pk] = problem
        elif (first := holders.setdefault(label.shortcut, label)) is not label:
            warnings[label.pk] = f"{first.name} has this key too."
    return warnings


# Stance targets


def _checked_target_name(
    project: Project, name: str, target: StanceTarget | None = None
) -> str:
    name = " ".join(name.split())
    if not name:
        raise SetupError("Name the stance target.")
    same = StanceTarget.objects.filter(project=project, name__iexact=name)
    if target is not None:
        same = same.exclude(pk=target.pk)
    if same.exists():
        raise SetupError(f"This project already has the stance target {name}.")
    return name


@transaction.atomic
def add_target(*, project: Project, name: str, description: str = "") -> StanceTarget:
    _lock(project)
    return StanceTarget.objects.create(
        project=project,
        name=_checked_target_name(project, name),
        description=description.strip(),
        position=StanceTarget.objects.filter(project=project).count(),
    )


@transaction.atomic
def change_target(*, target: StanceTarget, name: str, description: str) -> None:
    _lock(target.project)
    target.name = _checked_target_name(target.project, name, target)
    target.description = description.strip()
    target.save(update_fields=["name", "description"])


@transaction.atomic
def move_target(*, target: StanceTarget, step: int) -> None:
    _lock(target.project)
    rows = list(
        StanceTarget.objects.filter(project=target.project_id).order_by(
            "position", "name"
        )
    )
    _renumber(rows, next(row for row in rows if row.pk == target.pk), step)


@transaction.atomic
def set_target_retired(*, target: StanceTarget, retired: bool) -> None:
    target.retired = retired
    target.save(update_fields=["retired"])


@transaction.atomic
def delete_target(*, target: StanceTarget) -> None:
    """Only a target no one has taken a stance on: deleting a target deletes its
    stances, so one in use is retired instead."""
    # The lock keeps a stance from being taken between the count and the delete.
    StanceTarget.objects.select_for_update().filter(pk=target.pk).exists()
    taken = target.stances.count()
    if taken:
        raise SetupError(
            f"{taken} stance{'s' if taken != 1 else ''} on {target.name} would go "
            "with it: retire it instead."
        )
    target.delete()
