"""An import through the admin (django-import-export's two steps: upload and preview, then
confirm) as a clerk's browser makes it, and the gunicorn worker that is serving a request
right now, found from its accepted connection on the server's port."""

import http.client
import os
import uuid
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path


class _Forms(HTMLParser):
    """The inputs and selects of every form on a page, by the form's action."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}
        self._form: str | None = None
        self._select: str | None = None
        self._option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = a.get("action") or ""
            self.forms.setdefault(self._form, {})
        elif tag == "input" and self._form is not None and a.get("name"):
            self.forms[self._form][a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select:
            self._option = a.get("value") or ""

    def handle_data(self, data):
        if self._select and self._option is not None and data.strip():
            self.options[self._select].append((self._option, data.strip()))
            self._option = None

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_of(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


class AdminClient:
    """Requests with the session cookie of a staff member, keeping the CSRF cookie."""

    def __init__(self, port: int, session_cookie: str, *, timeout: float = 600):
        self.port, self.timeout = port, timeout
        self.cookies = dict([session_cookie.split("=", 1)])

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            if content_type:
                headers["Content-Type"] = content_type
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, text
        finally:
            connection.close()

    def csrf_token(self) -> str:
        return next((v for k, v in self.cookies.items() if k.endswith("csrftoken")), "")

    def post_form(
        self, path: str, fields: dict[str, str], files: dict[str, Path] | None = None
    ) -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, path_ in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{path_.name}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                + path_.read_bytes()
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")


def serving_worker(worker_pids: list[int], port: int) -> int | None:
    """The worker holding an accepted (established) connection on ``port``: with sync
    workers, the one serving a request. Linux only (/proc)."""
    accepted = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                accepted.add(fields[9])
    for pid in worker_pids:
        try:
            descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                target = os.readlink(descriptor)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in accepted:
                return pid
    return None
