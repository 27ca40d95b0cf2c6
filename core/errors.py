"""Errors whose message is meant for the person who caused them."""

from __future__ import annotations


class ConsultaError(Exception):
    """A problem the user can fix; the message says what was wrong and where."""


class NotFound(ConsultaError):
    """The thing asked for does not exist."""


class InvalidInput(ConsultaError):
    """The input breaks a rule; the message names the field and the rule."""


class PermissionDenied(ConsultaError):
    """The actor's role does not allow this."""
