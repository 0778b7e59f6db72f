"""Flask extensions, created unbound and initialised in create_app."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

from cone.services.models import db

csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
htmx = Htmx()

__all__ = ["csrf", "db", "htmx", "login_manager", "migrate"]
