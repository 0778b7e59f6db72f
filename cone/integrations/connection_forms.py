"""Forms for accounting-platform connections."""
from wtforms import RadioField
from wtforms.validators import InputRequired

from cone.forms import FlaskForm


class TenantForm(FlaskForm):
    """Which of the organisations a platform offered to connect."""
    tenant_id = RadioField("Organisation", [InputRequired("Choose an organisation.")],
                           choices=[])
