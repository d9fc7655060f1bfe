"""The day's upload quota holds when one person's uploads arrive at once (committed data, two
connections)."""
from __future__ import annotations

from tests.factories import make_user


def test_uploads_sent_at_once_do_not_pass_the_quota_together(committed_branch, settings):
    """Three claims sent at the same moment each saw the day's total without the others' photos:
    142 MB stored under a 100 MB quota. The check and the writes take turns per person."""
    import threading
    import time

    from django.core.exceptions import ValidationError
    from django.db import connection, transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from portal.models import ClaimPhoto, RewardClaim
    from portal.services import check_upload_quota

    settings.UPLOAD_QUOTA_BYTES_PER_DAY = 1_000_000
    user = make_user(None, (committed_branch.code, "specialist"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def upload():
        try:
            with schema_context(committed_branch.schema_name), transaction.atomic():
                barrier.wait()
                check_upload_quota(user, 600_000, field="photos")
                claim = RewardClaim.objects.create(client=None, client_ref=1, claimant=user, tier_index=0,
                                                   tier_amount=0, status="rejected", decided_at=timezone.now())
                ClaimPhoto.objects.create(claim=claim, file="x.jpg", content_type="image/jpeg", size=600_000,
                                          original_name="x.jpg")
                time.sleep(0.3)  # the other upload checks meanwhile
            outcomes.append("stored")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["refused", "stored"]
    with schema_context(committed_branch.schema_name):
        assert ClaimPhoto.objects.filter(claim__claimant=user).count() == 1
