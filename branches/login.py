"""Login page, throttled by the same per-username and per-address counters as the API token
endpoint (`branches/login_guard.py`); a browser that signed in to an account before is counted
on its own (the device cookie), so a stranger's failures do not lock its owner out."""
from __future__ import annotations

from django.contrib.auth import views as auth_views

from . import login_guard


class ThrottledLoginView(auth_views.LoginView):
    template_name = "registration/login.html"

    def post(self, request, *args, **kwargs):
        refusal = login_guard.check(request, request.POST.get("username", ""), device=True)
        if refusal is not None:
            # Bound without the password: a refused attempt never reaches the password check.
            form = self.get_form_class()(request, data={"username": request.POST.get("username", "")[:150]})
            form.errors.clear()
            form.add_error(None, refusal.message)
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(refusal.retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        username = self.request.POST.get("username", "")
        login_guard.record_success(self.request, username, device=True)
        response = super().form_valid(form)
        login_guard.remember_device(self.request, response, username)
        return response
