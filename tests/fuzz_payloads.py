"""Malformed values for the fuzz test: path parts, query strings, headers, bodies."""

from __future__ import annotations

import json
import random

CSRF = b"@CSRF@"  # replaced by the sender's real token when it is sent

# Path segments, already as they appear in the request target.
PATH_JUNK = [
    b"%00", b"a%00b", b"%ff", b"%ff%fe", b"%c0%ae%c0%ae", b"%c0%80", b"%ed%a0%80", b"%e2%28%a1",
    b"%f4%90%80%80", b"%e9t%e9", b"caf%c3%a9", b"%EF%BB%BF", b"%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"..", b"%25", b"%", b"%zz", b"-1", b"0", b"99999999999999999999", b"2147483648", b"abc",
    b"1.5", b"%01%02%1b", b"%7f", b"%0d%0aX-Injected:%201", b"x" * 3000, b"%20", b"%u0041",
    b"'%20OR%201=1--", b"%3Cscript%3Ealert(1)%3C%2Fscript%3E", b"%d9%a1", b"1e9", b"%c0%af",
]  # fmt: skip

VALUE_JUNK = [
    *PATH_JUNK, b"", b"NaN", b"inf", b"1e308", b"[]", b"{}", b"-0", b"+1", b"0x10", b"%2B1",
    b"-99999999999999999999", b"1%00", b"//evil.example", b"javascript:alert(1)", b"%0d%0a",
    b"\\\\evil.example", b"a" * 5000,
]  # fmt: skip

PARAMS = [
    b"page", b"author_id", b"id", b"next", b"url", b"offset", b"limit", b"query", b"q",
    b"sort", b"desc", b"search", b"page_size", b"flt0_0", b"ip", b"user_id", b"name", b"rowid",
]  # fmt: skip

QUERY_SHAPES = [
    b"page", b"=", b"&&&", b"%00=%00", b"a[b]=c", b"page=1&page=abc", b";", b"%ff=%fe",
    b"a=1&" * 1500, b"page=%", b"page=%%", b"?page=2", b"page=1#frag", b"page=-1&author_id=abc",
]  # fmt: skip

METHODS = ["PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "TRACE", "MKCOL", "FOO", "HEAD"]
RAW_METHODS = ["get", "G\x00ET", "GET\x7f", "P@ST"]  # refused by the HTTP parser itself


def query(rng: random.Random) -> bytes:
    """Return a malformed query string (without the "?")."""
    if rng.random() < 0.3:
        return rng.choice(QUERY_SHAPES)
    names = rng.sample(PARAMS, rng.randint(1, 2))
    return b"&".join(name + b"=" + rng.choice(VALUE_JUNK) for name in names)


def header_cases(port: int) -> list[tuple[str, list[tuple[bytes, bytes]], bool]]:
    """Return (class, headers, keep the normal Host) for every odd header."""
    host = b"127.0.0.1:%d" % port
    cases: list[tuple[str, list[tuple[bytes, bytes]], bool]] = [
        ("header:huge", [(b"X-Huge", b"a" * 9000)], True),
        ("header:huge", [(b"X-Huge", b"a" * 200_000)], True),
        ("header:huge", [(b"X-H%d" % n, b"v") for n in range(150)], True),
        ("header:huge", [(b"Cookie", b"c=" + b"a" * 8000)], True),
    ]
    hosts = [b"evil.example", b"", b"127.0.0.1:1:2", b"[::1", b"a" * 500, b"127.0.0.1\x00",
             b"\xff\xfe", b"127.0.0.1:99999", b"localhost:abc", b"user@127.0.0.1"]  # fmt: skip
    cases += [("header:host", [(b"Host", value)], False) for value in hosts]
    cases.append(("header:host", [(b"Host", host), (b"Host", b"evil.example")], False))
    cases.append(("header:host", [], False))  # none at all
    for values in [[b"abc"], [b"-1"], [b"1e3"], [b"99999999999999999999"], [b" 5"], [b"+5"],
                   [b"0x10"], [b"5", b"6"], [b"5", b"5"], [b"5, 5"], [b""]]:  # fmt: skip
        cases.append(("header:content-length", [(b"Content-Length", v) for v in values], True))
    junk = {
        "header:cookie": [b"session=garbage", b"session=" + b"A" * 3900, b";;;=;=",
                          b"session=.eJwLycgsVgCiRIWS1OISAB1VBHQ.bad.sig", b"session=\x01\x02",
                          b'session="unterminated', b"remember_token=1|abc", b"session=%00",
                          b"session=\xff\xfe"],
        "header:accept": [b"application/json;q=abc", b"*/*;q=-1", b";;;;", b"\x7f",
                          b"text/html;q=2, application/json;q=NaN", b"application/json",
                          b"a" * 4000, b"*/*;q=0"],
        "header:if-none-match": [b'"unterminated', b"W/", b"*", b", , ,", b'"a", W/"b", junk',
                                 b"\xff\xfe", b'"' + b"a" * 5000 + b'"'],
        "header:x-request-id": [b"../../etc", b"\x7f\x01", b"a" * 1000, b"<script>x</script>",
                                b"%00", b"\xff\xfe", b"", b"   ", b"a\tb"],
        "header:x-forwarded-for": [b"not-an-ip", b"1.1.1.1, " * 200, b"999.999.999.999",
                                   b"::ffff:", b"", b"\xff", b"127.0.0.1\x01", b"unknown"],
        "header:other": [],
    }  # fmt: skip
    for kind, values in junk.items():
        name = kind.split(":", 1)[1].encode()
        cases += [(kind, [(name, value)], True) for value in values]
    other = [
        (b"X-Forwarded-Proto", b"https, http"), (b"X-Forwarded-Proto", b"gopher"),
        (b"X-Forwarded-Host", b"evil.example"), (b"Forwarded", b"for=;;;by=\xff"),
        (b"If-Modified-Since", b"yesterday"), (b"If-Modified-Since", b"Mon, 99 Foo 99999"),
        (b"Range", b"bytes=junk"), (b"Range", b"bytes=9-1,-0"), (b"Accept-Encoding", b"\xff;q=x"),
        (b"Accept-Language", b"??;q=abc,*"), (b"Authorization", b"Basic %%%"),
        (b"Authorization", b"Bearer " + b"a" * 3000), (b"Origin", b"null"),
        (b"Referer", b"javascript:alert(1)"), (b"Content-Type", b"multipart/form-data"),
        (b"Transfer-Encoding", b"gzip, chunked"), (b"Transfer-Encoding", b"identity"),
        (b"Expect", b"100-continue"), (b"Expect", b"junk"), (b"X-CSRFToken", b"\x00junk"),
        (b"If-Match", b"\x00"), (b"Connection", b"Upgrade, HTTP2-Settings"),
        (b"Upgrade", b"h2c"), (b"X-HTTP-Method-Override", b"DELETE"),
    ]  # fmt: skip
    cases += [("header:other", [pair], True) for pair in other]
    return cases


def json_bodies(fields: list[str], rng: random.Random) -> list[tuple[bytes, bytes]]:
    """Return (content type, body) pairs: JSON that is broken or of the wrong shape."""
    name = rng.choice(fields)
    wrong = [123, ["a"], {"x": 1}, None, True, "\u0000", 1e308, -1, "x" * 300_000]
    bodies = [b"{", b"[1,2]", b"null", b"123", b'"str"', b"true", b"", b"\xff\xfe{}",
              b'{"a": NaN}', b'{"a": 1e999}', b'{"a":' + b"9" * 5000 + b"}", b"[" * 100_000,
              b'{"a": "\\ud800"}', b"\xef\xbb\xbf{}", b'{"a": 1}{"b": 2}']  # fmt: skip
    bodies += [json.dumps({name: value, "csrf_token": "@CSRF@"}).encode() for value in wrong]
    bodies.append(json.dumps({field: rng.choice(wrong) for field in fields}).encode())
    types = [b"application/json", b"application/json; charset=utf-16", b"application/x+json"]
    return [(rng.choice(types), body) for body in bodies]


def form_bodies(fields: list[str], rng: random.Random) -> list[tuple[bytes, bytes]]:
    """Return (content type, body) pairs: urlencoded forms with broken escapes and sizes."""
    name = rng.choice(fields).encode()
    values = [b"%zz", b"%ff%fe", b"%00", b"%c0%80", b"a%", b"%e9", b"\xff\xfe", b"a\x00b"]
    bodies = [b"csrf_token=" + CSRF + b"&" + name + b"=" + v for v in values]
    bodies += [
        b"csrf_token=" + CSRF + b"&" + name + b"=a&" + name + b"=b&" + name + b"[]=c",
        b"csrf_token=%00&" + name + b"=x", b"=&=&&", b"csrf_token=" + CSRF + b"&" + b"a=1&" * 600,
        b"csrf_token=" + CSRF + b"&" + name + b"=" + b"a" * 300_000,
        b"&".join(f.encode() + b"=" + rng.choice(VALUE_JUNK) for f in [*fields, "csrf_token"]),
    ]  # fmt: skip
    urlencoded = b"application/x-www-form-urlencoded"
    types = [
        urlencoded,
        urlencoded + b"; charset=utf-7",
        b"text/plain",
        b"application/octet-stream",
    ]
    return [(types[0] if rng.random() < 0.75 else rng.choice(types), body) for body in bodies]


def multipart_bodies(fields: list[str], rng: random.Random) -> list[tuple[bytes, bytes]]:
    """Return (content type, body) pairs: multipart with bad boundaries, parts and ends."""
    name = rng.choice(fields).encode()
    token = b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + CSRF + b"\r\n"
    part = b'--B\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\nvalue\r\n'
    good_type = b"multipart/form-data; boundary=B"
    return [
        (b"multipart/form-data; boundary=X", token + part + b"--B--\r\n"),
        (b"multipart/form-data", token + part + b"--B--\r\n"),
        (good_type, token + part),  # truncated: no closing boundary
        (good_type, token + b'--B\r\nContent-Disposition: form-da'),
        (good_type, token + b"--B\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--B--\r\n"),
        (good_type, token + b"--B\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--B--\r\n"),
        (good_type, token + b'--B\r\nContent-Disposition: form-data; name="cover"; '
         b'filename="../../\x00x.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG junk\r\n--B--\r\n'),
        (b"multipart/form-data; boundary=" + b"B" * 200, token + b"--B--\r\n"),
        (good_type, b""), (good_type, b"preamble only, no parts at all"),
        (good_type, token + b"--B\r\nX-Huge: " + b"a" * 20_000 + b"\r\n\r\nx\r\n--B--\r\n"),
        (good_type, token + part.replace(b"value", b"\xff\xfe\x00") + b"--B--\r\n"),
        (b'multipart/form-data; boundary="B', token + part + b"--B--\r\n"),
        (good_type, token + part * 600 + b"--B--\r\n"),
    ]  # fmt: skip


def chunked_bodies(fields: list[str], rng: random.Random, token: bytes) -> list[bytes]:
    """Return raw chunked bodies: bad sizes, truncation, extensions, and one over 1 MiB."""
    form = b"csrf_token=" + token + b"&" + rng.choice(fields).encode() + b"="
    chunk = b"%x\r\n%s\r\n" % (len(form) + 1, form + b"x")
    head = b"%x\r\n%s\r\n" % (len(form), form)
    big = b"".join(b"10000\r\n" + b"a" * 0x10000 + b"\r\n" for _ in range(24))  # 1.5 MiB
    return [
        chunk + b"0\r\n\r\n", b"zz\r\nabc\r\n0\r\n\r\n", chunk + b"ff\r\nshort",
        b"-1\r\nx\r\n0\r\n\r\n", b"ffffffffffffffffff\r\nx\r\n0\r\n\r\n", chunk,
        b"3;ext=\x00\r\nabc\r\n0\r\n\r\n", b"3\r\nabcdef\r\n0\r\n\r\n", head + big + b"0\r\n\r\n",
    ]  # fmt: skip


def _raw(start: bytes, *headers: bytes, host: bool = True, end: bytes = b"\r\n") -> bytes:
    """Return a whole request: its first line, the Host header, other headers, blank line."""
    lines = [start, *([b"Host: {host}"] if host else []), *headers]
    return b"".join(line + b"\r\n" for line in lines) + end


CHUNKED = b"Transfer-Encoding: chunked"
# Whole requests that break the protocol; "{host}" becomes the server's host:port.
PROTOCOL = [
    _raw(b"GET / HTTP/1.0", host=False), _raw(b"GET / HTTP/2.0"), _raw(b"GET /", host=False),
    _raw(b"GET http://evil.example/ HTTP/1.1"), _raw(b"OPTIONS * HTTP/1.1"),
    _raw(b"GET blog HTTP/1.1"), _raw(b"GET /" + b"a" * 10_000 + b" HTTP/1.1"),
    _raw(b"GET /blog/\x00/ HTTP/1.1"), _raw(b"GET /tag/a b/ HTTP/1.1"), _raw(b"GET /\t HTTP/1.1"),
    _raw(b"GET / HTTP/1.1", b"X-A: 1", b" folded"), _raw(b"GET / HTTP/1.1", b"no colon here"),
    _raw(b"GET / HTTP/1.1", host=False) .replace(b"\r\n\r\n", b"\r\nHost : {host}\r\n\r\n"),
    b"GET / HTTP/1.1\nHost: {host}\n\n", _raw(b"GET /\xff\xfe HTTP/1.1"),
    _raw(b"POST /auth/login HTTP/1.1", b"Content-Length: 4", CHUNKED, end=b"\r\n0\r\n\r\n"),
    _raw(b"POST /auth/login HTTP/1.1", CHUNKED, CHUNKED, end=b"\r\n0\r\n\r\n"),
    _raw(b"GET / HTTP/1.1", b"\x00: x"), b"\r\n\r\n", _raw(b"GARBAGE", host=False),
    _raw(b"GET /?page=%00 HTTP/1.1"), _raw(b"GET /% HTTP/1.1"),
    _raw(b"GET /blog/%00/ HTTP/0.9", host=False), _raw(b"GET / HTTP/1.1", *[b"X: y"] * 200),
]  # fmt: skip
