"""A user's own API token: see whether there is one, create or regenerate it (the key is shown once), revoke it.

One token per user (DRF's authtoken). Regenerating replaces the old key at once; revoking deletes it. Hub
administrators revoke other people's tokens, and end their sessions, with ops.sessions.user_revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from healthlinks.accounts.models import User


@dataclass(frozen=True)
class TokenState:
    exists: bool
    created: datetime | None
    key: str | None = None  # only right after it was (re)generated


def token_state(user: User) -> TokenState:
    token = Token.objects.filter(user=user).first()
    return TokenState(exists=token is not None, created=token.created if token else None)


@transaction.atomic
def token_regenerate(user: User) -> TokenState:
    """A new key for the user, replacing any old one (which stops working at once)."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    return TokenState(exists=True, created=token.created, key=token.key)


@transaction.atomic
def token_revoke(user: User) -> bool:
    """Delete the user's token; True if there was one."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    return bool(deleted)


class TokenStateSerializer(serializers.Serializer):
    exists = serializers.BooleanField()
    created = serializers.DateTimeField(allow_null=True)
    key = serializers.CharField(allow_null=True, help_text="the new key: only in the answer to POST, shown once")


class TokenView(APIView):
    """Your API token: GET whether you have one, POST to create or regenerate it (the key is in the answer, once),
    DELETE to revoke it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: TokenStateSerializer})
    def get(self, request: Request) -> Response:
        return Response(TokenStateSerializer(token_state(request.user)).data)  # type: ignore[arg-type]

    @extend_schema(request=None, responses={201: TokenStateSerializer})
    def post(self, request: Request) -> Response:
        state = token_regenerate(request.user)  # type: ignore[arg-type]
        return Response(TokenStateSerializer(state).data, status=201, headers={"Cache-Control": "no-store"})

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        token_revoke(request.user)  # type: ignore[arg-type]
        return Response(status=204)


@never_cache
@login_required
def token_page(request: HttpRequest) -> HttpResponse:
    """The signed-in user's token page; the new key is shown once, in the answer to the POST that made it."""
    user: Any = request.user
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if token_revoke(user):
                messages.success(request, _("Your API token was revoked."))
        else:
            new_key = token_regenerate(user).key
    return render(request, "web/account_token.html", {"state": token_state(user), "new_key": new_key})
