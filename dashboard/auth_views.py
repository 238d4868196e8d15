"""Sign-in, sign-out and password reset for merchant staff (Django's views, our templates)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from dashboard.forms import SignInForm
from postpurchase import ratelimit
from postpurchase.client_ip import client_ip


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Reset emails cost money and can be used to pester; a few per address per hour."""

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        verdict = ratelimit.hit(
            f"password-reset:{client_ip(self.request)}", limit=10, window=60 * 60
        )
        if not verdict.allowed:
            # Same page as success: do not reveal the throttle or whether the email exists.
            return self.render_to_response(self.get_context_data(form=form, throttled=True))
        return super().form_valid(form)


urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("password-reset/", ThrottledPasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html",
            success_url=reverse_lazy("password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
