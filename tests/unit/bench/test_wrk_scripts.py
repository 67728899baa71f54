"""The wrk scripts of bench/http_load.py against a local HTTP server that records what it gets:
check-ins that never overlap for a member (every one would be a real 201), the member pool and
the token used, and the JSON line wrk prints agreeing with what the server saw."""

import json
import shutil
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))
from wrk_load import Load, run  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed")


class Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, dict, bytes]] = []
    lock = threading.Lock()

    def _answer(self, status: int) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length) if length else b""
        with self.lock:
            self.seen.append((self.command, self.path, dict(self.headers), body))
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        self._answer(201)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(200)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_check_ins_spread_over_members_and_never_overlap(server, tmp_path):
    ids = [11, 12, 13, 14, 15]
    (tmp_path / "ids.txt").write_text("".join(f"{i}\n" for i in ids))
    base = 1_700_000_000
    options = {"ids": str(tmp_path / "ids.txt"), "base": str(base), "token": "abc.def"}
    figures = run(server, "checkin.lua", options, Load(connections=4, threads=2, seconds=1))

    posts = [json.loads(body) for method, _, _, body in Recorder.seen if method == "POST"]
    assert figures.requests > 10 and figures.statuses == {201: figures.requests}
    assert len(posts) >= figures.requests
    assert all(h["Authorization"] == "Bearer abc.def" for _, _, h, _ in Recorder.seen)
    assert {post["aluno_id"] for post in posts} == set(ids)
    visits: dict[int, list[tuple[datetime, datetime]]] = {}
    for post in posts:
        entry = datetime.fromisoformat(post["data_entrada"])
        exit_ = datetime.fromisoformat(post["data_saida"])
        assert entry.utcoffset() == timedelta(0) and exit_ - entry == timedelta(hours=1)
        assert entry.timestamp() >= base
        visits.setdefault(post["aluno_id"], []).append((entry, exit_))
    for member_visits in visits.values():
        member_visits.sort()
        for (_, left), (right, _) in zip(member_visits, member_visits[1:], strict=False):
            assert left < right, "two visits of one member overlap"


def test_gets_cycle_over_the_pool_without_a_token(server, tmp_path):
    (tmp_path / "ids.txt").write_text("7\n8\n9\n")
    options = {"ids": str(tmp_path / "ids.txt"), "path": "/aluno/{id}/frequencia", "token": ""}
    figures = run(server, "get.lua", options, Load(connections=2, threads=2, seconds=1))

    paths = {path for _, path, _, _ in Recorder.seen}
    assert paths == {f"/aluno/{i}/frequencia" for i in (7, 8, 9)}
    assert not any("Authorization" in headers for _, _, headers, _ in Recorder.seen)
    assert figures.statuses == {200: figures.requests} and figures.p99_ms >= figures.p50_ms
