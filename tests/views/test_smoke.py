"""The app starts, answers its health check and shows the first pages."""


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.text == "ok"


def test_login_page_renders(client):
    r = client.get("/login")
    assert r.status_code == 200 and "Sign in" in r.text


def test_clients_needs_login(client):
    r = client.get("/clients")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_admin_sees_clients(admin_client):
    r = admin_client.get("/clients")
    assert r.status_code == 200 and "Clients" in r.text and "Users" in r.text
