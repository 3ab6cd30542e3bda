"""``headway plan``: solve a plan from the command line, show it, keep it with --save."""

from __future__ import annotations

import json

import pytest

from headway.cli import main
from headway.prioritization.models import CapacityPlan, PlanTeam
from headway.prioritization.tests.plans_data import world

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def w(workspace, leader, admin):
    w = world(workspace, leader)
    # The teams' capacity from their members in 2027-Q1: Payments 12.8, Core platform 19.2.
    return w


ARGS = ["plan", "--workspace", "acme", "--period", "2027-Q1", "--team", "Payments", "--team", "core platform"]


def test_plan_prints_a_table_and_keeps_nothing(w, capsys):
    assert main(ARGS) == 0
    out = capsys.readouterr().out
    assert CapacityPlan.objects.count() == 0
    lines = out.splitlines()
    assert lines[0] == ("2027-Q1 plan — 2027-Q1 (2027-01-01 to 2027-03-31), goal: total score (RICE), status: optimal.")
    # Payments 12.8: PAY-1 + PAY-2 + PAY-5 (12; PAY-3 does not fit beside PAY-1 and PAY-2); Core 19.2 takes all
    # four estimated features (16).
    assert out.split("Chosen (7):\n\n")[1].split("\n\n")[0].splitlines() == [
        "  feature  title          team           value  effort (person-weeks)  must",
        "  -------  -------------  -------------  -----  ---------------------  ----",
        "  PAY-1    Apple Pay      Payments       400    6",
        "  CORE-2   SSO            Core platform  350    5",
        "  PAY-2    Refunds API    Payments       300    4",
        "  CORE-3   Rate limits    Core platform  276    4",
        "  CORE-4   Webhooks v2    Core platform  270    4",
        "  PAY-5    Ledger export  Payments       100    2",
        "  CORE-1   Audit log      Core platform  50     3",
    ]
    below = out.split("Below the line (2):\n\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in below[2:]] == ["PAY-3", "PAY-4"]
    assert below[2].endswith(
        "capacity  PAY-3 would overflow Payments by 2.2; making room would displace PAY-1, PAY-5 "
        "(value 500, against PAY-3's 250)."
    )
    assert "  Core platform  19.2      16    83.3%" in lines
    assert "  Payments       12.8      12    93.8%" in lines
    assert "Total value 1746; a greedy fill by value reaches 1746 (7 features), as much as the plan." in lines
    assert "Warning: CORE-5 is not estimated: not a candidate." in lines


def test_plan_save_json_and_must(w, admin, capsys):
    assert main([*ARGS, "--must", "PAY-3", "PAY-4", "--save", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    plan = CapacityPlan.objects.get()
    assert plan.created_by == admin  # the workspace's first admin
    assert (body["id"], body["status"], body["period"], body["unit"]) == (plan.pk, "optimal", "2027-Q1", "person-weeks")
    chosen = {row["ref"] for row in body["chosen"]}
    assert {"PAY-3", "PAY-4"} <= chosen
    assert [row["must_have"] for row in body["chosen"] if row["ref"] in ("PAY-3", "PAY-4")] == [True, True]
    assert sorted(PlanTeam.objects.values_list("team__name", flat=True)) == ["Core platform", "Payments"]
    assert plan.state == "solved"


def test_plan_as_someone_and_infeasible(w, leader, capsys):
    args = [*ARGS, "--must", "PAY-1", "PAY-2", "PAY-4", "--as", leader.email]
    assert main(args) == 1  # 15 of Payments' 12.8
    out = capsys.readouterr().out
    assert "status: infeasible." in out
    assert "  - Must-haves (with their dependencies) need 15 from Payments, which has 12.8: 2.2 short." in out


def test_plan_errors(w, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["plan", "--workspace", "acme", "--period", "2027-Q1", "--team", "Growth"])
    assert caught.value.code == 2
    assert "no team 'Growth' in acme (teams: Core platform, Payments)" in capsys.readouterr().err
    assert main([*ARGS[:4], "soon", *ARGS[5:]]) == 1
    assert "period: Give a period such as 2027-Q1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*ARGS, "--model", "WSJF"])
    assert "no scoring model 'WSJF'" in capsys.readouterr().err
