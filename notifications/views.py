from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from branches import roles as R
from branches.pages import page_roles
from branches.roles import Role, has_branch_role

from . import selectors, services
from .models import ChannelConfig


@page_roles(R.EVERY_BRANCH_ROLE)
def inbox(request):
    items = selectors.inbox_for(request.user)
    return render(request, "notifications/inbox.html", {"items": items, "unread": selectors.unread_count(request.user)})


@page_roles(R.EVERY_BRANCH_ROLE)
def badge(request):
    return render(request, "notifications/_badge.html", {"unread": selectors.unread_count(request.user)})


@require_POST
@page_roles(R.EVERY_BRANCH_ROLE)
def mark_all_read(request):
    services.notifications_mark_read(recipient=request.user)
    return redirect("inbox")


class ChannelForm(forms.Form):
    email_enabled = forms.BooleanField(label=gettext_lazy("发送邮件"), required=False)
    webhook_url = forms.URLField(label=gettext_lazy("企业微信群机器人 Webhook"), required=False, max_length=500,
                                 assume_scheme="https", help_text=gettext_lazy(
                                     "群里的每位同事都能看到,所以群里只提示谁有新通知(如“王芳 有一条新通知,请登录查看。”),"
                                     "不发送金额、客户或员工信息。"))


@page_roles(R.MANAGER)
def channel_settings(request):
    if not has_branch_role(request.user, request.tenant, Role.BRANCH_MANAGER):
        raise Http404
    config = ChannelConfig.current()
    form = ChannelForm(request.POST or None, initial={"email_enabled": config.email_enabled, "webhook_url": config.webhook_url})
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_config_update(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("通知渠道已保存。"))
            return redirect("notification-settings")
    return render(request, "notifications/settings.html", {"form": form})
