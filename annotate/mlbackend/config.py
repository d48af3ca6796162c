"""The Label Studio labelling config of a project: its entity labels as <Labels> over
one <Text>, and one <Choices> of the stance labels per stance target. Model servers
read it at /setup and with every /predict to know what to answer."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from annotate.models import Label, Project

TEXT = "text"
SPAN_FIELD = "label"
STANCE_PREFIX = "stance_"


def stance_field(target_pk: int) -> str:
    """The <Choices> name of a stance target (its id: names may hold any character)."""
    return f"{STANCE_PREFIX}{target_pk}"


def labelling_config(project: Project) -> str:
    labels = [label for label in project.labels.all() if not label.retired]
    entities = [label for label in labels if label.kind == Label.Kind.ENTITY]
    stances = [label for label in labels if label.kind == Label.Kind.STANCE]
    lines = ["<View>"]
    if entities:
        lines.append(f'  <Labels name="{SPAN_FIELD}" toName="{TEXT}">')
        lines += [f"    <Label value={quoteattr(label.name)}/>" for label in entities]
        lines.append("  </Labels>")
    lines.append(f'  <Text name="{TEXT}" value="${TEXT}"/>')
    if stances:
        for target in project.stance_targets.filter(retired=False):
            lines.append(
                f"  <Header value={quoteattr(f'Stance toward {target.name}')}/>"
            )
            lines.append(
                f'  <Choices name="{stance_field(target.pk)}" toName="{TEXT}"'
                ' choice="single">'
            )
            lines += [
                f"    <Choice value={quoteattr(label.name)}/>" for label in stances
            ]
            lines.append("  </Choices>")
    lines.append("</View>")
    return "\n".join(lines)
