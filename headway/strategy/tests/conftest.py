import datetime as dt

import pytest

from headway.portfolio import services as portfolio
from headway.strategy import services

Q2 = {"starts_on": dt.date(2026, 4, 1), "ends_on": dt.date(2026, 6, 30)}
YEAR = {"period_kind": "year", "starts_on": dt.date(2026, 1, 1), "ends_on": dt.date(2026, 12, 31)}


@pytest.fixture
def line(workspace, leader):
    return portfolio.product_line_create(actor=leader, workspace=workspace, name="Payments")


@pytest.fixture
def product(workspace, leader, line, pm):
    return portfolio.product_create(
        actor=leader, workspace=workspace, product_line=line, name="Checkout", key="CHK", owner=pm
    )


@pytest.fixture
def company(workspace, leader):
    """A top-level objective for 2026 owned by the leader."""
    return services.objective_create(
        actor=leader, workspace=workspace, title="Win EU SMB payments", **YEAR, owner=leader
    )


@pytest.fixture
def pm_objective(workspace, leader, pm, company):
    """A Q2 objective under ``company`` owned by the PM, with one key result 20 → 40."""
    objective = services.objective_create(
        actor=leader, workspace=workspace, title="Effortless checkout", parent=company, owner=pm, **Q2
    )
    services.key_result_create(
        actor=leader, objective=objective, title="Conversion", start_value=20, target_value=40, unit="%"
    )
    return objective
