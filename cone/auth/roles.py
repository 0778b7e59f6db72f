"""Views: custom roles (a name and rights), made and changed by users who manage users."""
from flask import flash, redirect, url_for

from cone.auth import bp
from cone.auth.forms import RoleForm
from cone.auth.views import right_required
from cone.extensions import db
from cone.htmx import render
from cone.services import access, rights
from cone.services.models import Role
from cone.web import acting_user


def _roles_page(form: RoleForm, status: int = 200):
    return render("auth/roles.html", form=form, roles=access.custom_roles(),
                  builtin=rights.BUILTIN_ROLES, rights=rights.RIGHTS, status=status)


@bp.route("/users/roles", methods=["GET", "POST"])
@right_required("manage_users")
def roles_index():
    """The built-in roles' rights, the custom roles, and a form to make one."""
    form = RoleForm()
    if form.validate_on_submit():
        try:
            role = access.create_role(form.name.data, form.rights.data, acting=acting_user())
        except access.UserError as e:
            form.name.errors.append(str(e))
        else:
            flash(f"Role {role.name} made.", "success")
            return redirect(url_for("auth.roles_index"), 303)
    return _roles_page(form, 422 if form.errors else 200)


@bp.route("/users/roles/<int:role_id>", methods=["GET", "POST"])
@right_required("manage_users")
def edit_role(role_id: int):
    """Rename a custom role or change its rights: its users have them from their next
    request."""
    role = db.get_or_404(Role, role_id)
    form = RoleForm(obj=role)
    if form.validate_on_submit():
        try:
            access.update_role(role, form.name.data, form.rights.data, acting=acting_user())
        except access.UserError as e:
            form.name.errors.append(str(e))
        else:
            flash(f"Role {role.name} saved.", "success")
            return redirect(url_for("auth.roles_index"), 303)
    return render("auth/role_edit.html", form=form, role=role,
                  status=422 if form.errors else 200)


@bp.post("/users/roles/<int:role_id>/delete")
@right_required("manage_users")
def delete_role(role_id: int):
    """Delete a custom role nobody holds; one in use stays, with the reason."""
    role = db.get_or_404(Role, role_id)
    name = role.name
    try:
        access.delete_role(role, acting=acting_user())
    except access.UserError as e:
        flash(str(e), "error")
        return redirect(url_for("auth.edit_role", role_id=role_id), 303)
    flash(f"Role {name} deleted.", "success")
    return redirect(url_for("auth.roles_index"), 303)
