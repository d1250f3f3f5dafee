"""The report functions and views of revision 0005 on a fixture of known attempts.

Every expected number below is counted by hand from tests/integration/report_fixture.py (the
arithmetic is in the comments); the CLI's table and CSV output is checked too.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from dialerd.cli import main as cli_main
from dialerd.storage import PgStore, downgrade, migrate
from dialerd.storage.reports import REPORT_FUNCTIONS, PgReports, UnknownCampaign
from dialerd.storage.testing import create_database, drop_database, throwaway_database
from tests.integration import report_fixture
from tests.integration.daemon import Dialer, query
from tests.integration.lab import ROOT, Lab

NOV30, DEC01, DEC02 = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)


@pytest.fixture(scope="module")
def fixture_url(lab: Lab) -> Iterator[str]:
    url = asyncio.run(create_database(lab.database_url))
    try:
        asyncio.run(migrate(url))
        asyncio.run(report_fixture.load(url))
        yield url
    finally:
        asyncio.run(drop_database(url))


@pytest.fixture
async def reports(fixture_url: str) -> AsyncIterator[PgReports]:
    store = PgStore(fixture_url, pool_size=1)
    yield PgReports(store)
    await store.close()


async def rows(
    reports: PgReports,
    name: str,
    campaign: str | None = "spring",
    from_day: date | None = None,
    to_day: date | None = None,
) -> list[tuple[object, ...]]:
    return list((await reports.fetch(name, campaign, from_day, to_day)).rows)


async def test_no_answer_by_day_counts_the_customers_local_day(reports: PgReports) -> None:
    # 30 Nov: A1 no answer x2, A2 connected, A3 abandoned (22:00 in New York), A4 no answer and
    # congestion: 6 calls, 2 answered, 3 no answer. 1 Dec: A1 busy and connected, A2 no answer
    # x2, A3 connected, A4 machine (the cancelled and in-flight ones left out): 6, 2, 2.
    assert await rows(reports, "report_no_answer_by_day") == [
        ("spring", NOV30, 6, 2, 3, D("50.0"), D("33.3")),
        ("spring", DEC01, 6, 2, 2, D("33.3"), D("33.3")),
        ("spring", DEC02, 1, 0, 1, D("100.0"), D("0.0")),
    ]


async def test_day_filters_are_local_days_both_included(reports: PgReports) -> None:
    assert await rows(reports, "report_no_answer_by_day", "spring", DEC01, DEC02) == [
        ("spring", DEC01, 6, 2, 2, D("33.3"), D("33.3")),
        ("spring", DEC02, 1, 0, 1, D("100.0"), D("0.0")),
    ]
    # A3's call at 03:00 UTC on 1 Dec is 22:00 on 30 Nov for the customer: in, at hour 22.
    by_hour = await rows(reports, "report_no_answer_by_hour", "spring", NOV30, NOV30)
    assert [(r[1], r[2]) for r in by_hour] == [(9, 3), (13, 1), (17, 1), (22, 1)]


async def test_every_campaign_without_the_filter(reports: PgReports) -> None:
    autumn = [r for r in await rows(reports, "report_no_answer_by_day", None) if r[0] == "autumn"]
    assert autumn == [("autumn", DEC01, 2, 1, 1, D("50.0"), D("50.0"))]


async def test_no_answer_by_hour(reports: PgReports) -> None:
    # Local hour 9: A1 07:00Z, A2 07:10Z, 07:20Z and 07:00Z (Kyiv +2), A3 14:00Z (New York -5),
    # A4 09:00Z and 09:30Z (UTC): 7 calls; answered A2's and A3's; no answer 4.
    assert await rows(reports, "report_no_answer_by_hour") == [
        ("spring", 9, 7, 2, 4, D("57.1"), D("28.6")),
        ("spring", 10, 1, 0, 0, D("0.0"), D("0.0")),
        ("spring", 11, 1, 0, 1, D("100.0"), D("0.0")),
        ("spring", 13, 1, 0, 0, D("0.0"), D("0.0")),
        ("spring", 14, 1, 1, 0, D("0.0"), D("100.0")),
        ("spring", 17, 1, 0, 1, D("100.0"), D("0.0")),
        ("spring", 22, 1, 1, 0, D("0.0"), D("100.0")),
    ]


async def test_no_answer_by_number_type(reports: PgReports) -> None:
    # mobile: A1's first (2), A2's (4), A4's first (2) and second (1, the machine) = 9 calls,
    # 1 answered (A2), 6 no answer; landline: A1's second, busy and connected.
    assert await rows(reports, "report_no_answer_by_number_type") == [
        ("spring", "landline", 2, 1, 0, D("0.0"), D("50.0")),
        ("spring", "mobile", 9, 1, 6, D("66.7"), D("11.1")),
        ("spring", "unknown", 2, 2, 0, D("0.0"), D("100.0")),
    ]


async def test_no_answer_by_agent_counts_later_calls_for_the_agent_who_talked_last(
    reports: PgReports,
) -> None:
    # agent01 took A1's and A3's calls (120 + 200 s), both sales; agent02 took A2's first call,
    # and A2's three calls after it went unanswered. The 7 calls to leads no agent had talked
    # to yet (A1's first three, A3's abandoned one, A4's three) had 3 no answers.
    assert await rows(reports, "report_no_answer_by_agent") == [
        ("spring", "agent01", 2, D("160.0"), 2, 0, 0, None),
        ("spring", "agent02", 1, D("60.0"), 0, 3, 3, D("100.0")),
        ("spring", None, 0, None, 0, 7, 3, D("42.9")),
    ]


async def test_number_answer_profile(reports: PgReports, fixture_url: str) -> None:
    lead_ids = {r[0]: r[1] for r in await query(fixture_url, LEAD_IDS)}
    a1, a2, a3, a4 = (lead_ids[x] for x in ("A1", "A2", "A3", "A4"))
    assert await rows(reports, "report_number_answer_profile") == [
        ("spring", a1, "+380501110001", "mobile", 2, 0, 2, 0, None, "never answered"),
        ("spring", a1, "+380441110002", "landline", 2, 1, 0, 0, utc("2026-12-01 12:00"),
         "sometimes answers"),
        ("spring", a2, "+380501110003", "mobile", 4, 1, 3, 3, utc("2026-11-30 07:10"),
         "stopped answering"),
        ("spring", a3, "+12125550104", "unknown", 2, 2, 0, 0, utc("2026-12-01 14:00"),
         "always answers"),
        ("spring", a4, "+380501110005", "mobile", 2, 0, 1, 0, None, "never answered"),
        ("spring", a4, "+380501110006", "mobile", 1, 0, 0, 0, None, "never answered"),
    ]  # fmt: skip
    # From 1 Dec on, A2's number never answered: the profile is of the period's calls.
    later = await rows(reports, "report_number_answer_profile", "spring", DEC01)
    assert ("+380501110003", 3, 0, "never answered") in [(r[2], r[4], r[5], r[9]) for r in later]


async def test_sale_attempt_number(reports: PgReports) -> None:
    # Attempt 1: A1, A2, A3, A4 (A2 and A3 answered); 2: A1, A2, A3 (sale), A4; 3: A1, A2, A4;
    # 4: A1 (sale: its newest disposition; callback came first), A2.
    assert await rows(reports, "report_sale_attempt_number") == [
        ("spring", 1, 4, 2, 0, D("0.0"), D("0.0"), D("0.0")),
        ("spring", 2, 4, 1, 1, D("25.0"), D("50.0"), D("50.0")),
        ("spring", 3, 3, 0, 0, D("0.0"), D("0.0"), D("50.0")),
        ("spring", 4, 2, 1, 1, D("50.0"), D("50.0"), D("100.0")),
    ]


async def test_multi_number_leads_shows_every_number_dialled_or_not(
    reports: PgReports, fixture_url: str
) -> None:
    lead_ids = {r[0]: r[1] for r in await query(fixture_url, LEAD_IDS)}
    a1, a4 = lead_ids["A1"], lead_ids["A4"]
    assert await rows(reports, "report_multi_number_leads") == [
        ("spring", a1, "A1", 0, "+380501110001", "mobile", 2, 0, 2, D("0.0"), 0),
        ("spring", a1, "A1", 1, "+380441110002", "landline", 2, 1, 0, D("50.0"), 1),
        ("spring", a4, "A4", 0, "+380501110005", "mobile", 2, 0, 1, D("0.0"), 0),
        ("spring", a4, "A4", 1, "+380501110006", "mobile", 1, 0, 0, D("0.0"), 0),
        ("spring", a4, "A4", 2, "+380441110008", "landline", 0, 0, 0, None, 0),
    ]
    # A1 was not called on 2 Dec: only A2 (one number) was, so no lead qualifies.
    assert await rows(reports, "report_multi_number_leads", "spring", DEC02, DEC02) == []


async def test_each_view_is_its_function_over_everything(
    reports: PgReports, fixture_url: str
) -> None:
    for name in REPORT_FUNCTIONS:
        sql = f"SELECT * FROM {name}"  # noqa: S608 - names from the module's own tuple
        view = [tuple(r) for r in await query(fixture_url, sql)]
        assert view == await rows(reports, name, None), name
        assert view, name


async def test_an_unknown_campaign_is_named(reports: PgReports) -> None:
    with pytest.raises(UnknownCampaign, match="no campaign 'sprng'"):
        await reports.fetch("report_no_answer_by_day", "sprng", None, None)


TABLE = """\
campaign  day         calls  answered  no_answer  no_answer_pct  answered_pct
--------  ----------  -----  --------  ---------  -------------  ------------
spring    2026-11-30      6         2          3           50.0          33.3
spring    2026-12-01      6         2          2           33.3          33.3
spring    2026-12-02      1         0          1          100.0           0.0
"""

CSV = """\
campaign,agent,taken,talk_s_avg,sales,later_calls,later_no_answer,later_no_answer_pct
spring,agent01,2,160.0,2,0,0,
spring,agent02,1,60.0,0,3,3,100.0
spring,,0,,0,7,3,42.9
"""


def test_cli_prints_a_table_and_csv(lab: Lab, fixture_url: str, tmp_path: Path) -> None:
    dialer = Dialer(lab, fixture_url, tmp_path)
    table = dialer.run_cli("report", "no-answer-by-day", "--campaign", "spring")
    assert (table.returncode, table.stdout) == (0, TABLE), table.stderr
    csv = dialer.run_cli("report", "no-answer-by-agent", "--campaign", "spring", "--format", "csv")
    assert (csv.returncode, csv.stdout) == (0, CSV), csv.stderr
    some = dialer.run_cli(
        "report", "no-answer-by-day", "--campaign", "spring", "--from", "2026-12-02"
    )
    assert some.stdout.splitlines()[2:] == [TABLE.splitlines()[-1]]


def test_cli_refuses_bad_names_and_dates(lab: Lab, fixture_url: str, tmp_path: Path) -> None:
    dialer = Dialer(lab, fixture_url, tmp_path)
    unknown = dialer.run_cli("report", "no-answer-per-day")
    assert unknown.returncode == 2
    assert "invalid choice: 'no-answer-per-day'" in unknown.stderr
    assert "no-answer-by-day" in unknown.stderr  # the names it knows
    bad = dialer.run_cli("report", "no-answer-by-day", "--from", "30.11.2026")
    assert bad.returncode == 2
    assert "'30.11.2026' is not a date (YYYY-MM-DD)" in bad.stderr
    backwards = dialer.run_cli(
        "report", "no-answer-by-day", "--from", "2026-12-02", "--to", "2026-12-01"
    )
    assert (backwards.returncode, backwards.stdout) == (2, "")
    assert "--from 2026-12-02 is after --to 2026-12-01" in backwards.stderr
    typo = dialer.run_cli("report", "no-answer-by-day", "--campaign", "sprng")
    assert (typo.returncode, typo.stderr.strip()) == (1, "dialerd: no campaign 'sprng'")


EXAMPLE = re.compile(r"```text\n\$ (dialerd report [^\n]*)\n(.*?)```", re.DOTALL)


def test_the_examples_in_docs_are_what_the_cli_prints(
    lab: Lab,
    fixture_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    examples = EXAMPLE.findall((ROOT / "docs" / "reports.md").read_text())
    assert len(examples) >= len(REPORT_FUNCTIONS) + 2
    config = Dialer(lab, fixture_url, tmp_path).write_config()
    monkeypatch.setenv("DIALERD_TEST_AMI_SECRET", lab.ami_secret)
    for command, shown in examples:  # in this process: ten `dialerd` starts take 20 s
        code = cli_main([*shlex.split(command)[1:], "-c", str(config)])
        assert (code, capsys.readouterr().out) == (0, shown), command


async def test_0005_downgrades_to_0004_and_back(lab: Lab) -> None:
    names = (
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        " AND (table_name LIKE 'report_%' OR table_name LIKE '%dispositions')"
    )
    async with throwaway_database(lab.database_url) as url:
        assert await migrate(url, "0005") == "0005"
        expected = {*REPORT_FUNCTIONS, "report_attempts", "dispositions", "latest_dispositions"}
        assert {r[0] for r in await query(url, names)} == expected
        assert await downgrade(url, "0004") == "0004"
        assert await query(url, names) == []
        assert await query(url, "SELECT proname FROM pg_proc WHERE proname LIKE 'report_%'") == []
        assert await migrate(url, "0005") == "0005"


LEAD_IDS = "SELECT external_id, id FROM leads"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
