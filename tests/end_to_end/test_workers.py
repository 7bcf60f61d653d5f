"""``c360 serve --workers 2``: two worker processes share the port and answer alike."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.end_to_end.live_service import running_process


def _children(pid: int) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children |= {int(c) for c in (task / "children").read_text().split()}
    return children


def test_two_workers_share_the_port_and_answer_alike(tmp_path: Path) -> None:
    query = {"query": "{ customers(first: 3) { totalCount edges { node { id name } } } }"}
    with running_process(tmp_path, 50, "--workers", "2") as (base, process):
        workers = _children(process.pid)
        answers = set()
        for _ in range(20):
            with httpx.Client(base_url=base, timeout=30) as client:  # a new connection each time
                response = client.post("/graphql", json=query)
                assert response.status_code == 200
                answers.add(response.text)
    assert len(workers) >= 2
    assert len(answers) == 1 and '"errors"' not in answers.pop()
