"""Secrets stay out of log lines and out of the errors a configuration check prints."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest
import structlog

from dialerd import logs
from dialerd.cli import main
from dialerd.config import load_main_config

AMI_SECRET = "ami-Secret-7f3a9c"
DB_PASSWORD = "db-Pass-41b2e8"


def write_main(directory: Path, database: str, ami: str) -> Path:
    (directory / "campaigns").mkdir(exist_ok=True)
    path = directory / "dialerd.yaml"
    path.write_text(
        f"database:\n{database}\nasterisk:\n  - username: dialerd\n{ami}\n"
        "campaigns_dir: campaigns\n"
    )
    return path


@pytest.mark.parametrize(
    ("database", "ami", "where"),
    [
        # a URL that is not PostgreSQL's: the error shows it, without its password
        (f"  url: mysql://dialerd:{DB_PASSWORD}@db/dialerd", f"    secret: {AMI_SECRET}", "url"),
        # a secret YAML reads as a number: the error says so, without the number
        ("  url: postgresql://dialerd@db/dialerd", "    secret: 4815162342", "secret"),
        # the secret's file is missing: its path is named, the other secret is not shown
        (
            f"  url: postgresql://dialerd:{DB_PASSWORD}@db/dialerd\n  secret_file: /nonexistent",
            f"    secret: {AMI_SECRET}",
            "secret_file",
        ),
    ],
)
def test_check_config_errors_never_show_a_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database: str, ami: str, where: str
) -> None:
    path = write_main(tmp_path, database, ami)
    assert main(["check-config", "-c", str(path)]) == 1
    err = capsys.readouterr().err
    assert where in err  # the problem is reported...
    for secret in (AMI_SECRET, DB_PASSWORD, "4815162342"):
        assert secret not in err  # ...without the secret


def test_a_loaded_configuration_hides_its_secrets_from_every_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "db.pass").write_text(f"{DB_PASSWORD}\n")
    monkeypatch.setenv("TEST_AMI_SECRET", AMI_SECRET)
    path = write_main(
        tmp_path,
        f"  url: postgresql://dialerd@db/dialerd\n  secret_file: {tmp_path / 'db.pass'}",
        "    secret_env: TEST_AMI_SECRET",
    )
    load_main_config(path)
    out = tmp_path / "out.log"
    with out.open("w") as stream:
        logs.configure("info", stream=stream)
        structlog.get_logger().error(
            "login_failed", error=f"refused {AMI_SECRET}", url=f"postgresql://u:{DB_PASSWORD}@h"
        )
        logging.getLogger("ami").error("AMI said: Secret: %s", AMI_SECRET)
    text = out.read_text()
    assert AMI_SECRET not in text
    assert DB_PASSWORD not in text
    line = json.loads(text.splitlines()[0])
    assert line["error"] == "refused ***"
    assert line["url"] == "postgresql://u:***@h"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql+asyncpg://dialerd:p%40ss@127.0.0.1:5432/db", "dialerd:***@127.0.0.1"),
        ("redis://:pw@127.0.0.1:6379/0 refused", "redis://:***@127.0.0.1:6379/0 refused"),
        ("no URL here: user:password@host", "no URL here: user:password@host"),
        ("http://127.0.0.1:9311/status", "http://127.0.0.1:9311/status"),
    ],
)
def test_url_passwords_are_masked(text: str, shown: str) -> None:
    assert shown in logs.redact(text)


def test_short_values_are_not_hidden_everywhere() -> None:
    logs.hide_secrets(["ab", None, "long-enough"])
    assert logs.redact("ab long-enough") == "ab ***"


def test_a_crash_traceback_is_redacted_too(capsys: pytest.CaptureFixture[str]) -> None:
    logs.hide_secrets([AMI_SECRET])
    logs.install_excepthook()
    try:
        raise RuntimeError(f"bad url postgresql://u:{DB_PASSWORD}@h and {AMI_SECRET}")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert "RuntimeError: bad url postgresql://u:***@h and ***" in err
    assert DB_PASSWORD not in err
