"""Views: sign in and out; the guards other blueprints put on their views."""
from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_user, logout_user

from cone.auth import bp
from cone.auth.forms import LoginForm
from cone.extensions import db, login_manager
from cone.htmx import render
from cone.services import users
from cone.services.models import User
from cone.web import same_site


@login_manager.user_loader
def load_user(user_id: str):
    """The session's user, unless deactivated or signed out everywhere since: the cookie's id
    must be the user's current one, session generation included."""
    key = user_id.partition(":")[0]
    user = db.session.get(User, int(key)) if key.isdigit() else None
    if user is None or not user.active or user.get_id() != user_id:
        return None
    return user


def right_required(right: str):
    """403 for signed-in users whose role does not grant right (a name in rights.RIGHTS)."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.can(right):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def _duration(seconds: int) -> str:
    """"45 seconds", "1 minute", "15 minutes": rounded up, for messages."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with e-mail and password; repeated failures are slowed down."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.email.data, form.password.data,
                                      request.remote_addr or "unknown")
        except users.Throttled as e:
            form.password.errors.append("Too many failed sign-in attempts. Try again in "
                                        f"{_duration(e.retry_after)}.")
            return render("auth/login.html", form=form, status=429,
                          headers={"Retry-After": str(e.retry_after)})
        except users.InvalidCredentials:
            form.password.errors.append("Wrong e-mail or password.")
        else:
            login_user(user)
            return redirect(same_site(request.args.get("next")) or url_for("clients.index"), 303)
    status = 422 if form.errors else 200
    return render("auth/login.html", form=form, status=status)


@bp.post("/logout")
def logout():
    """Sign out and go back to the sign-in page."""
    logout_user()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"), 303)
