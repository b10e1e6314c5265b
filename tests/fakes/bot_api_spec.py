"""Checks Bot API calls against the official machine-readable spec (`telegram-bot-api/api.json`)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_ENV_VAR = "FAKE_BOT_API_SPEC"
_SPEC_RELATIVE = Path("shared") / "telegram-bot-api" / "api.json"
_INTEGER = re.compile(r"-?\d+")
_DISCRIMINATOR = re.compile(r"must be ([a-z0-9_]+)\.?$")
_ARRAY_PREFIX = "Array of "
_SCALARS = frozenset({"Integer", "Float", "Boolean", "String", "InputFile", "True"})


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional retry_after."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """A 400 error worded like Telegram's."""
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart/form-data request."""

    name: str
    filename: str
    content_type: str
    data: bytes

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly description without the bytes."""
        return {
            "upload": self.name,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
        }


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method or field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool
    description: str


@dataclass(frozen=True)
class TypeSpec:
    """One object type; `subtypes` is set for unions such as InputMedia."""

    name: str
    fields: tuple[FieldSpec, ...]
    subtypes: tuple[str, ...]


class _Mismatch(Exception):
    """A value does not have the expected type; the message says where and why."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


def default_spec_path(start: Path | None = None) -> Path:
    """Find `shared/telegram-bot-api/api.json` in an ancestor of this file (or $FAKE_BOT_API_SPEC)."""
    override = os.environ.get(SPEC_ENV_VAR)
    if override:
        return Path(override)
    here = (start or Path(__file__)).resolve()
    for folder in here.parents:
        candidate = folder / _SPEC_RELATIVE
        if candidate.is_file():
            return candidate
    return here.parents[3] / _SPEC_RELATIVE


def _fields(raw: list[dict[str, Any]]) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(
            name=item["name"],
            types=tuple(item["types"]),
            required=bool(item["required"]),
            description=str(item.get("description", "")),
        )
        for item in raw
    )


class BotApiSpec:
    """The methods and types of the Bot API, and a decoder that checks a call against them."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_spec_path()
        if not self.path.is_file():
            raise FileNotFoundError(
                f"Bot API spec not found at {self.path}; pass spec_path=... or set {SPEC_ENV_VAR} "
                "to the api.json of telegram-bot-api-spec"
            )
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        self.version: str = raw.get("version", "")
        self.methods: dict[str, tuple[FieldSpec, ...]] = {
            name: _fields(body.get("fields", [])) for name, body in raw["methods"].items()
        }
        self.types: dict[str, TypeSpec] = {
            name: TypeSpec(name, _fields(body.get("fields", [])), tuple(body.get("subtypes", [])))
            for name, body in raw["types"].items()
        }
        self._by_lower = {name.lower(): name for name in self.methods}

    def canonical_method(self, name: str) -> str | None:
        """The spec's spelling of a method name (Telegram matches names case-insensitively)."""
        return self._by_lower.get(name.lower())

    def decode_call(
        self, method: str, params: Mapping[str, Any], uploads: Mapping[str, Upload]
    ) -> dict[str, Any]:
        """Check a call's parameters and return them as Python values (files as `Upload`).

        Top-level values may be strings (form encoding) and are converted; nested JSON is strict.
        Raises ApiError(400) for an unknown parameter, a missing required one or a wrong type.
        """
        fields = {field.name: field for field in self.methods[method]}
        merged: dict[str, Any] = dict(params)
        for name, upload in uploads.items():
            if name in fields and name not in merged:
                merged[name] = upload
        for name in merged:
            if name not in fields:
                raise bad_request(f'unknown parameter "{name}" for method {method}')
        for field in fields.values():
            if field.required and field.name not in merged:
                raise bad_request(f'parameter "{field.name}" is required')
        decoded: dict[str, Any] = {}
        for name, value in merged.items():
            field = fields[name]
            try:
                decoded[name] = self._decode(value, field.types, name, uploads, lenient=True)
            except _Mismatch as err:
                raise bad_request(f'wrong parameter "{name}": {err}') from err
        return decoded

    def check_object(self, type_name: str, value: Any) -> None:
        """Raise ValueError if `value` is not a valid `type_name` object (used to check our own output)."""
        try:
            self._decode(value, (type_name,), type_name, {}, lenient=False)
        except _Mismatch as err:
            raise ValueError(str(err)) from err

    def _decode(
        self, value: Any, types: tuple[str, ...], where: str, uploads: Mapping[str, Upload], *, lenient: bool
    ) -> Any:
        if len(types) > 1 and all(name.startswith(_ARRAY_PREFIX) for name in types):
            # "Array of A or Array of B" (sendMediaGroup) means an array whose items are A or B
            items = _maybe_json(value, list, where) if lenient else value
            if not isinstance(items, list):
                raise _Mismatch(f"{where} must be a JSON array", where)
            inner = tuple(name.removeprefix(_ARRAY_PREFIX) for name in types)
            return [
                self._decode(item, inner, f"{where}[{index}]", uploads, lenient=False)
                for index, item in enumerate(items)
            ]
        ordered = sorted(types, key=lambda name: (name == "String", name != "InputFile"))
        problems: list[_Mismatch] = []
        for type_name in ordered:
            try:
                return self._decode_one(value, type_name, where, uploads, lenient=lenient)
            except _Mismatch as err:
                problems.append(err)
        # The candidate that got furthest into the value is the one the caller meant.
        deepest = max(len(problem.where) for problem in problems)
        best = [problem for problem in problems if len(problem.where) == deepest]
        if len(best) == 1:
            raise best[0]
        details = "; ".join(str(problem) for problem in best)
        raise _Mismatch(f"{where} must be {' or '.join(types)} ({details})", where)

    def _decode_one(
        self, value: Any, type_name: str, where: str, uploads: Mapping[str, Upload], *, lenient: bool
    ) -> Any:
        if type_name.startswith(_ARRAY_PREFIX):
            items = _maybe_json(value, list, where) if lenient else value
            if not isinstance(items, list):
                raise _Mismatch(f"{where} must be a JSON array", where)
            inner = type_name.removeprefix(_ARRAY_PREFIX)
            return [
                self._decode(item, (inner,), f"{where}[{index}]", uploads, lenient=False)
                for index, item in enumerate(items)
            ]
        if type_name in _SCALARS:
            return _decode_scalar(value, type_name, where, uploads, lenient=lenient)
        obj = _maybe_json(value, dict, where) if lenient else value
        if not isinstance(obj, dict):
            raise _Mismatch(f"{where} must be a JSON object of type {type_name}", where)
        return self._decode_object(obj, type_name, where, uploads)

    def _decode_object(
        self, obj: dict[str, Any], type_name: str, where: str, uploads: Mapping[str, Upload]
    ) -> dict[str, Any]:
        spec = self.types.get(type_name)
        if spec is None:
            return obj
        if spec.subtypes:
            return self._decode_union(obj, spec, where, uploads)
        if not spec.fields:
            return obj
        fields = {field.name: field for field in spec.fields}
        for name in obj:
            if name not in fields:
                raise _Mismatch(f'{where} has unknown field "{name}" for {type_name}', where)
        for field in spec.fields:
            if field.required and field.name not in obj:
                raise _Mismatch(f'{where} lacks required field "{field.name}" of {type_name}', where)
        tag = self._discriminator(type_name)
        if tag is not None and obj.get(tag[0]) != tag[1]:
            raise _Mismatch(f'{where}.{tag[0]} must be "{tag[1]}" for {type_name}', f"{where}.{tag[0]}")
        return {
            name: self._decode(item, fields[name].types, f"{where}.{name}", uploads, lenient=False)
            for name, item in obj.items()
        }

    def _decode_union(
        self, obj: dict[str, Any], spec: TypeSpec, where: str, uploads: Mapping[str, Upload]
    ) -> dict[str, Any]:
        candidates = [name for name in spec.subtypes if name in self.types]
        for name in candidates:
            tag = self._discriminator(name)
            if tag is not None and tag[0] in obj and obj[tag[0]] == tag[1]:
                return self._decode_object(obj, name, where, uploads)
        problems: list[str] = []
        for name in candidates:
            if self._discriminator(name) is not None:
                continue
            try:
                return self._decode_object(obj, name, where, uploads)
            except _Mismatch as err:
                problems.append(str(err))
        allowed = [tag[1] for name in candidates if (tag := self._discriminator(name))]
        detail = f"type must be one of {allowed}" if allowed else "; ".join(problems)
        raise _Mismatch(f"{where} is not a valid {spec.name}: {detail}", where)

    def _discriminator(self, type_name: str) -> tuple[str, str] | None:
        for field in self.types[type_name].fields:
            if field.required and field.name in ("type", "source", "status"):
                match = _DISCRIMINATOR.search(field.description)
                if match:
                    return field.name, match.group(1)
        return None


def _maybe_json(value: Any, kind: type, where: str) -> Any:
    """Top-level arrays and objects may arrive JSON-encoded as strings (form or JSON body)."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError as err:
            raise _Mismatch(f"can't parse {where} JSON object", where) from err
        if not isinstance(parsed, kind):
            raise _Mismatch(f"{where} must be a JSON {'array' if kind is list else 'object'}", where)
        return parsed
    return value


def _decode_scalar(
    value: Any, type_name: str, where: str, uploads: Mapping[str, Upload], *, lenient: bool
) -> Any:
    if type_name == "InputFile":
        if isinstance(value, Upload):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in uploads:
                raise _Mismatch(f'{where} refers to "{value}" but no such file part was uploaded', where)
            return uploads[name]
        raise _Mismatch(f"{where} must be an uploaded file", where)
    if isinstance(value, Upload):
        raise _Mismatch(f"{where} must be {type_name}, not an uploaded file", where)
    if type_name == "String":
        if isinstance(value, str):
            return value
        raise _Mismatch(f"{where} must be String", where)
    if type_name == "Integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if lenient and isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value)
        raise _Mismatch(f"{where} must be Integer", where)
    if type_name == "Float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if lenient and isinstance(value, str):
            try:
                return float(value)
            except ValueError as err:
                raise _Mismatch(f"{where} must be Float", where) from err
        raise _Mismatch(f"{where} must be Float", where)
    # Boolean and True
    if isinstance(value, bool):
        return value
    if lenient and isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise _Mismatch(f"{where} must be Boolean", where)
