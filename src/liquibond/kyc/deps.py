"""Request dependencies of the KYC API (other domains' routers may use `Kyc` too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from liquibond.identity.deps import require_role
from liquibond.identity.models import Role
from liquibond.identity.service import Principal
from liquibond.kyc.service import KycComponents, KycService
from liquibond.platform.routing import get_session


def kyc_service(request: Request) -> KycService:
    """The KYC service bound to the request's unit of work."""
    components: KycComponents = request.app.state.kyc
    return KycService(get_session(request), components)


Kyc = Annotated[KycService, Depends(kyc_service)]
ReviewerPrincipal = Annotated[Principal, Depends(require_role(Role.COMPLIANCE, Role.ADMIN))]
