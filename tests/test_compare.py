import pytest

from posture.compare import ChangeStatus, compare

from .conftest import with_measures


def test_change_is_real_only_beyond_combined_uncertainty(assessed):
    base = assessed("standing_back_02.jpg")
    before = with_measures(base, shoulder_tilt_deg=(4.0, 0.6), hip_tilt_deg=(1.0, 0.3), head_tilt_deg=(2.0, 0.5))
    after = with_measures(base, shoulder_tilt_deg=(1.0, 0.8), hip_tilt_deg=(1.4, 0.4), head_tilt_deg=(-3.5, 0.5))
    by = {c.name: c for c in compare(before, after)}
    assert by["shoulder_tilt_deg"].status is ChangeStatus.IMPROVED
    assert by["shoulder_tilt_deg"].combined_uncertainty == pytest.approx(1.0)
    assert by["hip_tilt_deg"].status is ChangeStatus.WITHIN_NOISE  # 0.4 < 0.5
    assert by["head_tilt_deg"].status is ChangeStatus.WORSE  # further from level


def test_same_photo_is_within_noise(assessed):
    a = assessed("standing_back_02.jpg")
    assert all(c.status in (ChangeStatus.WITHIN_NOISE, ChangeStatus.NOT_COMPARABLE) for c in compare(a, a))


def test_different_views_not_comparable(assessed):
    changes = compare(assessed("standing_back_02.jpg"), assessed("seated_side_upright_01.jpg"))
    assert changes and all(c.status is ChangeStatus.NOT_COMPARABLE for c in changes)
    assert "different views" in changes[0].reason
