"""Script-injection payloads, a world full of them, and a checker for rendered HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace

from annotate.models import (
    Assignment,
    Entity,
    ImportRun,
    Label,
    Project,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)
from tests.conftest import make_document

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "<svg><script>alert(4)</script></svg>",
    "</textarea><script>alert(5)</script>",
    "</title><script>alert(6)</script>",
    "javascript:alert(7)",
    "{{ 7|add:'1' }}{% debug %}{{ settings.SECRET_KEY }}",
    "<iframe src=javascript:alert(8)></iframe>",
    '<a href="javascript:alert(9)">click</a>',
    '<div hx-get="/logout/" hx-trigger="load">htmx</div>',
    "<style>*{display:none}</style>",
    "${alert(10)}`-alert(11)-`",
    "\u202e<b>rtl</b>",
)
ALL = " ".join(PAYLOADS)
# Payloads shown verbatim would be markup: none may reach a body unescaped.
MARKUP = tuple(p for p in PAYLOADS if "<" in p or '"' in p)
GUIDELINES = (
    "# Rules\n\n[click me](javascript:alert(20)) <script>alert(21)</script>\n\n"
    '<img src=x onerror="alert(22)"> <a href="javascript:alert(23)">x</a>\n\n'
    "<svg onload=alert(24)></svg> <iframe src=//evil.example></iframe>\n\n"
    '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) <form action="//evil.example"><button>go</button></form>'
)


def hostile_world(world: SimpleNamespace) -> SimpleNamespace:
    """The conftest world with a payload in every field a user or a file can fill."""
    project: Project = world.project
    project.guidelines = GUIDELINES
    project.save()
    source = Source.objects.create(
        name=f"Evil {ALL}"[:300],
        aliases=list(PAYLOADS),
        domain="evil.example",
        reference={"mbfc": ALL},
    )
    text = f"Breaking: {ALL}\n\nSergey Lavrov said {PAYLOADS[0]} was quoted by AFP."
    document = make_document(
        project,
        text=text,
        raw=f"<html>{ALL}</html>",
        title=f"Title {ALL}",
        # javascript: URLs have their own (xfail) test in test_hostile_content.
        url=f"https://evil.example/?q={PAYLOADS[1]}",
        byline=f"By {PAYLOADS[1]}"[:500],
        external_id=PAYLOADS[1],
        publisher=source,
        meta={
            "tags": list(PAYLOADS),
            "captions": [ALL],
            "source_credit": PAYLOADS[2],
            "import": {"file": PAYLOADS[4], "line": 1},
        },
    )
    labels = []
    for number, payload in enumerate(PAYLOADS[:8]):
        labels.append(
            Label.objects.create(
                project=project,
                kind=Label.Kind.ENTITY,
                name=payload[:100],
                colour=f"#00000{number}",
                description=ALL,
                position=50 + number,
            )
        )
    Label.objects.create(
        project=project,
        kind=Label.Kind.STANCE,
        name=PAYLOADS[5][:100],
        description=ALL,
        position=50,
    )
    reliability = Label.objects.create(
        project=project,
        kind=Label.Kind.RELIABILITY,
        name=PAYLOADS[1][:100],
        value=9,
        position=50,
    )
    entity = Entity.objects.create(
        project=project, name=f"Entity {PAYLOADS[0]}", aliases=list(PAYLOADS)
    )
    target = StanceTarget.objects.create(
        project=project, name=f"Target {ALL}"[:300], description=ALL
    )
    assignment = Assignment.objects.create(
        document=document,
        annotator=world.ann,
        review_comment=ALL,
    )
    start = text.index(PAYLOADS[0], 20)
    span = Span.objects.create(
        assignment=assignment,
        start=start,
        end=start + len(PAYLOADS[0]),
        label=labels[0],
        text=PAYLOADS[0],
        entity=entity,
    )
    Stance.objects.create(
        assignment=assignment,
        target=target,
        label=Label.objects.filter(project=project, kind=Label.Kind.STANCE).first(),
        note=ALL,
        evidence_start=start,
        evidence_end=span.end,
        evidence_text=PAYLOADS[0],
    )
    Rating.objects.create(
        assignment=assignment,
        source=source,
        role=Rating.Role.PUBLISHER,
        label=reliability,
        rationale=ALL,
    )
    run = ImportRun.objects.create(
        project=project,
        user=world.man,
        format="jsonl",
        files=[f"{PAYLOADS[1]}.jsonl", f"{PAYLOADS[4]}.zip"],
        status=ImportRun.Status.DONE,
        error=ALL,
        rejections=[
            {"origin": f"{PAYLOADS[1]}.jsonl:{n}", "reason": payload}
            for n, payload in enumerate(PAYLOADS, 1)
        ],
    )
    export = world.export
    export.warnings = [
        {
            "document_id": document.pk,
            "start": start,
            "end": span.end,
            "label": payload,
            "text": payload,
            "problem": ALL,
        }
        for payload in PAYLOADS
    ]
    export.options = {**export.options, "notices": list(PAYLOADS), "warning_count": 14}
    export.error = ALL
    export.save()
    return SimpleNamespace(
        document=document,
        assignment=assignment,
        span=span,
        source=source,
        run=run,
        export=export,
    )


class _Scan(HTMLParser):
    """Collects what a rendered page would run: scripts, handlers, script URLs."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}
    ALLOWED_SCRIPT = re.compile(r"^/(static/[\w./-]+\.js|admin/jsi18n/)$")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and not self.ALLOWED_SCRIPT.match(values.get("src", "")):
            self.problems.append(f"<script {values}>")
        if tag in {"iframe", "object", "embed", "base", "style", "form"} and (
            tag != "form" or values.get("action", "").startswith(("//", "http"))
        ):
            self.problems.append(f"<{tag}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name.startswith("hx-") and "logout" in value:
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in self.URL_ATTRIBUTES and re.match(
                r"^\s*(javascript|data:text|vbscript)", value, re.I
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")


def unsafe_markup(body: str) -> list[str]:
    """What in this HTML would run script or change the page: [] for a safe page."""
    scan = _Scan()
    scan.feed(body)
    problems = scan.problems
    problems += [f"verbatim {p!r}" for p in MARKUP if p in body]
    return problems
