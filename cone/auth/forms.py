"""Forms for signing in and managing users."""
from wtforms import (BooleanField, EmailField, PasswordField, SelectChoice, SelectField,
                     StringField)
from wtforms.validators import DataRequired, Email, Length, Optional

from cone.forms import FlaskForm

ROLE_CHOICES = [SelectChoice("staff", "Staff"), SelectChoice("admin", "Admin")]
PASSWORD_LENGTH = Length(min=8, max=500, message="The password must have 8 to 500 characters.")


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])



class UserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    password = PasswordField("Password", description="Leave empty to generate one.",
                             validators=[Optional(), PASSWORD_LENGTH])


class UserEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active")
    password = PasswordField("New password", description="Leave empty to keep the current one.",
                             validators=[Optional(), PASSWORD_LENGTH])
