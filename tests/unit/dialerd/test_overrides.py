"""conf.d overrides: each partial file laid over dialerd.yaml (or over its campaign file), and
a mistake reported in the file, line and column where it is written, not in the merged whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dialerd.config import load_campaigns, load_main_config
from dialerd.errors import ConfigError

MAIN = """\
node: dialer-1
database:
  url: postgresql+asyncpg://dialerd@db:5432/dialerd
asterisk:
  - name: pbx1
    username: dialerd
    secret: lab-only
  - name: pbx2
    username: dialerd
    secret: lab-only
metrics:
  listen: 127.0.0.1:9311
shutdown_grace_s: 60
"""

CAMPAIGN = """\
name: sales
queue: sales
region: GB
dial:
  trunk: "PJSIP/{number}@carrier"
  caller_id: "+442079460000"
lines:
  max_lines: 30
  calls_per_second: 5
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "dialerd.yaml"


def problems(root: Path, files: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_main_config(write(root, files))
    return [str(problem).removeprefix(f"{root}/") for problem in raised.value.problems]


def test_overrides_merge_mappings_replace_lists_and_apply_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("s3cret\n")
    config = load_main_config(
        write(
            tmp_path,
            {
                "dialerd.yaml": MAIN,
                "conf.d/50-secrets.yaml": f"database:\n  secret_file: {tmp_path}/password\n",
                "conf.d/90-local.yaml": "metrics:\n  listen: 0.0.0.0:9400\n",
                "conf.d/10-servers.yaml": "asterisk:\n  - {name: pbx9, username: u, secret: x}\n"
                "metrics:\n  listen: 127.0.0.1:1\n",
                "conf.d/README": "not yaml: ignored\n",
            },
        )
    )
    assert config.database.url == "postgresql+asyncpg://dialerd@db:5432/dialerd"
    assert config.database.reveal() == "s3cret"
    assert [server.name for server in config.asterisk] == ["pbx9"]
    assert (config.metrics.listen, config.node) == ("0.0.0.0:9400", "dialer-1")


def test_an_error_is_reported_in_the_file_that_writes_it(tmp_path: Path) -> None:
    files = {
        "dialerd.yaml": MAIN.replace("shutdown_grace_s: 60", "shutdown_grace_s: -1"),
        "conf.d/50-secrets.yaml": "# ops-managed\ndatabase:\n  secret_fle: /etc/dialerd/pw\n",
        "conf.d/60-servers.yaml": "asterisk:\n  - name: pbx1\n    username: dialerd\n"
        "    port: 99999\n",
    }
    assert problems(tmp_path, files) == [
        "conf.d/50-secrets.yaml:3:3: database.secret_fle: unknown key (check the spelling;"
        " see docs/campaigns.md)",
        "conf.d/60-servers.yaml:4:5: asterisk.0.port: Input should be less than or equal to 65535",
        "dialerd.yaml:13:1: shutdown_grace_s: Input should be greater than or equal to 0",
    ]


def test_a_key_the_override_leaves_alone_is_still_located_in_the_main_file(
    tmp_path: Path,
) -> None:
    files = {
        "dialerd.yaml": MAIN.replace("postgresql+asyncpg://", "mysql://"),
        "conf.d/50-secrets.yaml": "database:\n  secret: lab-only\n",
    }
    assert problems(tmp_path, files) == [
        "dialerd.yaml:3:3: database.url: 'mysql://dialerd@db:5432/dialerd': does not match"
        " ^postgresql(\\+asyncpg)?://",
    ]


def test_a_conflict_between_files_names_every_file_it_was_merged_from(tmp_path: Path) -> None:
    files = {
        "dialerd.yaml": MAIN.replace("  url:", "  secret_env: DB_PASSWORD\n  url:"),
        "conf.d/50-secrets.yaml": "database:\n  secret_file: /etc/dialerd/pw\n",
    }
    assert problems(tmp_path, files) == [
        "dialerd.yaml:2:1: database: give only one of secret, secret_file, secret_env"
        f" (merged from {tmp_path}/dialerd.yaml, {tmp_path}/conf.d/50-secrets.yaml)"
    ]


def test_null_in_an_override_removes_a_key_and_an_unreadable_secret_is_located(
    tmp_path: Path,
) -> None:
    files = {
        "dialerd.yaml": MAIN.replace("  url:", "  secret_env: DB_PASSWORD\n  url:"),
        "conf.d/50-secrets.yaml": "database:\n  secret_env: null\n"
        f"  secret_file: {tmp_path}/missing\n",
    }
    (problem,) = problems(tmp_path, files)
    assert problem.startswith(
        "conf.d/50-secrets.yaml:3:3: database.secret_file: cannot read secret: [Errno 2]"
    )


def test_every_broken_override_is_reported_at_once(tmp_path: Path) -> None:
    files = {
        "dialerd.yaml": MAIN,
        "conf.d/10-list.yaml": "- database\n",
        "conf.d/20-syntax.yaml": "metrics:\n  listen: a\n   port: 1\n",
        "conf.d/30-empty.yaml": "# everything commented out\n",
    }
    assert problems(tmp_path, files) == [
        "conf.d/20-syntax.yaml:3:8: unexpected ':' (check the indentation, or quote a value"
        " that contains ': ')",
        "conf.d/10-list.yaml:1:1: expected a mapping of keys",
    ]


def test_a_campaign_override_is_laid_over_its_campaign_file(tmp_path: Path) -> None:
    campaigns = tmp_path / "campaigns"
    write(
        campaigns,
        {
            "sales.yaml": CAMPAIGN,
            "other.yaml": CAMPAIGN.replace("name: sales", "name: other"),
            "conf.d/sales.yaml": "enabled: false\nlines:\n  max_lines: 5\n",
        },
    )
    loaded = load_campaigns(campaigns)
    assert (loaded["sales"].enabled, loaded["sales"].lines.max_lines) == (False, 5)
    assert loaded["sales"].lines.calls_per_second == 5
    assert (loaded["other"].enabled, loaded["other"].lines.max_lines) == (True, 30)


def test_a_campaign_override_error_and_an_orphan_override_are_reported(tmp_path: Path) -> None:
    campaigns = tmp_path / "campaigns"
    write(
        campaigns,
        {
            "sales.yaml": CAMPAIGN,
            "conf.d/sales.yaml": "\nenabled: no\n",
            "conf.d/gone.yaml": "enabled: false\n",
        },
    )
    with pytest.raises(ConfigError) as raised:
        load_campaigns(campaigns)
    assert [str(problem) for problem in raised.value.problems] == [
        f"{campaigns}/conf.d/gone.yaml: overrides {campaigns}/gone.yaml, which does not exist:"
        " remove the override too",
        f"{campaigns}/conf.d/sales.yaml:2:1: enabled: expected true or false, got 'no'"
        " (YAML 1.2: yes/no/on/off are text)",
    ]


def test_a_rule_the_override_breaks_names_both_campaign_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "sales.yaml": CAMPAIGN,
            "conf.d/sales.yaml": 'caller_ids:\n  numbers: [{number: "+442079460001"}]\n',
        },
    )
    with pytest.raises(ConfigError) as raised:
        load_campaigns(tmp_path)
    assert [str(problem) for problem in raised.value.problems] == [
        f"{tmp_path}/sales.yaml:1:1: give dial.caller_id or a caller_ids pool, not both"
        f" (merged from {tmp_path}/sales.yaml, {tmp_path}/conf.d/sales.yaml)"
    ]


def test_check_config_names_the_overrides_it_applied(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("s3cret\n")
    main = write(
        tmp_path,
        {
            "dialerd.yaml": MAIN,
            "conf.d/50-secrets.yaml": f"database:\n  secret_file: {tmp_path}/password\n",
            "campaigns/sales.yaml": CAMPAIGN,
        },
    )
    command = [sys.executable, "-m", "dialerd.cli", "check-config", "-c", str(main)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert (done.returncode, done.stdout) == (
        0,
        f"{main} + {tmp_path}/conf.d/50-secrets.yaml: ok; campaigns: sales\n",
    )
