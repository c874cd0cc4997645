from queues.domain.kinds import KIND_ORDER, REPORT_KINDS
from queues.models import ReportKind


def test_the_model_offers_exactly_the_domain_report_kinds():
    assert tuple(ReportKind.values) == REPORT_KINDS


def test_every_report_kind_has_an_order_at_one_instant_and_the_end_comes_last():
    assert set(KIND_ORDER) == set(REPORT_KINDS)
    assert max(KIND_ORDER, key=KIND_ORDER.__getitem__) == "crossed"
    assert min(KIND_ORDER, key=KIND_ORDER.__getitem__) == "joined"
