"""The printed URL's token is exchanged for a cookie at its first load: the requests, as HTTP sees them."""

from __future__ import annotations

import http.client
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="the web extra is not installed: pip install -e '.[dev]'")
from tests.web.test_reach import HttpsProxy, certificate, page_requests  # noqa: F401 (certificate: a fixture)
from tests.web.test_serve import (  # noqa: F401 (browser, project, served: fixtures)
    SCREEN_TEXT,
    Served,
    browser,
    project,
    served,
    wait_until,
    ws_handshake_status,
)


def get(served: Served, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One GET of `path` on the server, no redirect followed: status, headers, body."""
    host, port = served.root.split("://", 1)[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def printed_path(served: Served) -> str:
    return served.url.split(served.root, 1)[1]


def test_the_printed_url_redirects_to_the_clean_page_and_sets_a_strict_httponly_cookie(served: Served) -> None:
    """The token stayed in the address bar and the history (`/?token=...`), and the page's own
    assets and websocket carried it in their paths."""
    status, headers, _ = get(served, printed_path(served))
    assert status == 303 and headers["Location"] == "./", headers
    cookie = SimpleCookie(headers["Set-Cookie"])
    [(name, morsel)] = cookie.items()
    assert morsel.value == served.token and served.page in name
    attributes = headers["Set-Cookie"].lower()
    assert "httponly" in attributes and "samesite=strict" in attributes
    # no Path: the browser scopes it to the page's folder as it sees it (a proxy's prefix included)
    assert "path=" not in attributes and "secure" not in attributes and "expires" not in attributes

    sent = {"Cookie": f"{name}={morsel.value}"}
    status, _, page = get(served, f"/{served.page}/", sent)
    assert status == 200 and served.token not in page
    assert 'data-session-websocket-url="ws"' in page and 'href="static/css/xterm.css"' in page
    assert get(served, f"/{served.page}/static/js/textual.js", sent)[0] == 200
    ws_url = served.base.replace("http://", "ws://") + "/ws?width=80&height=24"
    assert ws_handshake_status(ws_url, cookie=sent["Cookie"]) == 101
    # a bookmark of the printed URL, loaded again with the cookie: exchanged again
    assert get(served, printed_path(served), sent)[0] == 303


def test_the_exchange_keeps_the_other_query_parameters(served: Served) -> None:
    status, headers, _ = get(served, f"/{served.page}/?fontsize=20&token={served.token}&delay=1")
    assert status == 303 and headers["Location"] == "./?fontsize=20&delay=1"


def test_a_cookie_of_an_earlier_start_or_a_wrong_token_is_refused(served: Served) -> None:
    name = f"pyruns_{served.page}"
    wrong = served.token[:-1] + ("A" if served.token[-1] != "A" else "B")
    for cookie in (f"{name}={wrong}", f"{name}=", f"pyruns_0123456789abcdef={served.token}", f"token={served.token}"):
        for path in ("/", "/static/js/textual.js", "/ws"):
            status, _, text = get(served, f"/{served.page}{path}", {"Cookie": cookie})
            assert status == 403 and text.count("\n") == 1 and "token" in text, (cookie, path)
    # a wrong token in the URL is refused even beside a good cookie (a stale bookmark says so)
    status, _, _ = get(served, f"/{served.page}/?token={wrong}", {"Cookie": f"{name}={served.token}"})
    assert status == 403
    ws_url = served.base.replace("http://", "ws://") + "/ws"
    assert ws_handshake_status(ws_url, cookie=f"{name}={served.token}", origin="http://evil.example") == 403
    assert ws_handshake_status(ws_url, cookie=f"{name}={served.token}", origin="http://127.0.0.1:9") == 403


def test_over_https_the_cookie_is_secure(served: Served) -> None:
    # the proxy that ends TLS says so in X-Forwarded-Proto; a cookie a browser keeps for https only
    _, headers, _ = get(served, printed_path(served), {"X-Forwarded-Proto": "https"})
    assert "secure" in headers["Set-Cookie"].lower()


def test_the_page_url_without_its_slash_redirects_to_it_keeping_the_query(served: Served) -> None:
    """`https://box/proxy/8765/<page>?token=...` (the slash forgotten): the page's relative URLs
    resolved one folder up, every asset and the websocket were a 404."""
    status, headers, _ = get(served, f"/{served.page}?token={served.token}&fontsize=20")
    assert status == 302 and headers["Location"] == f"{served.page}/?token={served.token}&fontsize=20"
    assert get(served, f"/{served.page}")[0] == 403  # nothing, not even a redirect, without the token


def test_the_servers_root_names_the_pages_place(served: Served) -> None:
    assert get(served, "/")[0] == 403
    status, _, text = get(served, f"/?token={served.token}")
    assert status == 404 and text.count("\n") == 1 and f"{served.page}/" in text and "printed" in text


def history_urls(driver: object) -> list[str]:
    entries = driver.execute_cdp_cmd("Page.getNavigationHistory", {})["entries"]  # type: ignore[attr-defined]
    return [str(entry["url"]) for entry in entries]


@pytest.mark.browser
def test_in_a_browser_the_token_leaves_the_address_bar_the_history_and_the_pages_urls(served: Served,
                                                                                   browser: object) -> None:
    driver = browser

    def drawn(what: str) -> None:
        wait_until(lambda: "Generator" in str(driver.execute_script(SCREEN_TEXT)), 60, what)  # type: ignore[attr-defined]

    driver.get(served.url)  # type: ignore[attr-defined]
    drawn("the Generator form")
    assert driver.current_url == f"{served.base}/"  # type: ignore[attr-defined]
    assert not [url for url in history_urls(driver) if served.token in url]
    requests = page_requests(driver)
    assert requests[0]["url"] == served.url  # the printed URL itself, then never the token again
    assert not [r["url"] for r in requests[1:] if served.token in str(r["url"])], requests
    [cookie] = driver.get_cookies()  # type: ignore[attr-defined]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    assert cookie["path"] == f"/{served.page}" and "expiry" not in cookie  # the page's folder; ends with the browser
    assert driver.execute_script("return document.cookie") == ""  # type: ignore[attr-defined]

    driver.refresh()  # type: ignore[attr-defined]
    drawn("the Generator form after a reload, the cookie standing for the token")
    driver.get(served.url)  # type: ignore[attr-defined]  # a bookmark of the printed URL
    drawn("the Generator form from the printed URL again")
    assert driver.current_url == f"{served.base}/"  # type: ignore[attr-defined]


@pytest.mark.browser
def test_behind_an_https_proxy_the_cookie_is_secure_and_scoped_to_the_proxys_path(
        served: Served, browser: object, certificate: tuple[Path, Path]) -> None:
    """Also the page URL typed without its slash (`.../proxy/8765/<page>?token=...`): its assets
    and websocket resolved one folder up, and the page never came up."""
    driver = browser
    with HttpsProxy(served.root, *certificate) as proxy:
        driver.get(f"{proxy.url}{served.page}?token={served.token}&fontsize=15")  # type: ignore[attr-defined]
        wait_until(lambda: "Generator" in str(driver.execute_script(SCREEN_TEXT)), 60,  # type: ignore[attr-defined]
                   "the Generator form through the HTTPS proxy")
        assert driver.current_url == f"{proxy.url}{served.page}/?fontsize=15"  # type: ignore[attr-defined]
        [cookie] = driver.get_cookies()  # type: ignore[attr-defined]
        assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert cookie["path"] == f"{proxy.prefix}{served.page}"
