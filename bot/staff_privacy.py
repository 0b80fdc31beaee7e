"""A staff member's part of /mydata: what the bot keeps of their work in the municipality's
name (campaigns written, alerts sent, the audit log's entries with their user id). Their roles
are in the advice export (`roles`)."""

from __future__ import annotations

from typing import Any

from bot.services import Services


async def personal_data(services: Services, user_id: int) -> dict[str, Any]:
    campaigns = await services.campaigns.by_author(user_id)
    alerts = await services.alerts.by_author(user_id)
    audit = await services.audit.of_actor(user_id)
    return {
        "campaigns": [
            {
                "id": c.id,
                "state": c.state,
                "due_at": c.due_at.isoformat(),
                "created_at": c.created_at.isoformat(),
                "municipalities": sorted(c.audience.municipalities),
                "texts": c.content.texts,
            }
            for c in campaigns
        ],
        "alerts": [
            {
                "id": a.id,
                "municipality": a.municipality,
                "neighbourhoods": list(a.neighbourhoods),
                "sent_at": a.sent_at.isoformat(),
            }
            for a in alerts
        ],
        "audit_log": [
            {
                "at": e.at.isoformat(),
                "last_at": e.last_at.isoformat(),
                "action": e.action,
                "target": e.target,
                "outcome": e.outcome,
                "count": e.count,
            }
            for e in audit
        ],
    }
