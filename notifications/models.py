from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Notification(models.Model):
    """An in-app inbox message for one person in one branch (lives in the branch schema)."""

    # The user lives in public; no DB constraint so that schemas stay independent.
    recipient = models.ForeignKey(
        "branches.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    kind = models.CharField(max_length=40, default="info")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(max_length=300, blank=True)
    # The title's and body's words as what they say (notifications/words.py), put into the
    # reader's language when shown; title and body hold them in the product's language.
    words = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set once outside delivery has run; a beat sweep delivers what a lost queue message missed.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            # A retried task must not deliver the same message twice.
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_once_per_key",
            )
        ]


    @property
    def title_text(self) -> str:
        from .words import shown

        return shown(self.words.get("title"), self.title)

    @property
    def body_text(self) -> str:
        from .words import shown

        return shown(self.words.get("body"), self.body)


class ChannelConfig(models.Model):
    """Where a branch's notifications go besides the inbox (one row per branch schema)."""

    email_enabled = models.BooleanField(_("发送邮件"), default=True)
    webhook_url = models.URLField(_("企业微信群机器人 Webhook"), blank=True, max_length=500,
                                  help_text=_("企业微信/微信群机器人的 Webhook 地址;留空则不推送。"))
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(user_db_constraint=False)

    @classmethod
    def current(cls) -> "ChannelConfig":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class Delivery(models.Model):
    """One notification sent over one outside channel; unique so a retried task sends once."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]
