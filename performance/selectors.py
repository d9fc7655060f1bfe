"""Scoped reads. The schema is the branch; inside it:
- HR (branch manager, branch staff, HQ admin) run the appraisal: templates and cycles;
- scores are for managers and HQ (SPEC: appraisal scores are for managers and HQ): the branch
  manager and HQ admin see every department's, a department manager their own department's
  people, branch staff none but their own;
- everyone sees their own scores.
Anything out of reach is the same 404 as anything missing.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from branches.roles import Role, roles_in_branch

from hrsaas.core.branch import current_branch
from hrsaas.core.collation import by_pinyin

from .models import AppraisalCycle, DepartmentMember, MemberRole, RiskFlag, Score, ScoreLine

HR_ROLES = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN})


def _branch():
    return current_branch()


def is_hr(user) -> bool:
    return bool(roles_in_branch(user, _branch()) & HR_ROLES)


SCORE_READERS = frozenset({Role.BRANCH_MANAGER, Role.HQ_ADMIN})


def reads_all_scores(user) -> bool:
    return bool(roles_in_branch(user, _branch()) & SCORE_READERS)


def may_finalise(user) -> bool:
    return bool(roles_in_branch(user, _branch()) & {Role.BRANCH_MANAGER, Role.HQ_ADMIN})


def may_manage_members(user) -> bool:
    """Who places people in departments on the pages: the branch manager and HQ admin. Where a
    person sits decides whose scores a department head reads and adjusts, so it is the branch
    manager's call, not HR staff's or a department head's."""
    return bool(roles_in_branch(user, _branch()) & {Role.BRANCH_MANAGER, Role.HQ_ADMIN})


def managed_department_ids(user) -> list[int]:
    return list(DepartmentMember.objects.filter(user_id=user.pk, role=MemberRole.MANAGER)
                .values_list("department_id", flat=True))


def scores_visible_to(user, cycle: AppraisalCycle | None = None):
    qs = Score.objects.all()
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    if reads_all_scores(user):
        return qs
    return qs.filter(Q(user_id=user.pk) | Q(department_id__in=managed_department_ids(user)))


def reads_department_scores(user, department_id: int | None) -> bool:
    """Whether `user` reads every score of a department (what its average is made of)."""
    return reads_all_scores(user) or (department_id is not None and department_id in managed_department_ids(user))


def award_figures_visible(user, award) -> bool:
    """Whether `user` may read an award's score and the explanation that names it, by the same
    scope as `scores_visible_to`: a star's score is the winner's score (the branch manager, HQ
    admin, the head of the winner's department, the winner); the best team's is its department's
    average (those who read all that department's scores). The award itself — title, winner,
    department — is recognition, for every insider."""
    if award.kind == "star" and award.user_id == user.pk:
        return True
    return reads_department_scores(user, award.department_id)


def access_score(user, score_id: int) -> Score:
    score = scores_visible_to(user).select_related("cycle", "department", "template_version__template").filter(
        pk=score_id).first()
    if score is None:
        raise Http404
    return score


def may_adjust(user, score: Score) -> bool:
    """The branch manager or HQ admin, or the manager of the score's department — never one's
    own score, and a branch
    manager's score only HQ admin (the branch's staff and department heads report to them)."""
    if score.user_id == user.pk:
        return False
    branch = _branch()
    if Role.BRANCH_MANAGER in roles_in_branch(score.user, branch):
        return Role.HQ_ADMIN in roles_in_branch(user, branch)
    return reads_all_scores(user) or score.department_id in managed_department_ids(user)


# Metrics whose values are someone's pay (薪酬保密): only the person, managers and HQ read them.
PAY_METRICS = frozenset({"commission"})
PAY_READERS = frozenset({Role.BRANCH_MANAGER, Role.HQ_ADMIN, Role.HQ_FINANCE})


def reads_all_pay(user) -> bool:
    return bool(roles_in_branch(user, _branch()) & PAY_READERS)


def reads_bonus_amounts(user) -> bool:
    """Linked bonuses (联动奖金) are department pay: their base, factor, amount and the sentence
    that works them out are for managers and HQ (薪酬保密), not for HR staff who run the appraisal
    nor for anyone else."""
    return reads_all_pay(user)


def reads_pay_of(reader, score: Score) -> bool:
    return score.user_id == reader.pk or reads_all_pay(reader)


def score_lines(score: Score, reader) -> list[ScoreLine]:
    """A score's lines as `reader` may see them: a KPI on commission counts in the total, but its
    actual, target, score and weighted score (and the note that names them) are the person's pay,
    which HR staff and a department head do not read (the line's score and the template's target
    give the amount back)."""
    lines = list(ScoreLine.objects.filter(score=score).select_related("indicator").order_by("id"))
    if not reads_pay_of(reader, score):
        for line in lines:
            gate = (line.indicator.params or {}).get("gate_metric") if line.indicator.formula == "points" else None
            if line.metric in PAY_METRICS or gate in PAY_METRICS:  # as its metric or its gate
                line.actual = line.target = line.raw_score = line.weighted = None
                line.explanation = _("%(name)s:提成额属薪酬保密,仅本人、经理和总部可见。") % {
                    "name": line.indicator.display_name}
                line.pay_hidden = True
    return lines


def access_cycle(cycle_id: int) -> AppraisalCycle:
    cycle = AppraisalCycle.objects.filter(pk=cycle_id).first()
    if cycle is None:
        raise Http404
    return cycle


def risk_flags_visible_to(user, cycle: AppraisalCycle):
    qs = RiskFlag.objects.filter(cycle=cycle).order_by("-level", "user_id")
    if reads_all_scores(user):
        return qs
    return qs.filter(department_id__in=managed_department_ids(user))


def my_scores(user):
    return Score.objects.filter(user_id=user.pk).select_related("cycle", "department").order_by("-cycle__starts_on")


# Branch roles whose holders are appraised: a person with one of these and no department gets no
# score in a cycle (services.cycle_compute scores department members only).
APPRAISED_ROLES = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.SPECIALIST, Role.MARKETING, Role.SALES})


def appraised_people():
    """Active people holding an appraised role in this branch (by membership, not HQ's implicit
    roles), by name: the people a department may hold."""
    from branches.models import BranchMembership, User

    ids = set(BranchMembership.objects.filter(branch=_branch(), role__in=APPRAISED_ROLES, user__is_active=True)
              .values_list("user_id", flat=True))
    return User.objects.filter(pk__in=ids).order_by(*by_pinyin("display_name", "username"), "pk")


def names_told_apart(user_ids) -> dict[int, str]:
    """Each person's name as one list (a page) shows them: the display name, and the sign-in name
    beside it only where another person of the list has the same name (the page is the branch
    manager's and HQ admin's, who see everyone's sign-in name on the people pages anyway)."""
    from branches.models import User
    from hrsaas.core.people import names_told_apart as told_apart

    rows = list(User.objects.filter(pk__in=set(user_ids)).order_by("pk").values_list("pk", "username", "display_name"))
    labels = told_apart([(name or username, (username,)) for _pk, username, name in rows])
    return {pk: label for (pk, _username, _name), label in zip(rows, labels)}


def people_without_department() -> list:
    """The appraised people whom no department holds: a cycle gives them no score."""
    placed = set(DepartmentMember.objects.values_list("user_id", flat=True))
    return [u for u in appraised_people() if u.pk not in placed]


def access_department_member(code: str, username: str) -> DepartmentMember:
    """The membership of the person `username` in the department `code` (with both loaded), or
    404: a department that does not exist, a person who does not, one of another branch or of
    another department all read alike, so the answer tells nothing of who exists where."""
    member = (DepartmentMember.objects.select_related("department", "user")
              .filter(department__code=str(code or ""), user__username=str(username or "")).first())
    if member is None:
        raise Http404
    return member


def membership(user) -> DepartmentMember | None:
    """The department `user` belongs to in this branch (one at most), or None."""
    return DepartmentMember.objects.select_related("department").filter(user_id=user.pk).first()


def surveys_asking(user):
    """The surveys `user` is asked to answer (answered ones included), as `services.survey_answer`
    accepts them: a department member, about another department, in a cycle not yet final."""
    from .models import CycleStatus, Survey

    member = membership(user)
    if member is None:
        return Survey.objects.none()
    return (Survey.objects.exclude(cycle__status=CycleStatus.FINALISED)
            .exclude(target_department_id=member.department_id).select_related("cycle", "target_department"))



@dataclass(frozen=True)
class MissingInput:
    """A person whose score lacks (or would lack) values: those indicators score 0."""
    user_id: int
    department_id: int
    metrics: tuple[str, ...]  # metric codes, in the template's order


def missing_inputs(cycle: AppraisalCycle) -> list[MissingInput]:
    """Who lacks which values in `cycle`. Before the compute, from the data as it stands (what a
    compute now would find); once computed, from the scores themselves (what finalising would
    freeze — a value entered since counts only after a new compute)."""
    from .models import CycleStatus

    found: dict[int, tuple[int, list[str]]] = {}
    if cycle.status == CycleStatus.OPEN:
        from . import metrics, services

        plan, ctx, codes = services.cycle_plan(cycle)
        values = metrics.values_for(ctx, codes)
        for user_id, (dept_id, _version, specs) in plan.items():
            lacking = [m for spec in specs for m in spec.metrics_used() if values[m].get(user_id) is None]
            if lacking:
                found[user_id] = (dept_id, lacking)
    else:
        rows = (ScoreLine.objects.filter(score__cycle=cycle, actual__isnull=True).order_by("score_id", "id")
                .values_list("score__user_id", "score__department_id", "metric"))
        for user_id, dept_id, metric in rows:
            found.setdefault(user_id, (dept_id, []))[1].append(metric)
    return [MissingInput(u, d, tuple(dict.fromkeys(ms))) for u, (d, ms) in found.items()]
