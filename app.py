"""Entry point: `flask --app app …` and `gunicorn app:app`."""
from cone import create_app

app = create_app()
