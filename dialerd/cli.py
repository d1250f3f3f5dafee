"""`dialerd` command line: run the daemon, migrate, import leads, check the config.

Exit codes: 0 success, 1 invalid configuration or input, 2 usage, 3 a fatal runtime error
(for example the database is not at the schema revision this version needs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

from dialerd import dnc_cli, logs
from dialerd.app import Daemon
from dialerd.app import database_url as build_url
from dialerd.config import MainConfig, load_campaigns, load_main_config
from dialerd.errors import ConfigError, DialerdError, Fatal
from dialerd.leads_import import import_leads
from dialerd.storage import StorageError, migrate

EXIT_CONFIG = 1
EXIT_FATAL = 3
DEFAULT_CONFIG = "/etc/dialerd/dialerd.yaml"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"dialerd: invalid configuration:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DialerdError as exc:
        print(f"dialerd: {exc}", file=sys.stderr)
        return EXIT_FATAL if isinstance(exc, Fatal) else EXIT_CONFIG


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

    leads = commands.add_parser("leads", help="manage leads").add_subparsers(required=True)
    imp = _command(leads, "import", "import leads from CSV or XLSX", cmd_leads_import)
    imp.add_argument("campaign")
    imp.add_argument("file", type=Path)
    imp.add_argument("--region", help="default region for numbers (the campaign's if omitted)")

    dnc = commands.add_parser("dnc", help="do-not-call lists").add_subparsers(required=True)
    dnc_cli.add_commands(lambda name, text, handler: _command(dnc, name, text, handler))
    return parser


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
    config = _load(args)
    daemon = Daemon(config, args.config.parent)
    return asyncio.run(daemon.run(duration_s=args.duration_s, progress=args.progress))


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
    campaigns = load_campaigns(args.config.parent / config.campaigns_dir)
    print(f"{args.config}: ok; campaigns: {', '.join(sorted(campaigns)) or 'none'}")
    return 0


def cmd_leads_import(args: argparse.Namespace) -> int:
    config = _load(args)
    campaigns = load_campaigns(args.config.parent / config.campaigns_dir)
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


if __name__ == "__main__":
    sys.exit(main())
