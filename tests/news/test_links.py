import pytest

from news.links import http_url


@pytest.mark.parametrize(
    "url",
    ["https://example.com/a?b=1", " http://EXAMPLE.com:8080/x ", "https://[2001:db8::1]/feed"],
)
def test_accepted(url: str) -> None:
    assert http_url(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        42,
        "javascript:alert(1)",
        "ftp://example.com/",
        "//example.com/x",
        "https:///nohost",
        "https://example.com/a|b",
        "https://example.com/<script>",
        "https://exa mple.com/",
        "https://[::1/",
        "file:///etc/passwd",
        "data:text/html,hi",
        'https://example.com/"x',
        "https://example.com/" + "a" * 2000,
    ],
)
def test_refused(url: object) -> None:
    assert http_url(url) is None
