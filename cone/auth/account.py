"""Views: joining through an invite link, and changing one's own password."""
from flask import flash, redirect, request, url_for
from flask_login import login_user

from cone.auth import bp
from cone.auth.forms import JoinForm, PasswordForm
from cone.htmx import render
from cone.services import access
from cone.web import acting_user


@bp.route("/invite/<token>", methods=["GET", "POST"])
def join(token: str):
    """Set a name and password from an invite link, then land signed in. A link that cannot
    be used says why: 410 when opened, 409 when posted (htmx swaps 409, so a boosted form
    shows the reason too)."""
    refused = 409 if request.method == "POST" else 410
    try:
        invite = access.find_invite(token)
    except access.InvalidInvite as e:
        return render("auth/join.html", form=None, problem=str(e), status=refused)
    form = JoinForm()
    if form.validate_on_submit():
        try:
            user = access.accept_invite(token, name=form.name.data, password=form.password.data)
        except access.InvalidInvite as e:
            return render("auth/join.html", form=None, problem=str(e), status=refused)
        except access.UserError as e:
            form.name.errors.append(str(e))
        else:
            login_user(user)
            flash(f"Welcome to Cone, {user.name}.", "success")
            return redirect(url_for("clients.index"), 303)
    return render("auth/join.html", form=form, invite=invite, problem=None,
                  role=access.role_label(invite.role), status=422 if form.errors else 200)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Change one's own password: every other session of this user ends, this one stays."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = acting_user()
        try:
            access.change_password(user, form.current.data, form.password.data)
        except access.UserError as e:
            form.current.errors.append(str(e))
        else:
            # the new generation goes into this session's cookie, so only the others end
            login_user(user)
            flash("Your password is changed. Other sessions are signed out.", "success")
            return redirect(url_for("auth.change_password"), 303)
    return render("auth/password.html", form=form, status=422 if form.errors else 200)
