"""The storage layer's exception tree."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage failure."""


class SchemaVersionError(StorageError):
    """The database file was written by a newer version of the bot than this one."""


class JobNotFound(StorageError):
    """No job has the given id (it never existed or was cleaned up)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id!r} not found")
        self.job_id = job_id


class IllegalTransition(StorageError):
    """A job was asked to move to a state its current state does not lead to."""

    def __init__(self, job_id: str, current: str, target: str) -> None:
        super().__init__(f"job {job_id!r} cannot go from {current} to {target}")
        self.job_id = job_id
        self.current = current
        self.target = target
