"""API router (filled in by this app's issue work)."""

from ninja import Router

router = Router()
