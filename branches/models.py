from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from simple_history.models import HistoricalRecords

from .roles import Role

logger = logging.getLogger(__name__)

BRANCH_CODE_RE = r"^[a-z][a-z0-9-]{1,30}$"
branch_code_validator = RegexValidator(
    BRANCH_CODE_RE,
    _("编码须以小写字母开头,只含小写字母、数字和连字符,长度 2–31。"),
)


class Branch(TenantMixin):
    """A branch (分支机构). The public schema's row stands for HQ (code "public")."""

    code = models.CharField(_("编码"), max_length=31, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    city = models.CharField(_("城市"), max_length=50, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    auto_create_schema = True
    auto_drop_schema = False
    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("分支机构")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """The branch's schema, copied from the migrated template (about a second, against ≈ 10 s
        of running every migration; branches/schemas.py, ADR 0010). The copy runs in the
        caller's transaction; `save` drops what was made if it fails, as with migrating."""
        from django.db import connection
        from django_tenants.postgresql_backend.base import _check_schema_name
        from django_tenants.utils import schema_exists

        from . import schemas

        _check_schema_name(self.schema_name)
        if not sync_schema or self.schema_name == "public":
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        try:
            schemas.copy_template(self.schema_name)
        except schemas.NotCopyable as reason:
            # Something the copy does not reproduce: migrate this schema as before.
            logger.warning("branch schema %s migrated, not copied: %s", self.schema_name, reason)
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        finally:
            connection.set_schema_to_public()
        return True

    @property
    def is_hq(self) -> bool:
        return self.schema_name == "public"

    @staticmethod
    def schema_for_code(code: str) -> str:
        # Codes allow '-' but unquoted schema names do not; '_' is not allowed in codes,
        # so the mapping is one-to-one.
        return "br_" + code.replace("-", "_")


class Domain(DomainMixin):
    """In subfolder routing the domain is the branch code: /b/<code>/ selects the schema."""


class User(AbstractUser):
    display_name = models.CharField(_("显示名称"), max_length=100, blank=True)
    home_branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="home_users",
        verbose_name=_("所属分支机构"),
    )
    notify_email = models.BooleanField(_("邮件通知"), default=True)

    history = HistoricalRecords(user_db_constraint=False, excluded_fields=["password", "last_login"])

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def label(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs):
        # A new password (change, reset, set by an admin) or a deactivation ends every API token
        # of the person: a token must not outlive the reason it was trusted.
        password_changed = self._password is not None
        super().save(*args, **kwargs)
        if password_changed:
            from .login_guard import forget_devices

            forget_devices(self.username)
        if password_changed or not self.is_active:
            from .tokens import tokens_revoke

            tokens_revoke(user=self, reason="password changed" if password_changed else "deactivated")


class BranchMembership(models.Model):
    """A person's role in a branch; branch NULL means an HQ role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "branch", "role"], name="membership_unique_per_branch"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(branch__isnull=True),
                name="membership_unique_hq_role",
            ),
            models.CheckConstraint(
                condition=models.Q(branch__isnull=False)
                | models.Q(role__in=["hq_admin", "hq_finance"]),
                name="membership_hq_roles_only_without_branch",
            ),
            models.CheckConstraint(
                condition=models.Q(branch__isnull=True)
                | ~models.Q(role__in=["hq_admin", "hq_finance"]),
                name="membership_branch_roles_only_with_branch",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.branch.code if self.branch else 'HQ'} · {self.role}"


class ApiToken(models.Model):
    """An API token (`Authorization: Token <key>`). Only the key's SHA-256 digest is stored: the
    key is shown once, when issued. Ends when idle too long, at `expires_at`, or when revoked
    (logout, password change, deactivation, the revoke endpoint); see `branches/tokens.py`."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=100, blank=True)

    # Issuing and revoking are audited; use (last_used_at) is not, and the digest never leaves.
    history = HistoricalRecords(user_db_constraint=False, excluded_fields=["digest", "last_used_at"])

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_live")]

    key: str | None = None  # the clear key, on the instance that issued it only

    def save(self, *args, **kwargs):
        if not self.digest:
            from .tokens import digest_of, new_key, token_lifetime

            self.key = new_key()
            self.digest = digest_of(self.key)
            if self.expires_at is None:
                self.expires_at = self.created_at + token_lifetime()
        return super().save(*args, **kwargs)


class SecurityEvent(models.Model):
    """A refused attempt worth keeping in the audit trail although it changed nothing (e.g. a
    manager trying to approve their own adjustment). Written once, never changed."""

    kind = models.CharField(max_length=40)
    # No database constraints: an audit record outlives the person and the branch it names.
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+")
    target = models.CharField(max_length=100, blank=True)  # e.g. "commissions.Adjustment:12"
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(user_db_constraint=False)
