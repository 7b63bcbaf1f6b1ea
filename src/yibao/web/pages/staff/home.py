"""The staff home page: what the signed-in role can do."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from yibao.web.pages.staff.access import StaffContext, StaffPage, render

router = APIRouter()


@router.get("", response_class=HTMLResponse)
def home(request: Request, ctx: Annotated[StaffContext, Depends(StaffPage())]) -> Response:
    return render(request, "home.html", ctx)
