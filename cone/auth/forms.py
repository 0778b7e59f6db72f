"""Forms for signing in, the users pages, invites and one's own password."""
from wtforms import (BooleanField, EmailField, PasswordField, SelectChoice, SelectField,
                     SelectMultipleField, StringField)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from cone.filters import fsi
from cone.forms import FlaskForm
from cone.services import rights

PASSWORD_LENGTH = Length(min=8, max=500, message="The password must have 8 to 500 characters.")


def role_key(value):
    """Scripts and old links may still say "staff": it is the standard role."""
    return rights.builtin_key(value) if isinstance(value, str) else value


def role_options(choices) -> list[SelectChoice]:
    """An option per role; a custom role's name is isolated, as any typed name in an
    <option>."""
    return [SelectChoice(c.key, c.label if c.key in rights.BUILTIN_ROLES else fsi(c.label))
            for c in choices]


# Until set_roles() narrows them to what the acting user may give
BUILTIN_OPTIONS = [SelectChoice(key, label) for key, (label, _) in rights.BUILTIN_ROLES.items()]


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


class InviteForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=BUILTIN_OPTIONS, default="standard", filters=[role_key])

    def set_roles(self, choices) -> "InviteForm":
        self.role.choices = role_options(choices)
        return self


class UserEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=BUILTIN_OPTIONS, default="standard", filters=[role_key])
    active = BooleanField("Active", description="Deactivating signs them out at once.")
    password = PasswordField("New password", description="Leave empty to keep the current one. "
                             "Setting one signs them out everywhere.",
                             validators=[Optional(), PASSWORD_LENGTH])

    def set_roles(self, choices, current: tuple[str, str]) -> "UserEditForm":
        """The roles acting may give, plus the user's own (an owner seen by an admin)."""
        self.role.choices = role_options(choices)
        if current[0] not in {c.value for c in self.role.choices}:
            self.role.choices.insert(0, SelectChoice(current[0], fsi(current[1])))
        return self


class RoleForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=60)])
    rights = SelectMultipleField(
        "Rights", choices=[SelectChoice(r, rights.RIGHTS[r]) for r in rights.GRANTABLE],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class JoinForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(), PASSWORD_LENGTH])
    confirm = PasswordField("Password again", validators=[
        DataRequired(), EqualTo("password", message="The two passwords differ.")])


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=500)])
    password = PasswordField("New password", validators=[DataRequired(), PASSWORD_LENGTH])
    confirm = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("password", message="The two passwords differ.")])
