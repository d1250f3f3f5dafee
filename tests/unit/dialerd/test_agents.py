from __future__ import annotations

from dataclasses import replace as changed
from datetime import UTC, datetime

from dialerd.agents import AgentBoard, routed_to
from dialerd.domain import DuePhone, PhoneType

Q = "sales"


def member(
    name: str, status: int = 1, paused: str = "0", event: str = "QueueMember"
) -> tuple[str, dict[str, str]]:
    return event, {
        "Queue": Q,
        "Location": f"Local/{name}@agents/n",
        "Name": name,
        "Status": str(status),
        "Paused": paused,
        "InCall": "0",
    }


def board_with(*names: str) -> AgentBoard:
    board = AgentBoard(queue=Q, wrapup_s=5)
    for name in names:
        board = board.apply(*member(name), now=0)
    return board


def test_queue_status_members_are_ready() -> None:
    assert board_with("a", "b", "c").ready_count(now=0) == 3


def test_busy_paused_and_other_queues_do_not_count() -> None:
    board = board_with("a", "b", "c")
    board = board.apply(
        "QueueMemberStatus",
        {"Queue": Q, "Interface": "Local/a@agents/n", "Status": "2", "InCall": "1"},
        0,
    )
    board = board.apply(
        "QueueMemberPause", {"Queue": Q, "Interface": "Local/b@agents/n", "Paused": "1"}, 0
    )
    board = board.apply(
        "QueueMemberStatus", {"Queue": "other", "Interface": "Local/c@agents/n", "Status": "2"}, 0
    )
    assert board.ready_count(now=0) == 1
    assert board.busy_count() == 1


def test_agent_in_wrapup_is_not_ready_until_it_ends() -> None:
    board = board_with("a")
    board = board.apply("AgentComplete", {"Queue": Q, "Interface": "Local/a@agents/n"}, now=100)
    assert board.ready_count(now=104.9) == 0
    assert board.ready_count(now=105) == 1


def test_members_join_and_leave_mid_campaign() -> None:
    board = board_with("a")
    board = board.apply(
        "QueueMemberAdded",
        {
            "Queue": Q,
            "Interface": "Local/z@agents/n",
            "MemberName": "z",
            "Status": "1",
            "Paused": "0",
        },
        0,
    )
    assert board.ready_count(0) == 2
    board = board.apply("QueueMemberRemoved", {"Queue": Q, "Interface": "Local/a@agents/n"}, 0)
    assert board.ready_count(0) == 1
    assert [a.name for a in board.agents.values()] == ["z"]


def test_unavailable_member_is_not_logged_in() -> None:
    board = board_with("a").apply(*member("b", status=5), now=0)
    assert board.logged_in_count() == 1
    assert board.ready_count(0) == 1


def test_a_member_is_found_by_name_or_interface() -> None:
    board = board_with("a", "b")
    found = board.member("b")
    assert found is not None
    assert found.interface == "Local/b@agents/n"
    assert board.member("Local/a@agents/n") is not None
    assert board.member("z") is None


def test_a_call_for_a_member_is_routed_to_its_interface_and_for_a_stranger_to_the_queue() -> None:
    phone = DuePhone(1, 1, 1, "+380501234567", PhoneType.MOBILE, "Olena", None, 0, 0, None,
                     datetime(2026, 12, 3, tzinfo=UTC))  # fmt: skip
    board = board_with("a", "b")
    routed = routed_to(phone, board, "b")
    assert (routed.agent_interface, routed.agent_name) == ("Local/b@agents/n", "b")
    stranger = routed_to(changed(phone, agent_name="z"), board, "z")
    assert (stranger.agent_interface, stranger.agent_name) == (None, "")
