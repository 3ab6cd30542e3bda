"""The errors services raise; the API and views turn them into one shape for people and programs.

API shape: ``{"error": {"code": "...", "message": "...", "fields": {"name": ["reason"]}}}``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError


class HeadwayError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}

    @property
    def message_without_field(self) -> str:
        """The message without the field name in front ("status: Choose …" → "Choose …"), for a
        page that shows it where the field's name is already plain."""
        for name in self.fields:
            if self.message.startswith(f"{name}: "):
                return self.message[len(name) + 2 :]
        return self.message


class ValidationFailed(HeadwayError):
    status = 422
    code = "validation_error"

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        """One message about one field, prefixed with the field's name (as API errors show it)."""
        return cls(f"{field}: {message}", fields={field: [message]})

    @classmethod
    def from_django(cls, exc: DjangoValidationError) -> ValidationFailed:
        if hasattr(exc, "error_dict"):
            fields = {
                ("__all__" if name == "__all__" else name): [str(m) for e in errs for m in e.messages]
                for name, errs in exc.error_dict.items()
            }
        else:
            fields = {"__all__": [str(m) for m in exc.messages]}
        first = next(iter(fields.items()))
        label = "" if first[0] == "__all__" else f"{first[0]}: "
        return cls(f"{label}{first[1][0]}", fields=fields)


class NotFound(HeadwayError):
    status = 404
    code = "not_found"


class PermissionDenied(HeadwayError):
    status = 403
    code = "permission_denied"


class Conflict(HeadwayError):
    status = 409
    code = "conflict"


class RateLimited(HeadwayError):
    status = 429
    code = "rate_limited"
