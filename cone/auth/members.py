"""Views: the users page (list, invite), one user's access (role, active, password, removal)."""
from flask import abort, current_app, flash, redirect, request, session, url_for

from cone.auth import bp
from cone.auth.forms import InviteForm, UserEditForm
from cone.auth.views import right_required
from cone.extensions import db
from cone.htmx import render
from cone.services import access
from cone.services.models import Invite, User
from cone.web import acting_user

SHOWN_LINK = "invite_link"  # session key: the link just made, shown once on its page


def _status(error: Exception) -> int:
    return 403 if isinstance(error, access.Forbidden) else 422


def _users_page(form: InviteForm, status: int = 200):
    return render("auth/users.html", form=form, members=access.directory(),
                  invites=access.open_invites(), invite_state=access.invite_state,
                  changes=access.recent_changes(),
                  role_label=access.role_label, status=status)


@bp.get("/users")
@right_required("manage_users")
def users_index():
    """Everyone with an account, open invites, and the invite form."""
    return _users_page(InviteForm().set_roles(access.choices(acting_user())))


@bp.post("/users")
@right_required("manage_users")
def invite():
    """Invite someone: a one-time link, shown once on the next page (and e-mailed when SMTP
    is configured)."""
    form, status = InviteForm().set_roles(access.choices(acting_user())), 422
    if form.validate_on_submit():
        try:
            sent = access.invite(
                form.email.data, form.role.data, acting=acting_user(),
                link_for=lambda token: url_for("auth.join", token=token, _external=True),
                mail_settings=access.settings_from(current_app.config))
        except access.Forbidden as e:
            form.role.errors.append(str(e))
            status = 403
        except access.UserError as e:
            form.email.errors.append(str(e))
        else:
            session[SHOWN_LINK] = {"id": sent.invite.id, "link": sent.link}
            if sent.emailed:
                flash(f"The link was e-mailed to {sent.invite.email}.", "success")
            elif sent.mail_error:
                flash(f"{sent.mail_error} Send the link yourself.", "error")
            return redirect(url_for("auth.invite_sent", invite_id=sent.invite.id), 303)
    return _users_page(form, status)


@bp.get("/users/invites/<int:invite_id>")
@right_required("manage_users")
def invite_sent(invite_id: int):
    """The link of an invite just made, shown once: only its hash is stored."""
    row = db.get_or_404(Invite, invite_id)
    shown = session.pop(SHOWN_LINK, None)
    link = shown["link"] if shown and shown.get("id") == invite_id else None
    return render("auth/invite_sent.html", invite=row, link=link,
                  state=access.invite_state(row), role_label=access.role_label)


@bp.post("/users/invites/<int:invite_id>/withdraw")
@right_required("manage_users")
def withdraw_invite(invite_id: int):
    """Withdraw an open invite: its link stops working."""
    try:
        row = access.withdraw_invite(invite_id, acting=acting_user())
    except access.Forbidden as e:
        flash(str(e), "error")
        return redirect(url_for("auth.users_index"), 303)
    if row is None:
        abort(404)
    flash(f"Invite to {row.email} withdrawn.", "success")
    return redirect(url_for("auth.users_index"), 303)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@right_required("manage_users")
def edit_user(user_id: int):
    """Change a user's name, role, active flag or password."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user).set_roles(access.choices(acting_user()),
                                            (user.role, access.role_label(user.role)))
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            access.update_user(user, name=form.name.data, role=form.role.data,
                               active=form.active.data, acting=acting_user())
            if form.password.data:
                access.set_password(user, form.password.data, acting=acting_user())
        except access.UserError as e:
            form.role.errors.append(str(e))
            status = _status(e)
        else:
            flash(f"Saved {user.email}.", "success")
            return redirect(url_for("auth.users_index"), 303)
    return render("auth/user_edit.html", form=form, user=user, status=status)


@bp.post("/users/<int:user_id>/delete")
@right_required("manage_users")
def delete_user(user_id: int):
    """Remove a user who has no history; others are deactivated instead."""
    user = db.get_or_404(User, user_id)
    email = user.email
    try:
        access.delete_user(user, acting=acting_user())
    except access.UserError as e:
        flash(str(e), "error")
        return redirect(url_for("auth.edit_user", user_id=user_id), 303)
    flash(f"Removed {email}.", "success")
    return redirect(url_for("auth.users_index"), 303)
