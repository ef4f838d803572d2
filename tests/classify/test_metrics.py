"""The figures `monitor evaluate` reports."""

from __future__ import annotations

import pytest

from monitor.classify import metrics


def test_precision_recall_f1_per_label_and_macro() -> None:
    truth = ["isis", "isis", "none", "taliban", "none"]
    predicted = ["isis", "none", "none", "taliban", "isis"]
    scores = {s.label: s for s in metrics.label_scores(truth, predicted,
                                                        ["isis", "taliban", "none"])}
    assert (scores["isis"].precision, scores["isis"].recall) == (0.5, 0.5)
    assert scores["taliban"].f1 == 1.0 and scores["none"].support == 2
    assert metrics.macro_f1(list(scores.values())) == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    assert metrics.confusion(truth, predicted, ["isis", "taliban", "none"]) == [
        [1, 0, 1], [0, 1, 0], [1, 0, 1]]


def test_calibration_error_is_zero_when_confidence_matches_accuracy() -> None:
    confidence = [0.8] * 10
    correct = [True] * 8 + [False] * 2
    assert metrics.expected_calibration_error(confidence, correct) == pytest.approx(0.0)
    assert metrics.expected_calibration_error([0.9] * 10, [False] * 10) == pytest.approx(0.9)
