"""Settings come from the environment and refuse what they cannot read.

The subprocess tests import newsapp.settings as a fresh process would, with a
DATABASE_URL that is only parsed (no server is started) and a var folder of their own.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from newsapp.settings import env_bool, env_int

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_VARIABLES = (
    "DJANGO_",
    "HTTPS",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_",
    "NEWSAPP_",
    "STATISTICS_",
    "LOG_LEVEL",
    "LOGIN_THROTTLE_",
    "TEST_DATABASE_NAME",
)


def load_settings(
    tmp_path: Path, *, start_django: bool = False, **env: str
) -> subprocess.CompletedProcess:
    """Import newsapp.settings in a new process with these variables set (and no
    other setting variable of this process's), and with `start_django` start Django
    on them (django.setup(): the apps too, which costs seconds); print DEBUG and
    IMPORT_THREADS."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(SETTINGS_VARIABLES)
    }
    environ.update(
        DJANGO_SETTINGS_MODULE="newsapp.settings",
        DATABASE_URL="postgresql://nobody@/nowhere?host=/nonexistent",
        NEWSAPP_VAR_DIR=str(tmp_path),
    )
    environ.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            ("import django; django.setup(); " if start_django else "")
            + "from django.conf import settings; "
            "print(settings.DEBUG, settings.IMPORT_THREADS)",
        ],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_starts_with_nothing_set(tmp_path):
    result = load_settings(tmp_path, start_django=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "2"]


def test_it_refuses_a_misspelt_flag(tmp_path):
    result = load_settings(tmp_path, DJANGO_DEBUG="ture")
    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: DJANGO_DEBUG must be one of 1/0, true/false, yes/no, "
        "on/off, not 'ture'"
    ) in result.stderr


def test_it_refuses_an_integer_it_cannot_read(tmp_path):
    result = load_settings(tmp_path, NEWSAPP_IMPORT_THREADS="two")
    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: NEWSAPP_IMPORT_THREADS must be a whole number, not 'two'"
        in result.stderr
    )


def test_it_refuses_an_integer_below_its_minimum(tmp_path):
    result = load_settings(tmp_path, NEWSAPP_IMPORT_THREADS="0")
    assert result.returncode != 0
    assert "NEWSAPP_IMPORT_THREADS must be at least 1, not '0'" in result.stderr


def test_it_refuses_https_without_a_secret_key(tmp_path):
    result = load_settings(tmp_path, HTTPS="1")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "set SECRET_KEY" in result.stderr
    # No key was made on the side for it.
    assert not (tmp_path / "secret_key").exists()


def test_it_runs_https_with_a_secret_key(tmp_path):
    result = load_settings(
        tmp_path, HTTPS="on", SECRET_KEY="k" * 60, DJANGO_DEBUG="Yes"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "2"]


def test_it_refuses_an_unknown_log_level(tmp_path):
    result = load_settings(tmp_path, LOG_LEVEL="loud")
    assert result.returncode != 0
    assert "LOG_LEVEL must be one of DEBUG, INFO" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        (" ON ", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("off", False),
    ],
)
def test_env_bool_reads_every_spelling(monkeypatch, value, expected):
    monkeypatch.setenv("NEWSAPP_TEST_FLAG", value)
    assert env_bool("NEWSAPP_TEST_FLAG", not expected) is expected


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_takes_the_default_when_unset_or_empty(monkeypatch, default):
    monkeypatch.delenv("NEWSAPP_TEST_FLAG", raising=False)
    assert env_bool("NEWSAPP_TEST_FLAG", default) is default
    monkeypatch.setenv("NEWSAPP_TEST_FLAG", "")
    assert env_bool("NEWSAPP_TEST_FLAG", default) is default


def test_env_int_names_the_variable_and_the_value(monkeypatch):
    monkeypatch.setenv("NEWSAPP_TEST_NUMBER", "2.5")
    with pytest.raises(ImproperlyConfigured, match="NEWSAPP_TEST_NUMBER .* '2.5'"):
        env_int("NEWSAPP_TEST_NUMBER", 1)
    monkeypatch.setenv("NEWSAPP_TEST_NUMBER", "-3")
    with pytest.raises(ImproperlyConfigured, match="at least 0, not '-3'"):
        env_int("NEWSAPP_TEST_NUMBER", 1, minimum=0)
    monkeypatch.setenv("NEWSAPP_TEST_NUMBER", " 42 ")
    assert env_int("NEWSAPP_TEST_NUMBER", 1, minimum=0) == 42
    monkeypatch.delenv("NEWSAPP_TEST_NUMBER")
    assert env_int("NEWSAPP_TEST_NUMBER", 7) == 7


def environment_reads(path: Path) -> list[str]:
    """The enclosing function of every os.environ / os.getenv use in a module."""
    reads = []

    def walk(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, ast.Attribute)
                and isinstance(child.value, ast.Name)
                and child.value.id == "os"
                and child.attr in {"environ", "getenv", "environb", "getenvb"}
            ):
                reads.append(function)
            is_function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            walk(child, child.name if is_function else function)

    walk(ast.parse(path.read_text()), "<module>")
    return reads


def test_only_the_settings_module_reads_the_environment():
    allowed = {
        # Django's own entry points name the settings module.
        ("newsapp/wsgi.py", "<module>"),
        ("newsapp/asgi.py", "<module>"),
        # Its command line cannot import the settings (they start the server).
        ("newsapp/embedded_db.py", "main"),
    }
    found = [
        (str(path.relative_to(ROOT)), function)
        for folder in ("annotate", "newsapp")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "settings.py"
        for function in environment_reads(path)
    ]
    assert [read for read in found if read not in allowed] == []


def test_manage_py_names_a_bad_setting_without_a_traceback(tmp_path):
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_VARIABLES)},
        "NEWSAPP_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql://nobody@/nowhere?host=/nonexistent",
        "DJANGO_DEBUG": "ture",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "DJANGO_DEBUG must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_mail_settings_are_read_and_checked(tmp_path):
    assert load_settings(tmp_path, EMAIL_HOST="smtp.example.org").returncode == 0
    result = load_settings(
        tmp_path, EMAIL_HOST="smtp.example.org", EMAIL_USE_TLS="sure"
    )
    assert result.returncode != 0
    assert "EMAIL_USE_TLS must be one of" in result.stderr
