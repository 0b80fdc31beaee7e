"""Campaigns in the dashboard: the list with status and deliveries, drafts (text per language,
an optional photo, the audience with its live count, the moment), a preview per language as
Telegram shows it, a test send to yourself through the bot, saving (or submitting for
approval), and for a saved campaign: cancel, reschedule, a new text, approve or reject.

Everything a campaign goes through is bot/advisers/campaigns.py, as in the chat: a campaign
saved here is the same `campaigns` row, planned by the same engine, in the same audit log.
Approval requests and "your campaign was approved" go out through the bot as in the chat
(bot/handlers/campaigns.py), with a context made for the person acting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.advisers import campaigns
from bot.advisers.campaigns import approvers, release_text, status_text, upcoming
from bot.advisers.moments import parse_moment
from bot.advisers.stats import delivery_counts
from bot.advisers.texts import counts_text, scope_text, title_of, version_problems, versions
from bot.campaign_photos import save_campaign_photo
from bot.dashboard import access
from bot.dashboard.render import iso_minutes
from bot.dashboard.server import SERVER, DashboardServer
from bot.handlers.campaigns import ask_approval, moment_problem_text, tell_author
from bot.handlers.preview import preview, problem_text
from bot.i18n import Translator
from bot.services import BotContext, Services
from bot.storage.campaign_drafts import CampaignDraft
from bot.storage.campaigns import Campaign
from bot.subscription import TOPICS
from bot.wijkschouw.photos import PhotoError
from scheduler.delivery import Audience, Content

KINDS = {
    "both": frozenset({"private", "group"}),
    "private": frozenset({"private"}),
    "group": frozenset({"group"}),
}
LIST_LENGTH = 50


def routes(prefix: str) -> list[web.RouteDef]:
    return [
        web.get(prefix + "/campaigns", list_page),
        web.get(prefix + "/campaigns/new", new_page),
        web.post(prefix + "/campaigns/draft", draft_action),
        web.get(prefix + r"/campaigns/draft/{id:\d+}", draft_page),
        web.get(prefix + r"/campaigns/draft/{id:\d+}/photo", draft_photo),
        web.get(prefix + r"/campaigns/{id:\d+}", campaign_page),
        web.post(prefix + r"/campaigns/{id:\d+}", campaign_action),
        web.get(prefix + r"/campaigns/{id:\d+}/photo", campaign_photo),
        web.get(prefix + "/audience", audience_count),
    ]


def _context(server: DashboardServer, user_id: int) -> BotContext:
    """A context for the person acting, to send through the bot as the chat's handlers do."""
    return BotContext(server.app, chat_id=user_id, user_id=user_id)


# --- the form ----------------------------------------------------------------------------------


@dataclass
class DraftForm:
    """What the draft form holds, from a stored draft or a POST."""

    texts: dict[str, str]
    municipalities: list[str]
    neighbourhoods: list[str]
    kinds: str
    topic: str
    moment: str  # as the datetime-local field shows it; '' = as soon as saved
    image: Path | None = None

    def audience(self) -> Audience:
        hoods = frozenset(self.neighbourhoods) if len(self.municipalities) == 1 else frozenset()
        return Audience(
            municipalities=frozenset(self.municipalities),
            topic=None if self.topic == "all" else self.topic,
            kinds=KINDS.get(self.kinds, KINDS["both"]),
            neighbourhoods=hoods or None,
        )

    def content(self, locales: tuple[str, ...]) -> Content:
        """Every language gets its own text, or the first written one's."""
        first = next((self.texts[loc] for loc in locales if self.texts.get(loc)), "")
        return Content({loc: self.texts.get(loc) or first for loc in locales}, self.image)


def _from_draft(
    server: DashboardServer, draft: CampaignDraft | None, scope: list[str]
) -> DraftForm:
    tz = server.services.config.locale.tz
    if draft is None:
        # One municipality: chosen already; more: none, so a campaign never reaches all by accident.
        return DraftForm({}, scope if len(scope) == 1 else [], [], "both", "all", "")
    audience = draft.audience
    kinds = next((k for k, v in KINDS.items() if v == audience.kinds), "both")
    return DraftForm(
        dict(draft.content.texts),
        sorted(audience.municipalities),
        sorted(audience.neighbourhoods or ()),
        kinds,
        audience.topic or "all",
        iso_minutes(draft.due_at, tz) if draft.due_at else "",
        draft.content.image,
    )


def _from_post(who: access.Visitor, locales: tuple[str, ...], image: Path | None) -> DraftForm:
    form = who.form
    kinds = form.get("kinds")
    topic = form.get("topic")
    return DraftForm(
        {loc: form.get(f"text_{loc}").strip() for loc in locales},
        sorted(set(form.getall("m"))),
        sorted(set(form.getall("h"))),
        kinds if kinds in KINDS else "both",
        topic if topic == "all" or topic in TOPICS else "all",
        form.get("moment").strip(),
        None if form.get("remove_photo") else image,
    )


def _moment(services: Services, _: Translator, value: str) -> datetime | str | None:
    """The moment of a datetime-local field (Dutch time), None for 'as soon as saved', or the
    problem (the chat's own parser and texts)."""
    if not value:
        return None
    try:
        day, clock = value.split("T")
        year, month, dom = day.split("-")
    except ValueError:
        return moment_problem_text(_, "format")
    result = parse_moment(
        f"{dom}-{month}-{year} {clock[:5]}", services.now(), services.config.locale.tz
    )
    return moment_problem_text(_, result) if isinstance(result, str) else result


def _problems(server: DashboardServer, _: Translator, form: DraftForm) -> list[str]:
    """What stands between this draft and a campaign (nothing stops saving a draft)."""
    services = server.services
    problems = []
    if not any(form.texts.values()):
        problems.append(_("Write the text in at least one language."))
    else:
        locales = services.i18n.available
        problems += [problem_text(_, p) for p in version_problems(form.content(locales), locales)]
    if not form.municipalities:
        problems.append(_("Choose at least one municipality."))
    moment = _moment(services, _, form.moment)
    if isinstance(moment, str):
        problems.append(moment)
    return problems


async def _form_page(
    server: DashboardServer,
    who: access.Visitor,
    draft_id: int | None,
    form: DraftForm,
    *,
    problems: list[str] | None = None,
    notice: str = "",
) -> web.Response:
    services = server.services
    _ = who.translator
    config = services.config
    scope = [m for m in config.municipalities if m.slug in who.scope]
    locales = services.i18n.available
    content = form.content(locales)
    audience = form.audience()
    size = await services.outbox.audience_size(audience) if form.municipalities else 0
    only = config.municipality(form.municipalities[0]) if len(form.municipalities) == 1 else None
    approval = config.campaigns.require_approval
    possible = await approvers(services, who.user_id, form.municipalities) if approval else []
    moment = _moment(services, _, form.moment)
    written = any(form.texts.values())
    return server.render(
        _,
        "campaign_form.html",
        status=422 if problems else 200,
        who=who,
        draft_id=draft_id,
        form=form,
        locales=locales,
        scope=scope,
        neighbourhoods=only.neighbourhoods if only else [],
        kinds=[("both", _("Both")), ("private", _("Private chats")), ("group", _("Groups"))],
        topics=[("all", _("All topics"))] + [(key, _(name)) for key, name in TOPICS.items()],
        audience=size,
        previews=[(loc, content.text(loc)) for loc in versions(content, locales, _.locale)]
        if written
        else [],
        photo=server.url(f"/campaigns/draft/{draft_id}/photo") if draft_id and form.image else "",
        release=release_text(_, services, moment or services.now(), audience.kinds)
        if not isinstance(moment, str) and form.municipalities
        else "",
        approval=approval,
        approvers=len(possible),
        problems=problems or [],
        notice=notice,
    )


async def new_page(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER]
    who = await access.visitor(server.services, request, "dashboard.campaign")
    return await _form_page(server, who, None, _from_draft(server, None, sorted(who.scope)))


async def _own_draft(request: web.Request, who: access.Visitor, draft_id: int) -> CampaignDraft:
    server = request.app[SERVER]
    draft = await server.services.drafts.get(draft_id, who.user_id)
    if draft is None:
        raise await access.refuse(
            server.services, request, who.user_id, "dashboard.draft", str(draft_id), who.translator
        )
    return draft


async def draft_page(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER]
    who = await access.visitor(server.services, request, "dashboard.campaign")
    draft = await _own_draft(request, who, int(request.match_info["id"]))
    _ = who.translator
    notice = {"saved": _("The draft is saved."), "test": _("Sent to you only.")}
    return await _form_page(
        server,
        who,
        draft.id,
        _from_draft(server, draft, []),
        notice=notice.get(request.query.get("done", ""), ""),
    )


async def draft_photo(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER]
    who = await access.visitor(server.services, request, "dashboard.campaign")
    draft = await _own_draft(request, who, int(request.match_info["id"]))
    if draft.content.image is None or not draft.content.image.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(draft.content.image, headers={"Content-Type": "image/jpeg"})


async def draft_action(request: web.Request) -> web.StreamResponse:
    """save, test, submit or delete the draft in the form."""
    server = request.app[SERVER]
    services = server.services
    who = await access.visitor(services, request, "dashboard.campaign")
    _ = who.translator
    action = who.form.get("action")
    draft_id = int(who.form.get("draft")) if who.form.get("draft").isdigit() else None
    draft = await _own_draft(request, who, draft_id) if draft_id is not None else None
    if action == "delete" and draft is not None:
        await services.drafts.delete(draft.id, who.user_id)
        raise web.HTTPSeeOther(server.url("/campaigns"))
    image = draft.content.image if draft else None
    upload = who.form.file("photo")
    if upload:
        try:
            image = save_campaign_photo(services.config, upload)
        except PhotoError:
            form = _from_post(who, services.i18n.available, image)
            return await _form_page(
                server,
                who,
                draft_id,
                form,
                problems=[_("That file is not a photo I can read. Please choose a JPEG or PNG.")],
            )
    form = _from_post(who, services.i18n.available, image)
    await access.require(
        services, request, who, "campaign.audience", form.municipalities or who.scope
    )
    moment = _moment(services, _, form.moment)
    due = moment if isinstance(moment, datetime) else None
    content = form.content(services.i18n.available)
    draft_id = await services.drafts.save(draft_id, who.user_id, content, form.audience(), due)
    if action == "save" or action not in ("test", "submit"):
        raise web.HTTPSeeOther(server.url(f"/campaigns/draft/{draft_id}?done=saved"))
    problems = _problems(server, _, form)
    if problems:
        return await _form_page(server, who, draft_id, form, problems=problems)
    if action == "test":
        refusal = await preview(_context(server, who.user_id), _, who.user_id, content, "campaign")
        if refusal:
            return await _form_page(server, who, draft_id, form, problems=[(refusal)])
        raise web.HTTPSeeOther(server.url(f"/campaigns/draft/{draft_id}?done=test"))
    return await _submit(server, who, draft_id, form, content, due)


async def _submit(
    server: DashboardServer,
    who: access.Visitor,
    draft_id: int,
    form: DraftForm,
    content: Content,
    due: datetime | None,
) -> web.StreamResponse:
    """The draft becomes a campaign, as Confirm does in the chat's wizard."""
    services = server.services
    _ = who.translator
    approval = services.config.campaigns.require_approval
    if approval and not await approvers(services, who.user_id, form.municipalities):
        return await _form_page(
            server,
            who,
            draft_id,
            form,
            problems=[
                _(
                    "I have not saved it: nobody else can approve a campaign for {audience}. Ask "
                    "an admin to invite another adviser for it (or to approve it as admin), or "
                    "change the audience.",
                    audience=scope_text(_, services.config, form.municipalities),
                )
            ],
        )
    campaign = await campaigns.create(
        services, who.user_id, content, form.audience(), due or services.now()
    )
    await services.drafts.delete(draft_id, who.user_id)
    done = "created"
    if approval:
        asked = await ask_approval(_context(server, who.user_id), campaign)
        done = "asked" if asked else "nobody"
    raise web.HTTPSeeOther(server.url(f"/campaigns/{campaign.id}?done={done}"))


# --- the list ----------------------------------------------------------------------------------


@dataclass
class Row:
    campaign: Campaign
    title: str
    status: str
    counts: str
    scope: str


async def list_page(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER]
    services = server.services
    who = await access.visitor(services, request, "dashboard.campaigns")
    _ = who.translator
    found = [
        c
        for c in await services.campaigns.recent(LIST_LENGTH)
        if who.roles.admin or c.audience.municipalities & who.scope
    ]
    counts = await delivery_counts(
        services.db,
        services.now(),
        keys=[c.key for c in found],
        municipalities=None if who.roles.admin else who.scope,
    )
    rows = []
    for c in reversed(found):
        broadcast = await services.outbox.get_broadcast(c.key)
        got = counts[c.key].counts if c.key in counts else None
        rows.append(
            Row(
                c,
                title_of(c.content.text(_.locale)),
                status_text(_, c, broadcast, got),
                (counts_text(_, got)) if got else "",
                scope_text(_, services.config, c.audience.municipalities),
            )
        )
    drafts = [
        (d, title_of(d.content.text(_.locale)) or _("(no text yet)"))
        for d in await services.drafts.of(who.user_id)
    ]
    return server.render(_, "campaigns.html", who=who, rows=rows, drafts=drafts)


# --- one campaign ------------------------------------------------------------------------------


async def _campaign(request: web.Request, who: access.Visitor, action: str) -> Campaign:
    """The campaign of the URL, if the visitor may see it (any of its municipalities)."""
    server = request.app[SERVER]
    services = server.services
    campaign = await services.campaigns.get(int(request.match_info["id"]))
    if campaign is None:
        raise web.HTTPNotFound()
    if not (who.roles.admin or campaign.audience.municipalities & who.scope):
        raise await access.refuse(
            services, request, who.user_id, action, str(campaign.id), who.translator
        )
    return campaign


async def campaign_page(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER]
    who = await access.visitor(server.services, request, "dashboard.campaign")
    campaign = await _campaign(request, who, "dashboard.campaign")
    return await _campaign_view(server, who, campaign, request.query.get("done", ""))


async def _campaign_view(
    server: DashboardServer,
    who: access.Visitor,
    campaign: Campaign,
    done: str,
    problems: list[str] | None = None,
) -> web.Response:
    services = server.services
    _ = who.translator
    locales = services.i18n.available
    broadcast = await services.outbox.get_broadcast(campaign.key)
    counts = (
        await delivery_counts(
            services.db,
            services.now(),
            keys=[campaign.key],
            municipalities=None if who.roles.admin else who.scope,
        )
    ).get(campaign.key)
    notices = {
        "created": _("Campaign #{id} is saved.", id=campaign.id),
        "asked": _("Campaign #{id} is saved and waits for approval.", id=campaign.id),
        "nobody": _(
            "Campaign #{id} is saved and waits for approval, but I could not ask anyone: those "
            "who may approve it have not started a chat with me yet.",
            id=campaign.id,
        ),
        "cancel": _("Campaign #{id} is cancelled.", id=campaign.id),
        "reschedule": _("The new moment is saved."),
        "text": _("The new text is saved."),
        "approve": _("Campaign #{id} is approved.", id=campaign.id),
        "reject": _("Campaign #{id} is rejected.", id=campaign.id),
        "gone": _("Campaign #{id} has already gone out.", id=campaign.id),
    }
    is_upcoming = upcoming(campaign, broadcast)
    return server.render(
        _,
        "campaign.html",
        status=422 if problems else 200,
        who=who,
        campaign=campaign,
        title=title_of(campaign.content.text(_.locale)),
        status_label=status_text(_, campaign, broadcast, counts.counts if counts else None),
        counts=(counts_text(_, counts.counts)) if counts else "",
        scope=scope_text(_, services.config, campaign.audience.municipalities),
        audience=await services.outbox.audience_size(campaign.audience),
        release=release_text(_, services, campaign.due_at, campaign.audience.kinds),
        previews=[
            (loc, campaign.content.text(loc))
            for loc in versions(campaign.content, locales, _.locale)
        ],
        texts={loc: campaign.content.texts.get(loc, "") for loc in locales},
        locales=locales,
        photo=server.url(f"/campaigns/{campaign.id}/photo") if campaign.content.image else "",
        may_change=is_upcoming and who.roles.covers(campaign.audience.municipalities),
        may_decide=campaign.state == "awaiting_approval"
        and campaign.author_id != who.user_id
        and who.roles.covers(campaign.audience.municipalities),
        moment=iso_minutes(campaign.due_at, services.config.locale.tz),
        notice=notices.get(done, ""),
        problems=problems or [],
    )


async def campaign_photo(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER]
    who = await access.visitor(server.services, request, "dashboard.campaign")
    campaign = await _campaign(request, who, "dashboard.campaign")
    image = campaign.content.image
    if image is None or not image.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(image, headers={"Content-Type": "image/jpeg"})


async def campaign_action(request: web.Request) -> web.StreamResponse:
    """cancel, reschedule, text, approve or reject: the visitor's scope must cover the whole
    audience, as for the buttons under /campaigns."""
    server = request.app[SERVER]
    services = server.services
    who = await access.visitor(services, request, "dashboard.campaign")
    _ = who.translator
    action = who.form.get("action")
    campaign = await _campaign(request, who, f"campaign.{action or '?'}")
    await access.require(
        services,
        request,
        who,
        f"campaign.{action or '?'}",
        campaign.audience.municipalities,
        str(campaign.id),
    )
    done = action
    if action == "cancel":
        done = "cancel" if await campaigns.cancel(services, who.user_id, campaign) else "gone"
    elif action == "reschedule":
        due = _moment(services, _, who.form.get("moment").strip())
        if not isinstance(due, datetime):
            problem = due if isinstance(due, str) else moment_problem_text(_, "format")
            return await _campaign_view(server, who, campaign, "", [problem])
        if not await campaigns.reschedule(services, who.user_id, campaign, due):
            done = "gone"
    elif action == "text":
        locales = services.i18n.available
        typed = {loc: who.form.get(f"text_{loc}").strip() for loc in locales}
        form = DraftForm(
            typed,
            sorted(campaign.audience.municipalities),
            [],
            "both",
            "all",
            "",
            campaign.content.image,
        )
        problems = [p for p in _problems(server, _, form)]
        if problems:
            return await _campaign_view(server, who, campaign, "", problems)
        outcome = await campaigns.new_text(services, who.user_id, campaign, form.content(locales))
        if outcome == "approval":
            changed = await services.campaigns.get(campaign.id)
            assert changed is not None
            await ask_approval(_context(server, who.user_id), changed)
        done = "gone" if outcome == "gone" else "text"
    elif action in ("approve", "reject"):
        decision = await campaigns.decide(
            services, who.user_id, campaign, approve=action == "approve"
        )
        if decision != "done":
            raise web.HTTPConflict()
        decided = await services.campaigns.get(campaign.id)
        assert decided is not None
        await tell_author(_context(server, who.user_id), decided, action == "approve")
    else:
        raise web.HTTPBadRequest()
    raise web.HTTPSeeOther(server.url(f"/campaigns/{campaign.id}?done={done}"))


async def audience_count(request: web.Request) -> web.StreamResponse:
    """The live count under the audience choices: how many chats it reaches now."""
    server = request.app[SERVER]
    services = server.services
    who = await access.visitor(services, request, "campaign.audience")
    q = request.query
    form = DraftForm(
        {},
        sorted(set(q.getall("m", []))),
        sorted(set(q.getall("h", []))),
        q.get("kinds", "both"),
        q.get("topic", "all"),
        "",
    )
    if not form.municipalities:
        return web.json_response({"count": 0, "text": _chats(who.translator, 0)})
    await access.require(services, request, who, "campaign.audience", form.municipalities)
    count = await services.outbox.audience_size(form.audience())
    return web.json_response({"count": count, "text": _chats(who.translator, count)})


def _chats(_: Translator, n: int) -> str:
    return _.ngettext(
        "This campaign will reach {n} chat.", "This campaign will reach {n} chats.", n
    )
