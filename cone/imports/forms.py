"""Forms of the import page: filter the preview, decide per row (and the kind of a new client),
preview again."""
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from cone.forms import FlaskForm

SHOW = [("", "All rows"), ("new", "New"), ("linked", "Already linked"),
        ("match", "Matches a client"), ("duplicate", "Twice on the platform"),
        ("subcustomer", "Sub-customers"), ("skipped", "Skipped")]
KIND_WORDS = {"business": "Business", "individual": "Individual"}
DECISION_WORDS = {"create": "Create a new client", "update": "Update the linked client",
                  "link": "Link to the match", "skip": "Skip"}


class PreviewFilterForm(FlaskForm):
    """Which preview rows to show (GET: changes nothing, so no CSRF)."""

    show = SelectField("Show", choices=[SelectChoice(v, label) for v, label in SHOW], default="",
                       validate_choice=False)
    page = IntegerField("Page", [Optional(), NumberRange(min=1)], default=1)

    class Meta:
        csrf = False

    def chosen(self) -> str:
        """The classification to filter by, "" for all; unknown values show everything."""
        return self.show.data if self.show.data in dict(SHOW) else ""


class RepreviewForm(FlaskForm):
    """Classify the same records again, with or without the inactive ones."""
    include_inactive = BooleanField("Include archived contacts and contacts not marked as "
                                    "customers")


def read_decisions(formdata, plan: list[dict], choices: dict[str, tuple[str, ...]]
                   ) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """The decisions posted as decision-<index> and the kinds as kind-<index>, checked against
    each row's classification.

    Returns (decisions, kinds, errors) keyed by row index; rows not in the form are left alone,
    so a page of a long preview can be saved on its own.
    """
    by_index = {row["index"]: row for row in plan}
    decisions, kinds, errors = {}, {}, {}
    for key, value in formdata.items():
        name, _, index = key.partition("-")
        if name not in ("decision", "kind") or not index.isdigit() \
                or int(index) not in by_index:
            continue
        if name == "kind":
            if value in KIND_WORDS and "create" in choices.get(
                    by_index[int(index)]["classification"], ()):
                kinds[int(index)] = value
            else:
                errors[int(index)] = "Choose business or individual."
            continue
        allowed = allowed_decisions(by_index[int(index)], choices)
        if value in allowed:
            decisions[int(index)] = value
        else:
            errors[int(index)] = "Choose one of: " + ", ".join(
                DECISION_WORDS[d].lower() for d in allowed) + "."
    return decisions, kinds, errors


def allowed_decisions(row: dict, choices: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The decisions offered for a plan row: linking needs a matching client."""
    allowed = choices.get(row["classification"], ("skip",))
    return tuple(d for d in allowed if d != "link" or row.get("client_id"))
