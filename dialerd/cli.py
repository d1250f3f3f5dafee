"""`dialerd` command line: run the daemon, migrate, import leads, check the config.

Exit codes: 0 success, 1 invalid configuration or input, 2 usage, 3 a fatal runtime error
(for example the database is not at the schema revision this version needs, or Asterisk
refused the AMI login), 4 a service it needs (PostgreSQL, Asterisk, Redis) could not be
reached at start. systemd restarts the daemon after 4, never after 3 (see systemd/).
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from caller_id_pool import CallerIdError, NumberState
from dialerd import (
    callback_cli,
    caller_id_admin,
    disposition_cli,
    dnc_cli,
    logs,
    reports,
    status_cli,
)
from dialerd.app import Daemon
from dialerd.app import database_url as build_url
from dialerd.config import (
    Campaign,
    MainConfig,
    load_campaigns,
    load_main_config,
    main_overrides,
)
from dialerd.errors import ConfigError, DialerdError, Fatal, Unavailable
from dialerd.leads_import import import_leads
from dialerd.schema import main as schema_main
from dialerd.sdnotify import Notifier
from dialerd.storage import StorageError, migrate
from pacing.sim.cli import main as simulate_main

EXIT_CONFIG = 1
EXIT_FATAL = 3
EXIT_UNAVAILABLE = 4
DEFAULT_CONFIG = "/etc/dialerd/dialerd.yaml"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:  # the simulator (pacing.sim.cli) runs the daemon's pacing code
        return simulate_main(argv[1:])
    if argv[:1] == ["schema"]:  # needs no -c: it describes the files, it reads none
        return schema_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure("warning", stream=sys.stderr)  # `run` sets its own level and stdout
    logs.install_excepthook()
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"dialerd: invalid configuration:\n{logs.redact(str(exc))}", file=sys.stderr)
        return EXIT_CONFIG
    except DialerdError as exc:
        print(f"dialerd: {logs.redact(str(exc))}", file=sys.stderr)
        return exit_code(exc)
    except CallerIdError as exc:
        print(f"dialerd: {logs.redact(str(exc))}", file=sys.stderr)
        return EXIT_CONFIG


def exit_code(exc: DialerdError) -> int:
    if isinstance(exc, Fatal):
        return EXIT_FATAL
    return EXIT_UNAVAILABLE if isinstance(exc, Unavailable) else EXIT_CONFIG


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dialerd", description="Predictive dialer for Asterisk")
    parser.add_argument("--version", action="version", version=f"dialerd {version('dialerd')}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = _command(commands, "run", "run the dialer daemon", cmd_run)
    run.add_argument("--duration-s", type=float, help="stop (gracefully) after this many seconds")
    run.add_argument("--progress", action="store_true", help="print a progress line a second")
    run.add_argument("--log-level", default="info")
    _command(commands, "migrate", "upgrade the database schema to this version", cmd_migrate)
    _command(commands, "check-config", "validate dialerd.yaml and every campaign", cmd_check)
    status = _command(commands, "status", "what the running daemon does and why", cmd_status)
    status.add_argument("--json", action="store_true", help="print the daemon's /status as is")

    leads = commands.add_parser("leads", help="manage leads").add_subparsers(required=True)
    imp = _command(leads, "import", "import leads from CSV or XLSX", cmd_leads_import)
    imp.add_argument("campaign")
    imp.add_argument("file", type=Path)
    imp.add_argument("--region", help="default region for numbers (the campaign's if omitted)")
    _caller_id_commands(commands)
    # `simulate` is handed to the simulator's own parser as it is (see main)
    commands.add_parser("simulate", help="try pacing settings on a simulated shift", add_help=False)
    commands.add_parser("schema", help="JSON schemas of the YAML files", add_help=False)

    dnc = commands.add_parser("dnc", help="do-not-call lists").add_subparsers(required=True)
    dnc_cli.add_commands(lambda name, text, handler: _command(dnc, name, text, handler))

    # reports and dispositions (docs/reports.md)
    reports.add_command(lambda name, text, handler: _command(commands, name, text, handler))
    disposition_cli.add_command(lambda name, text, handler: _command(commands, name, text, handler))
    callbacks = commands.add_parser("callback", help="customers' callback requests")
    callback_commands = callbacks.add_subparsers(required=True)
    callback_cli.add_commands(lambda name, text, h: _command(callback_commands, name, text, h))
    return parser


def _caller_id_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    group = commands.add_parser("caller-id", help="a campaign's caller-ID pool")
    pool = group.add_subparsers(required=True)
    show = _command(pool, "list", "each number's state, today's use and why", cmd_caller_id_list)
    show.add_argument("campaign")
    for name, what in (("retire", "take a number out of use"), ("restore", "put it back")):
        change = _command(pool, name, what, cmd_caller_id_change)
        change.add_argument("campaign")
        change.add_argument("number", help="E.164, e.g. +380671234567")
        change.add_argument("--reason", required=True, help="kept in the audit log")
        change.set_defaults(target=NumberState.RETIRED if name == "retire" else NumberState.ACTIVE)


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    handler: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    command = commands.add_parser(name, help=help_text, description=help_text)
    command.add_argument("-c", "--config", type=Path, default=Path(DEFAULT_CONFIG))
    command.set_defaults(handler=handler)
    return command


def _load(args: argparse.Namespace) -> MainConfig:
    return load_main_config(args.config)


def database_url(config: MainConfig) -> str:
    return build_url(config.database.url, config.database.reveal())


def cmd_run(args: argparse.Namespace) -> int:
    logs.configure(args.log_level)
    # SIGUSR1: every thread's Python stack to stderr, even with the event loop stuck
    # (SIGUSR2, handled in the loop, logs every task's; docs/operations.md#troubleshooting)
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    config = _load(args)
    notifier = Notifier.from_environment()
    daemon = Daemon(config, args.config.parent, notifier=notifier)
    try:
        return asyncio.run(daemon.run(duration_s=args.duration_s, progress=args.progress))
    finally:
        notifier.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    config = _load(args)
    try:
        revision = asyncio.run(migrate(database_url(config)))
    except StorageError as exc:
        raise Fatal(f"migration failed: {exc}") from exc
    print(f"database is at revision {revision}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    config = _load(args)
    campaigns = load_campaigns(args.config.parent / config.campaigns_dir, config.trunks)
    overrides = "".join(f" + {path}" for path in main_overrides(args.config))
    print(f"{args.config}{overrides}: ok; campaigns: {', '.join(sorted(campaigns)) or 'none'}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    config = _load(args)
    token = config.metrics.token.reveal() if config.metrics.token is not None else None
    document = status_cli.fetch_status(config.metrics.listen, token)
    print(json.dumps(document, indent=2) if args.json else status_cli.render(document))
    return 0


def cmd_leads_import(args: argparse.Namespace) -> int:
    config = _load(args)
    campaigns = load_campaigns(args.config.parent / config.campaigns_dir, config.trunks)
    campaign = campaigns.get(args.campaign)
    region = args.region or (campaign.region if campaign else None)
    if region is None:
        print(
            f"dialerd: no campaign {args.campaign!r} in the campaigns directory; "
            "pass --region for its numbers",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    report = asyncio.run(import_leads(database_url(config), args.campaign, args.file, region))
    for row, reason in report.rejected:
        print(f"{args.file}: row {row}: {reason}", file=sys.stderr)
    print(report.summary())
    return 0 if not report.rejected else EXIT_CONFIG


def _campaign(args: argparse.Namespace, config: MainConfig) -> Campaign:
    campaigns = load_campaigns(args.config.parent / config.campaigns_dir, config.trunks)
    if args.campaign not in campaigns:
        raise caller_id_admin.NoPool(f"no campaign {args.campaign!r} in the campaigns directory")
    return campaigns[args.campaign]


def cmd_caller_id_list(args: argparse.Namespace) -> int:
    config = _load(args)
    campaign = _campaign(args, config)
    print(asyncio.run(caller_id_admin.list_pool(config, campaign, datetime.now(UTC))))
    return 0


def cmd_caller_id_change(args: argparse.Namespace) -> int:
    config = _load(args)
    campaign = _campaign(args, config)
    change = asyncio.run(
        caller_id_admin.change_state(
            config, campaign, args.number, args.target, reason=args.reason, now=datetime.now(UTC)
        )
    )
    print(f"{change.number}: {change.previous.value} -> {change.state.value} ({change.reason})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
