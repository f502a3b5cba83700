"""The comparison stack of ci/bench/backend.sh: the two benchmarked endpoints
of the reference backend, written the way the services in shared/context/
are (FastAPI under gunicorn with uvicorn workers), on the same SQLite data.

    BENCH_DB=/tmp/x.db gunicorn -k uvicorn.workers.UvicornWorker -w 2 fastapi_app:app
"""
import os
import sqlite3

from fastapi import FastAPI, HTTPException

DB = os.environ.get("BENCH_DB", "/tmp/bench-fastapi.db")

app = FastAPI()
_conn = None


def conn():
    global _conn
    if _conn is None:
        _conn = sqlite3.connect(DB, check_same_thread=False)
        _conn.execute("PRAGMA journal_mode=WAL")
    return _conn


@app.get("/health")
async def health():
    return {"status": "healthy", "version": "0.1.0"}


@app.get("/api/v1/projects/{project_id}")
async def get_project(project_id: int):
    row = conn().execute(
        "SELECT id, name, description, created_at, updated_at FROM projects WHERE id = ?",
        (project_id,),
    ).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="project not found")
    return {"id": row[0], "name": row[1], "description": row[2],
            "created_at": row[3], "updated_at": row[4]}
