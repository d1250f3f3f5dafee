from __future__ import annotations

from dialerd.agents import AgentBoard

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
