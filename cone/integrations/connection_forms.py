"""Forms for accounting-platform connections."""
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired


class TenantForm(FlaskForm):
    """Which of the organisations a platform offered to connect."""
    tenant_id = RadioField("Organisation", [InputRequired("Choose an organisation.")],
                           choices=[])
