"""Demo organisation: HQ and the three branches of the source case, ~20 specialists.

Each app adds its own realistic activity through `<app>.demo.seed(org)`; seeding is
idempotent (running it twice leaves the same data).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import import_module

from django.contrib.auth.hashers import make_password
from django.db import connection

from . import services
from .models import Branch, User

DEMO_PASSWORD = "Demo-2026!"

DEMO_BRANCHES = [
    ("beijing", "北京分公司", "beijing"),
    ("shanghai", "上海分公司", "shanghai"),
    ("guangzhou", "广州分公司", "guangzhou"),
]
SPECIALIST_NAMES = {
    "beijing": ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏"],
    "shanghai": ["黄强", "周婷", "吴杰", "徐丽", "孙浩", "马琳", "朱军"],
    "guangzhou": ["胡斌", "郭雪", "何亮", "高敏", "林峰", "罗佳"],
}
SHORT = {"beijing": "bj", "shanghai": "sh", "guangzhou": "gz"}
# The last closes the earliest demo month: after the others have recorded its business.
DEMO_APPS = ["commissions.demo", "portal.demo", "social_insurance.demo", "performance.demo", "commissions.hq.payouts.demo"]


@dataclass
class DemoOrg:
    branches: dict[str, Branch] = field(default_factory=dict)
    # people[branch_code][role] -> users
    people: dict[str, dict[str, list[User]]] = field(default_factory=dict)
    admin: User | None = None
    finance: User | None = None


@functools.cache
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)


def _user(username: str, display: str, home: str | None, roles: list[tuple[str | None, str]], **extra) -> User:
    existing = User.objects.filter(username=username).first()
    if existing:
        return existing
    user = services.user_create(
        actor=None, username=username, password=DEMO_PASSWORD, display_name=display,
        email=f"{username}@demo.hrsaas.cn", home_branch=home,
        roles=[services.RoleInput(branch=b, role=r) for b, r in roles], password_hash=_demo_password_hash(),
    )
    if extra:
        for k, v in extra.items():
            setattr(user, k, v)
        user.save()
    return user


def seed_organisation() -> DemoOrg:
    connection.set_schema_to_public()
    services.ensure_public_tenant()
    org = DemoOrg()
    for code, name, city in DEMO_BRANCHES:
        branch = Branch.objects.filter(code=code).first() or services.branch_create(
            actor=None, data=services.BranchInput(code=code, name=name, city=city)
        )
        org.branches[code] = branch
    org.admin = _user("admin", "总部管理员", None, [(None, "hq_admin")], is_superuser=True, is_staff=True)
    org.finance = _user("finance", "总部财务", None, [(None, "hq_finance")])
    for code, _, _ in DEMO_BRANCHES:
        s = SHORT[code]
        roles: dict[str, list[User]] = {}
        roles["branch_manager"] = [_user(f"{s}.manager", f"{org.branches[code].name}经理", code, [(code, "branch_manager")])]
        roles["branch_staff"] = [_user(f"{s}.staff", f"{org.branches[code].name}人事", code, [(code, "branch_staff")])]
        roles["marketing"] = [_user(f"{s}.marketing", f"{org.branches[code].name}市场", code, [(code, "marketing")])]
        roles["sales"] = [_user(f"{s}.sales", f"{org.branches[code].name}销售", code, [(code, "sales")])]
        roles["client_contact"] = [_user(f"{s}.client", f"{org.branches[code].name}客户联系人", code, [(code, "client_contact")])]
        roles["specialist"] = [
            _user(f"{s}.s{i + 1}", name, code, [(code, "specialist")])
            for i, name in enumerate(SPECIALIST_NAMES[code])
        ]
        org.people[code] = roles
    return org


def seed_all(stdout=None) -> DemoOrg:
    org = seed_organisation()
    for module_name in DEMO_APPS:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.seed(org)
        connection.set_schema_to_public()
        if stdout:
            stdout.write(f"seeded {module_name}")
    return org
