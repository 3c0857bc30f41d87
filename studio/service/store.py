"""The job store: one SQLite file (WAL mode) that outlives the server.

A row per job holds its kind, settings, status, progress, stage, error, times, folder and
output files. WAL lets the job page read while a worker writes progress, and a crash loses at
most the last progress tick: the status of a job is written before and after its work.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from studio.core import InputError, OutputError, echoed

__all__ = ["JobRow", "JobStore"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    settings TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    folder TEXT NOT NULL,
    outputs TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, created_at);
"""
_JSON_COLUMNS = ("settings", "outputs", "summary")
JobRow = dict[str, Any]


class JobStore:
    """Rows of jobs in ``path`` (created with its folder). Safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(self.path, f"cannot open the job store: {exc}") from None
        self._lock = threading.Lock()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def insert(self, row: JobRow) -> None:
        values = {key: json.dumps(value) if key in _JSON_COLUMNS else value for key, value in row.items()}
        names = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        with self._transaction() as db:
            db.execute(f"INSERT INTO jobs ({names}) VALUES ({marks})", values)

    def update(self, job_id: str, *, only_if_status: tuple[str, ...] = (), **changes: Any) -> bool:
        """Change columns of one job; with ``only_if_status`` only while its status is one of
        them. Returns whether a row changed."""
        values = {key: json.dumps(value) if key in _JSON_COLUMNS else value for key, value in changes.items()}
        sets = ", ".join(f"{name} = :{name}" for name in values)
        where = "id = :id"
        if only_if_status:
            where += f" AND status IN ({', '.join(f':s{i}' for i in range(len(only_if_status)))})"
            values.update({f"s{i}": status for i, status in enumerate(only_if_status)})
        with self._transaction() as db:
            cursor = db.execute(f"UPDATE jobs SET {sets} WHERE {where}", {**values, "id": job_id})
            return cursor.rowcount > 0

    def get(self, job_id: str) -> JobRow:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise InputError(f"no job {echoed(job_id)}; see the jobs list for the ids this server knows")
        return _decoded(row)

    def rows(self, *, statuses: tuple[str, ...] = (), limit: int = 100, oldest_first: bool = False) -> list[JobRow]:
        where = f"WHERE status IN ({', '.join('?' for _ in statuses)})" if statuses else ""
        order = "ASC" if oldest_first else "DESC"
        with self._lock:
            found = self._db.execute(
                f"SELECT * FROM jobs {where} ORDER BY created_at {order}, id {order} LIMIT ?", (*statuses, limit)
            ).fetchall()
        return [_decoded(row) for row in found]

    def count(self, status: str) -> int:
        with self._lock:
            (number,) = self._db.execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,)).fetchone()
        return int(number)

    def finished_before(self, when: float) -> list[JobRow]:
        with self._lock:
            found = self._db.execute(
                "SELECT * FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ? ORDER BY finished_at", (when,)
            ).fetchall()
        return [_decoded(row) for row in found]

    def delete(self, job_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _decoded(row: sqlite3.Row) -> JobRow:
    data = dict(row)
    for key in _JSON_COLUMNS:
        data[key] = json.loads(data[key])
    return data
