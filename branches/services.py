"""Writes for branches and people: validate, write, audit."""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_exists

from hrsaas.core import locks
from hrsaas.core.locks import Lock
from hrsaas.core.unique import broken_unique_constraint, taken_is_refused

from .audit import stamp
from .models import BRANCH_CODE_RE, Branch, BranchMembership, Domain, User
from .roles import HQ_ROLES, Role

HQ_CODE = "hq"
RESERVED_CODES = frozenset({HQ_CODE, "public", "api", "static", "media", "admin"})


def ensure_public_tenant(verbosity: int = 0) -> Branch:
    """The HQ row for the public schema; created once, idempotent."""
    branch = Branch.objects.filter(schema_name="public").first()
    if branch is None:
        branch = Branch(schema_name="public", code=HQ_CODE, name="总部", city="")
        branch.save(verbosity=verbosity)
    return branch


def ensure_public_tenant_after_migrate(sender, **kwargs) -> None:
    # post_migrate fires once per schema; the tenant table exists only in public.
    if connection.schema_name != "public":
        return
    using = kwargs.get("using", "default")
    if using != "default":
        return
    ensure_public_tenant()


@dataclass(frozen=True)
class BranchInput:
    code: str
    name: str
    city: str = ""


def validate_branch_input(data: BranchInput) -> None:
    errors: dict[str, list[str]] = {}
    code = data.code or ""
    if not re.fullmatch(BRANCH_CODE_RE, code):
        errors["code"] = [_("编码须以小写字母开头,只含小写字母、数字和连字符,长度 2–31。")]
    elif code in RESERVED_CODES:
        errors["code"] = [_("编码“%(code)s”为系统保留。") % {"code": code}]
    elif Branch.objects.filter(code=code).exists() or Domain.objects.filter(domain=code).exists():
        errors["code"] = [_("编码“%(code)s”已被使用。") % {"code": code}]
    elif schema_exists(Branch.schema_for_code(code)):
        errors["code"] = [_("编码“%(code)s”对应的数据空间已存在。") % {"code": code}]
    if not (data.name or "").strip():
        errors["name"] = [_("请填写名称。")]
    elif len(data.name) > 100:
        errors["name"] = [_("名称不能超过 100 个字符。")]
    if len(data.city or "") > 50:
        errors["city"] = [_("城市不能超过 50 个字符。")]
    elif (data.city or "").strip() and _city_code(data.city) is None:
        # A branch's city is where its people are insured by default: one without a policy
        # (a typo, "atlantis") would compute every month to nothing without a word.
        from hrsaas.core.inputs import unknown_choice
        from social_insurance.policies.selectors import known_cities

        errors["city"] = [unknown_choice(data.city.strip(), what=_("城市"),
                                         choices=[name for _code, name in known_cities()])]
    if errors:
        raise ValidationError(errors)


def _city_code(text: str) -> str | None:
    """A city with a social-insurance policy, by its code or its name (北京), or None."""
    from hrsaas.core.labels import label
    from social_insurance.policies.models import CityPolicy

    text = (text or "").strip()
    for code, name in CityPolicy.objects.values_list("city", "name").distinct():
        if text in (code, name, label("city", code)):
            return code
    return None


def branch_create(*, actor, data: BranchInput) -> Branch:
    """Create a branch: its row, its routing entry, and its schema, created and migrated.

    If the schema cannot be made, django-tenants drops what it made and the rows are rolled
    back, so a failure never leaves a half-made branch.
    """
    validate_branch_input(data)
    branch = Branch(
        schema_name=Branch.schema_for_code(data.code),
        code=data.code,
        name=data.name.strip(),
        city=_city_code(data.city) or "" if (data.city or "").strip() else "",
    )
    stamp(branch, actor=actor, reason="branch created")
    try:
        branch.save(verbosity=0)  # creates and migrates the schema
        Domain.objects.create(domain=data.code, tenant=branch, is_primary=True)
    except Exception as exc:
        if branch.pk:  # only this call's own row and schema, never the one that took the code
            branch.delete(force_drop=True)
        # The same code sent twice at once: both pass the check above, and the second meets the
        # first's row (django-tenants' own check, or the unique constraint) — the check's refusal.
        if isinstance(exc, ValidationError) or (isinstance(exc, IntegrityError) and broken_unique_constraint(exc) is not None):
            raise ValidationError({"code": [_("编码“%(code)s”已被使用。") % {"code": data.code}]}) from None
        raise
    finally:
        connection.set_schema_to_public()
    return branch


def branch_set_active(*, actor, branch: Branch, active: bool, reason: str = "") -> Branch:
    if branch.is_hq:
        raise ValidationError({"code": [_("总部不能停用。")]})
    if branch.active == active:
        return branch
    branch.active = active
    branch.deactivated_at = None if active else timezone.now()
    stamp(branch, actor=actor, reason=reason or ("reactivated" if active else "deactivated"))
    branch.save(update_fields=["active", "deactivated_at"])
    return branch


@dataclass(frozen=True)
class RoleInput:
    branch: str | None
    role: str


def user_create(
    *,
    actor,
    username: str,
    password: str,
    display_name: str = "",
    email: str = "",
    home_branch: str | None = None,
    roles: list[RoleInput] = (),
    password_hash: str = "",
) -> User:
    """`password_hash`, when given, is `password` as `make_password` encoded it (the caller's
    word: checking it would cost the hashing it saves): the demo's people share one published
    password, hashed once instead of once per person (~0.5 s each)."""
    errors: dict[str, list[str]] = {}
    # One spelling per name: full-width "ａdmin" is "admin" (NFKC, as Django's own forms and the
    # sign-in page normalise it). Stored as typed it would be a look-alike account beside the
    # real one, that the sign-in page can never reach and whose failures count against the other.
    username = User.normalize_username(username or "")
    # Latin letters and digits only: a Cyrillic "ѕ" or Greek "ο" makes "bj.ѕ1" look exactly like
    # bj.s1 in every list and earner field (a look-alike account credited with another's work).
    if not username or not re.fullmatch(r"[A-Za-z0-9.@+_-]{1,150}", username):
        errors["username"] = [_("用户名只能包含英文字母、数字和 @/./+/-/_,最长 150;姓名请填在显示名称中。")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("用户名“%(u)s”已存在。") % {"u": username}]
    branches_by_code = {b.code: b for b in Branch.objects.exclude(schema_name="public")}
    home = None
    if home_branch:
        home = branches_by_code.get(home_branch)
        if home is None:
            errors["home_branch"] = [_("分支机构“%(c)s”不存在。") % {"c": home_branch}]
    role_errors = []
    memberships: list[tuple[Branch | None, str]] = []
    for item in roles:
        if item.role not in Role.values:
            role_errors.append(_("未知角色“%(r)s”。") % {"r": item.role})
            continue
        if item.branch is None:
            if item.role not in HQ_ROLES:
                role_errors.append(_("角色“%(r)s”须指定分支机构。") % {"r": Role(item.role).label})
                continue
            memberships.append((None, item.role))
        else:
            branch = branches_by_code.get(item.branch)
            if branch is None:
                role_errors.append(_("分支机构“%(c)s”不存在。") % {"c": item.branch})
            elif item.role in HQ_ROLES:
                role_errors.append(_("总部角色“%(r)s”不能属于分支机构。") % {"r": Role(item.role).label})
            else:
                memberships.append((branch, item.role))
    if len(set(memberships)) != len(memberships):
        role_errors.append(_("角色重复。"))
    if role_errors:
        errors["roles"] = role_errors
    if password:
        try:
            validate_password(password, user=User(username=username, email=email))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    else:
        errors["password"] = [_("请设置密码。")]
    if errors:
        raise ValidationError(errors)

    taken = {"username": [_("用户名“%(u)s”已存在。") % {"u": username}]}
    with transaction.atomic():
        # One name in any case: the check above is case-blind, the database's constraint is not,
        # so two requests at once for "Li.Na" and "li.na" wait for each other here, and the
        # second sees the first's row (the same name exactly is also the constraint's refusal).
        # (A name's lock is one of 256, so that a transaction making many people — the demo —
        # holds a bounded number of locks; two names sharing one only wait a moment.)
        locks.take((Lock.USERNAMES, str(zlib.crc32(username.casefold().encode()) % 256)))
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(taken)
        user = User(username=username, display_name=display_name, email=email, home_branch=home)
        if password_hash:
            user.password = password_hash
        else:
            user.set_password(password)
        stamp(user, actor=actor, reason="user created")
        with taken_is_refused(taken):
            user.save()
        for branch, role in memberships:
            membership = BranchMembership(user=user, branch=branch, role=role)
            stamp(membership, actor=actor, reason="role granted")
            membership.save()
    return user


def membership_grant(*, actor, user: User, branch: Branch | None, role: str) -> BranchMembership:
    if role not in Role.values:
        raise ValidationError({"role": [_("未知角色“%(r)s”。") % {"r": role}]})
    if (branch is None) != (role in HQ_ROLES):
        raise ValidationError({"role": [_("总部角色不指定分支机构,分支机构角色须指定分支机构。")]})
    taken = {"role": [_("该人员已有此角色。")]}
    if BranchMembership.objects.filter(user=user, branch=branch, role=role).exists():
        raise ValidationError(taken)
    membership = BranchMembership(user=user, branch=branch, role=role)
    stamp(membership, actor=actor, reason="role granted")
    with taken_is_refused(taken):
        membership.save()
    return membership


def membership_revoke(*, actor, membership: BranchMembership) -> None:
    stamp(membership, actor=actor, reason="role revoked")
    membership.delete()


def user_set_active(*, actor, user: User, active: bool) -> User:
    """People are deactivated, never deleted: their history and payouts stay explainable."""
    if actor is not None and user.pk == actor.pk and not active:
        raise ValidationError({"is_active": [_("不能停用自己的账号。")]})
    user.is_active = active
    stamp(user, actor=actor, reason="activated" if active else "deactivated")
    user.save(update_fields=["is_active"])
    return user


def stamp_last_login(sender, user, **kwargs) -> None:
    """Django's sign-in receiver, less the history row: last_login is left out of the person's
    history, and the save would still have added a row that changes nothing, at every sign-in.
    Other post_save receivers still see the save (a token's entry, prepared reads)."""
    user.last_login = timezone.now()
    user.skip_history_when_saving = True
    try:
        user.save(update_fields=["last_login"])
    finally:
        del user.skip_history_when_saving
