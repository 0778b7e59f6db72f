"""Views: sign in, sign out, and the admins' users page."""
from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_user, logout_user

from cone.auth import bp
from cone.auth.forms import LoginForm, UserEditForm, UserForm
from cone.extensions import db, login_manager
from cone.htmx import render
from cone.services import users
from cone.services.models import User
from cone.web import acting_user, same_site


@login_manager.user_loader
def load_user(user_id: str):
    """The session's user, unless deactivated since."""
    user = db.session.get(User, int(user_id))
    return user if user and user.active else None


def admin_required(view):
    """403 for signed-in users who are not admins."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


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


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users_index():
    """List users, and add one (admins only)."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            user, password = users.create_user(form.email.data, role=form.role.data,
                                               name=form.name.data, password=form.password.data)
        except users.UserError as e:
            form.email.errors.append(str(e))
        else:
            shown = "" if form.password.data else f" Their password is {password} (shown once)."
            flash(f"Added {user.email}.{shown}", "success")
            return redirect(url_for("auth.users_index"), 303)
    return render("auth/users.html", form=form, users=users.list_users(),
                  status=422 if form.errors else 200)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    """Change a user's name, role, active flag or password (admins only)."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        try:
            users.update_user(user, name=form.name.data, role=form.role.data,
                              active=form.active.data, acting=acting_user())
            if form.password.data:
                users.set_password(user, form.password.data)
        except users.UserError as e:
            form.role.errors.append(str(e))
        else:
            flash(f"Saved {user.email}.", "success")
            return redirect(url_for("auth.users_index"), 303)
    return render("auth/user_edit.html", form=form, user=user,
                  status=422 if form.errors else 200)
