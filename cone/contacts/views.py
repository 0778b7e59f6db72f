"""Views for contacts: list with live search, detail, create, edit, and the picker's options."""
from flask import abort, flash, redirect, request, url_for

from cone.contacts import bp
from cone.contacts.forms import ContactForm, EditContactForm
from cone.htmx import render
from cone.services import contacts
from cone.web import acting_user, same_site


def _contact_or_404(contact_id: int):
    """The contact, or a 404."""
    return contacts.get_contact(contact_id) or abort(404)


@bp.get("")
def index():
    """The contact list: a GET search form, live search into #contact-results, a pager."""
    q = request.args.get("q", "").strip()[:200]
    page = max(request.args.get("page", 1, type=int), 1)
    results = contacts.list_contacts(q, page=page, per_page=25)
    return render("contacts/index.html", fragments={"contact-results": "results"},
                  q=q, results=results)


@bp.get("/options")
def options():
    """Picker options: <li role=option> items for #contact-options, else a page of links."""
    q = request.args.get("q", request.args.get("contact_q", "")).strip()[:200]
    exclude = [int(i) for i in request.args.get("exclude", "").split(",") if i.strip().isdigit()]
    found = contacts.search_contacts(q, limit=20, exclude_ids=exclude)
    return render("contacts/options.html", fragments={"contact-options": "options"},
                  q=q, found=found, label=contacts.label)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create a standalone contact, then go to ?next= (same-site paths only) or the contact."""
    form = ContactForm()
    next_url = same_site(request.args.get("next"))
    if form.validate_on_submit():
        try:
            contact = contacts.create_contact(form.values(), user=acting_user())
        except contacts.ContactInvalid as e:
            form.add_errors(e.errors)
        else:
            flash(f"Added {contact.name}.", "success")
            # 303 so the browser follows with GET
            return redirect(next_url or url_for("contacts.show", contact_id=contact.id), 303)
    # reaching here after a POST means it was refused
    return render("contacts/new.html", form=form, next_url=next_url,
                  status=422 if request.method == "POST" else 200)


@bp.get("/<int:contact_id>")
def show(contact_id: int):
    """A contact with every client it is linked to and its recent activity."""
    contact = _contact_or_404(contact_id)
    return render("contacts/show.html", contact=contact, links=contacts.linked_clients(contact),
                  events=contacts.contact_events(contact))


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
def edit(contact_id: int):
    """Edit a contact for all its clients; a save over someone else's is refused with 409."""
    contact = _contact_or_404(contact_id)
    # a POST is judged on exactly what was sent: a missing version counts as stale
    form = EditContactForm(data=ContactForm.initial(contact) if request.method == "GET" else None)
    stale = None
    if form.validate_on_submit():
        try:
            contacts.update_contact(contact, form.values(), user=acting_user(),
                                    expected_version=form.expected_version())
        except contacts.ContactInvalid as e:
            form.add_errors(e.errors)
        except contacts.StaleContact as e:
            # the next save is a deliberate overwrite of what the user has now seen
            stale, form.version.data = e, str(e.contact.version)
        else:
            flash(f"Saved {contact.name}.", "success")
            return redirect(url_for("contacts.show", contact_id=contact.id), 303)
    status = 409 if stale else 422 if request.method == "POST" else 200
    return render("contacts/edit.html", form=form, contact=contact, stale=stale, status=status)
