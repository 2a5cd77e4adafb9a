"""Campaign list and overview: live count, threshold progress, activity charts, pipeline health."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, render_template
from markupsafe import Markup

from ivr import i18n
from ivr.carrier.health import carrier_alerts, line_health
from ivr.carrier.rest import Said
from ivr.i18n import gettext, ngettext, num
from ivr.labels import label
from ivr.services import services
from ivr.staff import charts, series
from ivr.staff.auth import bp, campaign_or_404
from ivr.staff.line import said
from ivr.staff.pipeline import pipeline_health
from ivr.urls import absolute
from petition.backups.schedule import STALE_AFTER, standing
from petition.counting.regions import Region, region_label
from petition.counting.tally import campaign_rule
from petition.counting.thresholds import bar_percent
from petition.db import is_sqlite
from petition.i18n import time_zone, to_local
from petition.integrity import guards
from petition.line.campaigns import line_state
from petition.models import Campaign, Signature, SignatureState, utcnow
from petition.names import sampling
from petition.privacy import phones
from petition.reporting.stats import campaign_stats
from petition.review import queues

# The live figures are computed at most this often per process, however many staff watch.
LIVE_SECONDS = 3
# Charts are per hour at best; a minute-old chart is fine and spares the heavier queries.
CHART_SECONDS = 60
POLL_SECONDS = 5
HELPLINE_DAYS = 14

_cache: dict[tuple[str, str, str], tuple[float, Any]] = {}


def cached(kind: str, slug: str, ttl: float, compute: Any) -> Any:
    key = (services().db.url, kind, slug)
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < ttl:
        return hit[1]
    value = compute()
    _cache[key] = (time.monotonic(), value)
    return value


def clear_caches() -> None:
    _cache.clear()


def forget_stats(slug: str) -> None:
    """After a decision here, this process shows the new figures at once (others within
    LIVE_SECONDS)."""
    _cache.pop((services().db.url, "stats", slug), None)


def stats_for(slug: str) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        with services().db.session() as s:
            return campaign_stats(s, campaign_or_404(s, slug))

    result: dict[str, Any] = cached("stats", slug, LIVE_SECONDS, compute)
    return result


def live_figures(stats: dict[str, Any]) -> dict[str, Any]:
    """The figures the overview refreshes, flat: {"signatures": 12, "region.brussels.count": 3}."""
    threshold = stats["threshold"]
    figures: dict[str, Any] = {
        key: stats[key]
        for key in (
            "signatures",
            "calls",
            "pending",
            "needs_review",
            "rejected",
            "helpline_transfers",
        )
    }
    for status, n in stats["names"].items():
        figures[f"names.{status}"] = n
    figures["names_waiting"] = stats["names_waiting"]
    figures["names_per_hour"] = pace = stats["names_per_hour"]
    # At this pace, hours until the names waiting are checked.
    figures["names_hours_left"] = round(stats["names_waiting"] / pace, 1) if pace else None
    for key in ("counted", "percent", "missing", "reached"):
        figures[f"threshold.{key}"] = threshold[key]
    target = threshold["target"]
    figures["threshold.bar"] = bar_percent(target - threshold["missing"], target)
    for item in threshold["regions"]:
        prefix = f"region.{item['region']}"
        figures[f"{prefix}.count"] = item["count"]
        figures[f"{prefix}.missing"] = item["missing"]
        if item["minimum"]:
            figures[f"{prefix}.bar"] = bar_percent(item["count"], item["minimum"])
    for milestone in threshold["milestones"]:
        figures[f"milestone.{milestone['target']}.missing"] = milestone["missing"]
    figures["generated_at"] = stats["generated_at"]
    generated = datetime.fromisoformat(stats["generated_at"].removesuffix("Z"))
    figures["updated"] = i18n.localizer(stats["time_zone"]).local(generated).strftime("%H:%M:%S")
    return figures


@bp.get("/")
def campaigns() -> str:
    now = utcnow()
    with services().db.session() as s:
        counted = dict(
            s.execute(
                sa.select(Signature.campaign_id, sa.func.count())
                .where(Signature.state == SignatureState.COUNTED)
                .group_by(Signature.campaign_id)
            ).all()
        )

        items = [
            {
                "campaign": c,
                "counted": counted.get(c.id, 0),
                # The review queues' own counts, as the overview and the review page show them.
                "held": queues.waiting(s, c.id, queues.REVIEW),
                "names": queues.waiting(s, c.id, queues.NAME_CHECKS),
                "target": campaign_rule(c).total,
                "line": line_state(c, now).value,
            }
            for c in s.scalars(sa.select(Campaign).order_by(Campaign.is_open.desc(), Campaign.slug))
        ]
    return render_template("staff/campaigns.html", items=items)


@bp.get("/c/<slug>/")
def overview(slug: str) -> str:
    stats = stats_for(slug)
    now = utcnow()
    with services().db.session() as s:
        campaign = campaign_or_404(s, slug)

        def compute_series() -> dict[str, series.Series]:
            calls_h, sigs_h = series.hourly(s, campaign, now)
            calls_d, sigs_d = series.daily(s, campaign, now)
            return {
                "calls_hour": calls_h,
                "sigs_hour": sigs_h,
                "calls_day": calls_d,
                "sigs_day": sigs_d,
            }

        data = cached("series", slug, CHART_SECONDS, compute_series)
        health = pipeline_health(s, services().queue, campaign.id, now)
        line_now = line_health(s, services().queue, campaign, now)
        # The carrier's alerts are read (a REST call, kept a minute) once a number is connected.
        connected = any(n.carrier_sid for n in campaign.numbers)
        bursts = cached("bursts", slug, LIVE_SECONDS * 10, lambda: guards.bursts(s, campaign, now))
        estimate = sampling.latest_estimate(s, campaign.id)
    # Read from the backup folder: what is there is what a restore would have.
    backups = standing(services().settings, now)
    alerts = (
        cached("alerts", slug, CHART_SECONDS, lambda: carrier_alerts(services().settings, now))
        if connected
        else None
    )
    lang = i18n.current_language()
    drawn = {name: _chart(name, data[name]) for name in data}
    regions = {r.value: region_label(r, lang) for r in Region}
    return render_template(
        "staff/overview.html",
        campaign=campaign,
        stats=stats,
        live=live_figures(stats),
        charts=drawn,
        series=data,
        languages_seen=_languages_seen(data),
        region_names=regions,
        health=health,
        backups=backups,
        backup_age=(now - backups.last.made_at).total_seconds() if backups.last else None,
        backup_size=i18n.file_size(backups.last.size) if backups.last else "",
        backup_stale_hours=int(STALE_AFTER.total_seconds() // 3600),
        database_is_sqlite=is_sqlite(services().settings.database_url),
        line_health=line_now,
        alerts=alerts,
        alerts_failed=isinstance(alerts, Said),
        said=said,
        estimate=estimate,
        bursts=bursts,
        burst_window=guards.BURST_WINDOW,
        # A burst's window as the bulk page's datetime-local fields take it: the campaign's clock.
        local_input=lambda moment: to_local(moment, time_zone(campaign.time_zone)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        line=line_state(campaign, now).value,
        # The public page's addresses as visitors reach them (PUBLIC_BASE_URL when set).
        public_page_url=absolute("public_page.page", slug=campaign.slug),
        embed_url=absolute("public_page.embed", slug=campaign.slug),
        # The helpline as people write it (116 000), and its transfers on the last days that
        # had any, newest first.
        helpline_shown=(phones.written(campaign.helpline) if campaign.helpline else ""),
        helpline_days=[
            (date.fromisoformat(day), n)
            for day, n in reversed(stats["helpline_transfers_by_day"].items())
        ][:HELPLINE_DAYS],
        closes_at=(
            datetime.fromisoformat(stats["threshold"]["closes_at"])
            if stats["threshold"]["closes_at"]
            else None
        ),
        poll_seconds=POLL_SECONDS,
        age=_age,
        chart_colours=charts.COLOURS,
    )


@bp.get("/c/<slug>/live.json")
def live(slug: str) -> Response:
    resp = jsonify(live_figures(stats_for(slug)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _languages_seen(data: dict[str, series.Series]) -> list[str]:
    seen = {lang for s in data.values() for lang in s.by_language}
    return [lang for lang in charts.LANGUAGE_ORDER if lang in seen]


def _chart(name: str, data: series.Series) -> Markup:
    hourly = name.endswith("_hour")

    def tick(i: int, bucket: str) -> str | None:
        if hourly:
            hour = bucket[11:13]
            if hour == "00":
                return f"{bucket[8:10]}/{bucket[5:7]}"
            return f"{hour}:00" if hour in ("06", "12", "18") else None
        every = 1 if len(data.buckets) <= 10 else 7 if len(data.buckets) > 21 else 2
        last = len(data.buckets) - 1
        return f"{bucket[8:10]}/{bucket[5:7]}" if (last - i) % every == 0 else None

    def describe(bucket: str) -> str:
        return f"{bucket}:00" if hourly else bucket

    return charts.stacked_bars(
        data,
        title=label("chart", name),
        tick=tick,
        describe=describe,
        language_name=lambda code: label("lang", code),
        format_number=num,
    )


def _age(seconds: float | None) -> str:
    if seconds is None:
        return gettext("none")
    if seconds < 120:
        return gettext("%(n)s s", n=int(seconds))
    if seconds < 2 * 3600:
        return gettext("%(n)s min", n=int(seconds // 60))
    if seconds < 2 * 86400:
        return gettext("%(n)s h", n=int(seconds // 3600))
    return ngettext("%(num)s day", "%(num)s days", int(seconds // 86400))
