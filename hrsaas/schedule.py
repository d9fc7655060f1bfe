"""Every periodic job in one place. Each entry runs in public and fans out per active branch."""
from celery.schedules import crontab


def beat_schedule() -> dict:
    return {
        "fan-out-recompute-open-periods": {
            "task": "branches.tasks.fan_out",
            "schedule": crontab(minute="*/15"),
            "args": ("commissions.tasks.recompute_open_periods",),
        },
        "fan-out-drain-recompute-markers": {
            "task": "branches.tasks.fan_out",
            "schedule": 30.0,
            "args": ("commissions.tasks.drain_recompute_markers",),
        },
        "fan-out-notification-sweep": {
            "task": "branches.tasks.fan_out",
            "schedule": 120.0,
            "args": ("notifications.tasks.dispatch_pending",),
        },
        "fan-out-si-daily-check": {
            "task": "branches.tasks.fan_out",
            "schedule": crontab(hour=6, minute=0),
            "args": ("social_insurance.tasks.daily_cycle",),
        },
        # 滞纳金 of late client payments, once the client's next open fee statement exists.
        "fan-out-si-late-fees": {
            "task": "branches.tasks.fan_out",
            "schedule": crontab(hour=6, minute=20),
            "args": ("social_insurance.tasks.post_late_fees",),
        },
        # Appraisal cycles under review pick up values entered late (adjustments are kept).
        "fan-out-performance-nightly-recompute": {
            "task": "branches.tasks.fan_out",
            "schedule": crontab(hour=2, minute=30),
            "args": ("performance.tasks.recompute_computed_cycles",),
        },
        # 社保 exceptions past their 1-hour/24-hour clocks reach the branch managers (once per stage).
        "fan-out-si-exception-escalation": {
            "task": "branches.tasks.fan_out",
            "schedule": crontab(minute="*/15"),
            "args": ("social_insurance.tasks.escalate_exceptions",),
        },
        # 线索 waiting in a stage past the branch's limit: the person whose turn it is and the
        # managers are told (自动预警并追踪责任), once per lead and stage.
        "fan-out-stuck-lead-alerts": {
            "task": "branches.tasks.fan_out",
            "schedule": crontab(minute=5),
            "args": ("commissions.tasks.alert_stuck_leads",),
        },
        # 电子工资条 not confirmed after N days: a reminder (at most one per N days per statement).
        "fan-out-statement-confirm-reminders": {
            "task": "branches.tasks.fan_out",
            "schedule": crontab(hour=9, minute=30),
            "args": ("commissions.tasks.remind_unconfirmed_statements",),
        },
    }
