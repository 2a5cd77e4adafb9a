"""The `petition` command line.

Commands that serve or set up data (`run`, `serve`, `migrate`) create the database when there is
none. Every other command works on existing data: it finds it where `petition run` recorded it
(petition/config.py), and when there is none there it says where it looked and creates nothing.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import click
import redis
import sqlalchemy as sa

from ivr.carrier import connection
from ivr.carrier import preflight as checklist
from ivr.carrier.rest import Carrier, CarrierError
from petition import logs
from petition.config import (
    DataNotFound,
    Settings,
    describe,
    embedded_redis_url,
    load_settings,
    log_options,
    remember,
    safe_url,
)
from petition.counting.thresholds import PRESETS
from petition.db import Database, is_sqlite
from petition.i18n import LANGUAGES
from petition.line import campaigns
from petition.line.helpline import HELP_STEPS
from petition.models import ApiToken, Campaign, Recording, Signature, utcnow
from petition.names.reading import extract_name
from petition.operations.users import MIN_PASSWORD_LENGTH, hash_token
from petition.privacy import phones
from workers.queue import connect, recordings_queue

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


NO_DATA = (
    "{problem}.\nLooked in: {where}.\nStart the service once with `petition run` (it records "
    "where its data is, for every command), or set DATA_DIR or DATABASE_URL."
)


def _settings() -> Settings:
    return load_settings()


def _db(settings: Settings) -> Database:
    """The database, created or migrated; its connections are closed when the command ends."""
    db = Database(settings.database_url)
    click.get_current_context().call_on_close(db.engine.dispose)
    db.migrate()
    return db


def _existing() -> tuple[Settings, Database]:
    """The settings and database of existing data; never a new database or a new key."""
    try:
        settings = load_settings(create=False)
    except DataNotFound as exc:
        raise click.ClickException(
            NO_DATA.format(problem=f"No petition data: {exc}", where=exc.where)
        ) from exc
    url = settings.database_url
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path != ":memory:" and not Path(path).exists():
            raise click.ClickException(
                NO_DATA.format(problem=f"No database at {path}", where=describe(settings))
            )
    db = Database(url)
    click.get_current_context().call_on_close(db.engine.dispose)
    if not db.has_schema():
        raise click.ClickException(
            NO_DATA.format(problem="The database holds no petition data", where=describe(settings))
        )
    db.migrate()  # an older schema is brought up to date
    return settings, db


def _redis_url(settings: Settings) -> str:
    if settings.redis_url:
        return settings.redis_url
    from workers.embedded_redis import ensure_running

    return ensure_running(settings.data_dir)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more (LOG_LEVEL=debug).")
def main(verbose: bool) -> None:
    """Sign a petition by phone: webhooks, workers, campaigns and exports."""
    try:
        fmt, level = log_options()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    logs.configure(fmt, "DEBUG" if verbose else level)
    if not verbose:
        # Alembic says which dialect it uses at every start: noise for a command's user.
        logging.getLogger("alembic").setLevel(logging.WARNING)


@main.command()
def migrate() -> None:
    """Create the database or bring its schema up to date."""
    settings = _settings()
    _db(settings)
    click.echo(f"database is up to date: {safe_url(settings.database_url)}")
    written = remember(settings, dict(os.environ))
    if written:
        click.echo(f"recorded in {written}: every `petition` command now finds this data")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--threads", default=8, show_default=True)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app (webhooks, API, staff pages) only."""
    settings = _settings()
    _db(settings)
    if not settings.redis_url:
        settings = settings.with_changes(redis_url=_redis_url(settings))
    _serve(settings, host, port, threads)


def _serve(settings: Settings, host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    from ivr.app import create_app

    click.echo(f"listening on http://{host}:{port}")
    waitress_serve(create_app(settings), host=host, port=port, threads=threads, ident="petition")


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option(
    "--port",
    type=int,
    default=None,
    help="Answer /healthz, /readyz and /metrics on this port (default: none).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for --port.")
def worker(burst: bool, port: int | None, host: str) -> None:
    """Fetch, transcribe and count recordings (run as many as transcription needs)."""
    from workers.worker import run_worker

    settings = _settings()
    http = (host, port) if port is not None else None
    run_worker(settings, _redis_url(settings), burst=burst, http=http)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", "n_workers", default=1, show_default=True)
@click.option(
    "--grace",
    default=30.0,
    show_default=True,
    help="Seconds a worker may take to finish its job when stopping.",
)
def run(host: str, port: int, n_workers: int, grace: float) -> None:
    """Everything on one machine: web, worker(s) and, unless REDIS_URL is set, Redis.

    Each runs as a child process that is restarted if it dies; SIGTERM or Ctrl-C stops all.
    """
    import shutil

    from ivr.supervisor import Child, Supervisor
    from workers import embedded_redis

    env = dict(os.environ)
    if not env.get("RECORDING_HOSTS"):
        # One-machine mode also accepts recordings from this machine, so
        # `petition simulate-call` works out of the box. Set RECORDING_HOSTS to narrow it.
        env["RECORDING_HOSTS"] = ",".join(("api.twilio.com", *LOOPBACK_HOSTS))
    settings = load_settings(env)
    _db(settings)
    written = remember(settings, dict(os.environ))
    env["DATA_DIR"] = str(settings.data_dir)
    if settings.metrics_dir is None:
        # The children write their metrics here, and the web app's /metrics adds them up.
        env["PROMETHEUS_MULTIPROC_DIR"] = str(settings.data_dir / "metrics")
    metrics_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    me = [sys.executable, "-m", "ivr.cli"]
    children = []
    if not settings.redis_url:
        url = embedded_redis_url(settings.data_dir)
        env["REDIS_URL"] = url
        if embedded_redis.answers(url):
            click.echo(f"using the Redis already running on {url}")
        else:
            children.append(
                Child(
                    "redis",
                    embedded_redis.command(settings.data_dir),
                    env,
                    before_start=lambda: embedded_redis.prepare(settings.data_dir),
                    ready=lambda: embedded_redis.answers(url),
                    stop_timeout=5,
                    stop_last=True,
                )
            )
    if not env.get("WHISPER_THREADS"):
        env["WHISPER_THREADS"] = str(whisper_threads(n_workers, os.cpu_count() or 1))
    children += [
        Child(f"worker-{i + 1}", [*me, "worker"], env, stop_timeout=grace) for i in range(n_workers)
    ]
    children.append(
        Child("web", [*me, "serve", "--host", host, "--port", str(port)], env, stop_timeout=10)
    )
    if settings.backup_keep > 0:
        # Nightly backups into BACKUP_DIR; stopped like the others, its partial file removed.
        children.append(Child("backups", [*me, "nightly-backups"], env, stop_timeout=30))
    click.echo(f"data folder: {settings.data_dir}")
    click.echo(f"database: {safe_url(settings.database_url)}")
    if written:
        click.echo(f"recorded in {written}: every `petition` command now finds this data")
    elif settings.config_file and settings.config_file.exists():
        click.echo(f"configuration file: {settings.config_file}")
    click.echo(f"recordings accepted from: {', '.join(settings.recording_hosts)}")
    if settings.backup_keep > 0:
        click.echo(
            f"nightly backups: {settings.backup_dir} (the {settings.backup_keep} newest kept)"
        )
    raise SystemExit(Supervisor(children).run())


def whisper_threads(workers: int, cores: int) -> int:
    """Whisper's threads for each of `workers` workers on `cores` cores: 0 (every core) for a
    lone worker, else an equal share, so that workers do not fight over the same cores."""
    return 0 if workers <= 1 else max(1, cores // workers)


@main.group()
def campaign() -> None:
    """Create and manage campaigns."""


@campaign.command("create")
@click.option("--slug", required=True, help="Short name, in URLs: lower-case letters, digits, -.")
@click.option("--number", "numbers", required=True, multiple=True, help="E.164, repeatable.")
@click.option("--title", default=None)
@click.option("--description", default="", help="Shown on the public page.")
@click.option(
    "--languages", default="nl,fr,de,en", show_default=True, help="In menu order; first: default."
)
@click.option(
    "--rule", default="be-chamber", show_default=True, type=click.Choice([*PRESETS, "custom"])
)
@click.option("--target", type=int, default=None, help="Signatures needed (custom rule).")
@click.option(
    "--ask-postcode/--no-ask-postcode",
    default=None,
    help="Keypad postcode step [default: on when the rule counts by region].",
)
@click.option("--ask-declaration", is_flag=True)
@click.option("--ask-consent", is_flag=True)
@click.option(
    "--read-back/--no-read-back",
    default=True,
    show_default=True,
    help="Read the name back in the call for the caller to confirm.",
)
@click.option(
    "--keypad-spelling/--no-keypad-spelling",
    default=True,
    show_default=True,
    help="A caller who says the name is wrong spells the surname on the keypad.",
)
@click.option(
    "--helpline",
    default="",
    metavar="E164",
    help="A helpline the caller reaches by pressing 0 (such as +32116000); offered in the call.",
)
@click.option(
    "--offer-helpline/--no-offer-helpline",
    default=None,
    help="Offer the helpline in the call [default: on when --helpline is given].",
)
@click.option(
    "--retention-days",
    type=int,
    default=None,
    help="Days recordings are kept (default: RETENTION_DAYS, 90).",
)
@click.option("--organisation", default="", help="Who brings the petition (on the export).")
@click.option("--time-zone", default="Europe/Brussels", show_default=True)
def campaign_create(
    slug: str,
    numbers: tuple[str, ...],
    title: str | None,
    description: str,
    languages: str,
    rule: str,
    target: int | None,
    ask_postcode: bool | None,
    ask_declaration: bool,
    ask_consent: bool,
    read_back: bool,
    keypad_spelling: bool,
    helpline: str,
    offer_helpline: bool | None,
    retention_days: int | None,
    organisation: str,
    time_zone: str,
) -> None:
    """Create a campaign answering on one or more numbers (the staff pages can too)."""
    langs = tuple(x.strip() for x in languages.split(",") if x.strip())
    if not langs or any(x not in LANGUAGES for x in langs):
        raise click.BadParameter(f"languages must be among nl,fr,de,en (got {languages})")
    settings, db = _existing()
    details = campaigns.CampaignDetails(
        slug=slug,
        title=title or slug,
        numbers=numbers,
        description=description,
        languages=langs,
        rule_key=rule,
        rule_total=target,
        ask_postcode=ask_postcode,
        ask_declaration=ask_declaration,
        ask_consent=ask_consent,
        read_back=read_back,
        keypad_spelling=keypad_spelling,
        helpline=helpline,
        offer_helpline=bool(helpline) if offer_helpline is None else offer_helpline,
        retention_days=retention_days or settings.retention_days,
        organisation_name=organisation,
        time_zone=time_zone,
    )
    try:
        with db.session() as s:
            c = campaigns.create(s, details, actor=f"cli:{getpass.getuser()}")
            answering = ", ".join(n.number for n in c.numbers)
            postcode = "asks" if c.ask_postcode else "does not ask"
    except campaigns.CampaignInvalid as exc:
        raise click.ClickException(
            "; ".join(f"--{name.replace('_', '-')}: {p}" for name, p in exc.problems.items())
        ) from exc
    click.echo(f"campaign {slug} created, answering on {answering}; it {postcode} for a postcode")


@campaign.command("edit")
@click.argument("slug")
@click.option("--read-back/--no-read-back", default=None, help="Read the name back in the call.")
@click.option(
    "--keypad-spelling/--no-keypad-spelling",
    default=None,
    help="Spelling the surname on the keypad after the read-back.",
)
@click.option(
    "--helpline",
    default=None,
    metavar="E164",
    help='The helpline reached with 0 (offered from now on); "" removes it.',
)
@click.option("--offer-helpline/--no-offer-helpline", default=None, help="Offer it in the call.")
def campaign_edit(
    slug: str,
    read_back: bool | None,
    keypad_spelling: bool | None,
    helpline: str | None,
    offer_helpline: bool | None,
) -> None:
    """Change a campaign's call (more settings are on its Details page); audited."""
    _, db = _existing()
    with db.session() as s:
        c = campaigns.by_slug(s, slug)
        if c is None:
            raise click.ClickException(f"no campaign {slug}")
        details = campaigns.CampaignDetails.of(c)
        details = dataclasses.replace(
            details,
            read_back=details.read_back if read_back is None else read_back,
            keypad_spelling=(
                details.keypad_spelling if keypad_spelling is None else keypad_spelling
            ),
            helpline=details.helpline if helpline is None else helpline,
        )
        if offer_helpline is not None or helpline is not None:
            offer = bool(helpline) if offer_helpline is None else offer_helpline
            details = dataclasses.replace(details, offer_helpline=offer)
        try:
            changed = campaigns.update(s, c, details, actor=f"cli:{getpass.getuser()}")
        except campaigns.CampaignInvalid as exc:
            raise click.ClickException(str(exc)) from exc
    if not changed:
        click.echo(f"campaign {slug}: nothing changed")
    for name, value in changed.items():
        shown = ("on" if value else "off") if isinstance(value, bool) else (value or "none")
        click.echo(f"campaign {slug}: {name.replace('_', '-')} {shown}")


@campaign.command("list")
def campaign_list() -> None:
    """Each campaign: slug, whether its line takes calls, languages, rule, numbers."""
    _, db = _existing()
    now = utcnow()
    with db.session() as s:
        for c in s.scalars(sa.select(Campaign).order_by(Campaign.slug)):
            state = campaigns.line_state(c, now).value
            nums = ", ".join(n.number for n in c.numbers)
            click.echo(f"{c.slug}\t{state}\t{c.languages}\t{c.rule_key}\t{nums}")


@campaign.command("close")
@click.argument("slug")
def campaign_close(slug: str) -> None:
    _set_open(slug, False)


@campaign.command("open")
@click.argument("slug")
def campaign_open(slug: str) -> None:
    _set_open(slug, True)


def _set_open(slug: str, is_open: bool) -> None:
    _, db = _existing()
    with db.session() as s:
        c = campaigns.by_slug(s, slug)
        if c is None:
            raise click.ClickException(f"no campaign {slug}")
        campaigns.set_open(s, c, is_open, actor=f"cli:{getpass.getuser()}")
    click.echo(f"campaign {slug} is {'open' if is_open else 'closed'}")


@main.group()
def token() -> None:
    """API tokens for the staff API."""


@token.command("create")
@click.option("--role", type=click.Choice(["viewer", "reviewer", "admin"]), default="viewer")
@click.option("--label", default="")
def token_create(role: str, label: str) -> None:
    """Print a new API token (shown once; only its hash is stored)."""
    value = secrets.token_urlsafe(32)
    _, db = _existing()
    with db.session() as s:
        s.add(ApiToken(token_hash=hash_token(value), role=role, label=label))
    click.echo(value)


@main.group()
def user() -> None:
    """Staff accounts for the staff pages."""


def _password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    return value


@user.command("add", epilog=f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "reviewer", "viewer"]), required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of asking for it.",
)
def user_add(email: str, role: str, password_stdin: bool) -> None:
    """Add a staff account for the staff pages.

    Asks for the password twice (it is not shown as you type), or reads it from standard input
    with --password-stdin (for scripts: `printf '%s\\n' "$PW" | petition user add ...`).
    """
    from petition.operations import users

    _, db = _existing()
    if password_stdin:
        password = _password(sys.stdin.readline().rstrip("\r\n"))
    else:
        password = click.prompt(
            f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt=True,
            value_proc=_password,
        )
    try:
        with db.session() as s:
            users.create_user(s, email, role, password)
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{role} {users.normalize_email(email)} added")


@main.command()
@click.option("--campaign", "slug", required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "pdf"]), default=None)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--bundle",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write PDF, CSV, JSON, the recordings and manifest.json into this folder.",
)
@click.option(
    "--no-recordings",
    is_flag=True,
    help="With --bundle: list each recording's SHA-256 but leave the audio out.",
)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the PDF and the CSV [default: the campaign's first language].",
)
@click.option(
    "--exported-by",
    default=None,
    help="Who exports it, as the PDF's cover says [default: your user name].",
)
def export(
    slug: str,
    fmt: str | None,
    out: Path | None,
    bundle: Path | None,
    no_recordings: bool,
    language: str | None,
    exported_by: str | None,
) -> None:
    """Export the counted signatures (no phone numbers).

    Either one file (--format csv|json|pdf --out FILE) or the full set for parliament with a
    manifest of SHA-256 hashes (--bundle DIR); check a bundle with `petition verify DIR`.
    """
    from petition.errors import PetitionError
    from petition.i18n import time_zone
    from petition.integrity.guards import guard_counts
    from petition.reporting.export import Edition, counted_rows, write_csv, write_json
    from petition.reporting.manifest import sha256_file, write_export
    from petition.reporting.report import write_pdf

    if bundle is None and (fmt is None or out is None):
        raise click.UsageError("give --format and --out, or --bundle DIR")
    if bundle is not None and (fmt is not None or out is not None):
        raise click.UsageError("--bundle writes every format: leave out --format and --out")
    # fontTools logs every step of subsetting the PDF's fonts at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    settings, db = _existing()
    with db.session() as s:
        _read_one_snapshot(s)
        c = s.scalar(sa.select(Campaign).where(Campaign.slug == slug))
        if c is None:
            raise click.ClickException(f"no campaign {slug}")
        edition = Edition(
            language=language or c.language_list[0],
            exported_by=exported_by or getpass.getuser(),
            exported_on=utcnow().replace(tzinfo=UTC).astimezone(time_zone(c.time_zone)).date(),
        )
        try:
            if bundle is not None:
                with _progress_bar("exporting") as progress:
                    manifest_path = write_export(
                        s,
                        c,
                        bundle,
                        recordings_root=settings.recordings_dir,
                        progress_cb=progress,
                        include_recordings=not no_recordings,
                        edition=edition,
                    )
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
                kept = manifest["recordings_summary"]
                click.echo(
                    f"{manifest['signatures']} signatures written to {bundle}: "
                    f"{', '.join(manifest['files'])}, {kept['bundled']} recordings"
                )
                for state in ("not_bundled", "deleted", "missing"):
                    if kept[state]:
                        click.echo(f"recordings {state.replace('_', ' ')}: {kept[state]}", err=True)
                click.echo(f"manifest.json SHA-256: {sha256_file(manifest_path)}")
                return
            assert out is not None
            # Written beside the target and renamed: a failed export leaves no half file.
            part = out.with_name(out.name + ".part")
            try:
                if fmt == "pdf":
                    with _progress_bar("writing PDF") as progress, open(part, "wb") as bfh:
                        n = write_pdf(s, c, bfh, progress_cb=progress, edition=edition)
                else:
                    with open(part, "w", encoding="utf-8", newline="") as fh:
                        n = (
                            write_csv(counted_rows(s, c), fh, edition.localizer(c))
                            if fmt == "csv"
                            else write_json(
                                c, counted_rows(s, c), fh, guarded=guard_counts(s, c.id)
                            )
                        )
                part.replace(out)
            finally:
                part.unlink(missing_ok=True)
        except PetitionError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{n} signatures written to {out}")


def _read_one_snapshot(session: sa.orm.Session) -> None:
    """On PostgreSQL, read every query of an export from one snapshot, so the files agree.

    SQLite has no such mode through its driver; there the export checks its counts instead
    and fails (ExportChanged) if a signature was counted meanwhile.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


@contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback drawing a bar on stderr, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:

        def update(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        yield update


@main.command()
@click.option("--campaign", "slug", required=True)
@click.option("--language", type=click.Choice(["nl", "fr", "de", "en"]), default=None,
              help="One of the campaign's languages; its first by default.")  # fmt: skip
@click.option("--size", type=click.Choice(["A4", "A3"], case_sensitive=False), default="A4",
              show_default=True)  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="FILE.pdf to print, or FILE.png: a square image for social media.")  # fmt: skip
def poster(slug: str, language: str | None, size: str, out: Path) -> None:
    """A poster with the campaign's number, a QR code that dials it and the three steps."""
    from petition.reporting.poster import PosterError, poster_pdf, poster_png, poster_text

    logging.getLogger("fontTools").setLevel(logging.WARNING)
    settings, db = _existing()
    with db.session() as s:
        c = s.scalar(sa.select(Campaign).where(Campaign.slug == slug))
        if c is None:
            raise click.ClickException(f"no campaign {slug}")
        lang = language or c.language_list[0]
        # The page's address on the poster only when the public address is known.
        url = (
            f"{settings.public_base_url.rstrip('/')}/p/{c.slug}/?lang={lang}"
            if settings.public_base_url
            else ""
        )
        try:
            text = poster_text(c, lang, url)
        except PosterError as exc:
            raise click.ClickException(str(exc)) from exc
        made = c.created_at
    square = out.suffix.lower() == ".png"
    data = poster_png(text) if square else poster_pdf(text, size.upper(), made)
    out.write_bytes(data)
    click.echo(f"wrote {out} ({len(data) // 1024} KB)")


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify(folder: Path) -> None:
    """Check an export folder against its manifest.json; exit 1 on any problem."""
    from petition.reporting.manifest import verify_export

    problems = verify_export(folder)
    for problem in problems:
        click.echo(problem)
    if problems:
        raise SystemExit(1)
    click.echo("OK")


@main.command()
@click.option("--campaign", "slug", required=True)
@click.option("--number", required=True, help="The signer's phone number, as they give it.")
@click.option("--actor", default="operator", show_default=True, help="Who handles the request.")
def erase(slug: str, number: str, actor: str) -> None:
    """Erase one signer on request (GDPR): name, recording and count, found by their number."""
    from petition.privacy.erasure import erase_signer
    from petition.privacy.journal import journal_paths

    settings, db = _existing()
    with db.session() as s:
        c = s.scalar(sa.select(Campaign).where(Campaign.slug == slug))
        if c is None:
            raise click.ClickException(f"no campaign {slug}")
        try:
            done = erase_signer(
                s,
                c,
                number,
                hash_key=settings.phone_hash_key,
                actor=actor,
                journal_paths=journal_paths(settings),
            )
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
        except OSError as exc:
            raise click.ClickException(
                f"nothing erased: the erasure list in {settings.data_dir} could not be "
                f"written ({exc}); a restore from a backup would bring the signer back"
            ) from exc
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"erased {done.signatures} signature(s) and {done.recordings} recording(s)")


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The archive to write (default: BACKUP_DIR/petition-<time>.tar.gz).",
)
@click.option("--no-recordings", is_flag=True, help="Leave the recordings out.")
def backup(out: Path | None, no_recordings: bool) -> None:
    """Back up the data while the service runs: database, secrets, recordings (owner-only)."""
    from petition.backups.archive import BackupError, make_backup
    from petition.backups.schedule import backup_name, prune

    settings, _ = _existing()
    nightly_named = out is None
    out = out or settings.backup_dir / backup_name(utcnow())
    if not is_sqlite(settings.database_url):
        click.echo(
            f"The database is PostgreSQL ({safe_url(settings.database_url)}): back it up with "
            "pg_dump (see infra/README.md, Backups). This archive holds the secrets, the "
            "erasure list and the recordings.",
            err=True,
        )
    try:
        made = make_backup(settings, out, recordings=not no_recordings)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if nightly_named and settings.backup_keep > 0:
        prune(settings.backup_dir, settings.backup_keep)
    counts = made.manifest.get("counts") or {}
    click.echo(
        f"wrote {made.path} ({_size(made.size)}): {counts.get('calls', 0)} call(s), "
        f"{counts.get('counted', 0)} signature(s) counted, "
        f"{sum(1 for f in made.manifest['files'] if f.startswith('recordings/'))} recording(s)"
    )


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError("unreachable")


@main.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to restore (default: DATA_DIR, as every command finds it).",
)
@click.option("--force", is_flag=True, help="Move existing data aside (never deleted) first.")
def restore(archive: Path, data_dir: Path | None, force: bool) -> None:
    """Restore a backup: check it, unpack it, update its schema, erase again whom it must."""
    from petition.backups.archive import BackupError
    from petition.backups.restore import restore as restore_archive
    from petition.config import data_dir_of, environment
    from petition.privacy.journal import JOURNAL_NAME

    env = environment()
    target = (data_dir or data_dir_of(env)).absolute()
    # Copies of the erasure list that outlive the data disk: beside the archive, and in
    # BACKUP_DIR when it is set.
    lists = [archive.absolute().parent / JOURNAL_NAME]
    if env.get("BACKUP_DIR"):
        lists.append(Path(env["BACKUP_DIR"]).expanduser().absolute() / JOURNAL_NAME)
    database_url = env.get("DATABASE_URL")
    try:
        done = restore_archive(
            archive, target, force=force, erasure_lists=lists, database_url=database_url
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    _report_restore(done)
    if done.database_restored and database_url and not is_sqlite(database_url):
        click.echo(
            "note: DATABASE_URL names another database; the restored SQLite file is "
            f"{target / 'petition.sqlite3'}",
            err=True,
        )
    click.echo(f"restored into {target}")
    if data_dir is not None:
        click.echo(f"to run on it: DATA_DIR={target} petition run")


def _report_restore(done: Any) -> None:
    manifest = done.manifest
    click.echo(
        f"archive made {manifest.get('made_at')} (schema {manifest.get('schema_revision')}, "
        f"deployment {manifest.get('deployment_id')})"
    )
    if done.moved_aside:
        click.echo(f"the data that was there is kept in {done.moved_aside}")
    if not done.database_restored:
        click.echo(
            "the archive holds no database (PostgreSQL: restore it with pg_restore from its "
            "pg_dump); secrets, erasure list and recordings were restored"
        )
    if done.counts_restored:
        click.echo("restored: " + _figures(done.counts_restored))
    if done.erased_again:
        click.echo(f"erased again: {done.erased_again} signature(s) erased since the backup")
    if done.recordings_past_retention:
        click.echo(f"deleted {done.recordings_past_retention} recording(s) past retention")
    if done.counts_now and not done.database_restored:
        click.echo("in the database now: " + _figures(done.counts_now))
    elif done.counts_now and done.counts_now != done.counts_restored:
        click.echo("now: " + _figures(done.counts_now))


def _figures(counts: dict[str, int]) -> str:
    return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in counts.items())


@main.command("verify-backup")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_backup(archive: Path) -> None:
    """Restore a backup into a temporary folder and compare it with its manifest (exit 1 if not)."""
    from petition.backups.archive import BackupError
    from petition.backups.restore import verify_backup as verify_archive

    try:
        done, problems = verify_archive(archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    _report_restore(done)
    for problem in problems:
        click.echo(problem)
    if problems:
        raise SystemExit(1)
    click.echo(f"OK: {archive} restores, and matches its manifest")


@main.command("nightly-backups", hidden=True)
@click.option("--check-every", default=300.0, help="Seconds between looks at the clock.")
def nightly_backups(check_every: float) -> None:
    """Make the nightly backup when it is due, until stopped (run by `petition run`)."""
    import signal as signals

    from petition.backups.archive import BackupError
    from petition.backups.schedule import RETRY_SECONDS, nightly

    log = logging.getLogger("petition.backups")

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(0)  # the backup under way removes its partial file on the way out

    signals.signal(signals.SIGTERM, stop)
    settings, _ = _existing()
    if settings.backup_keep <= 0:
        log.info("nightly backups are off (BACKUP_KEEP=0)")
    while True:
        wait = check_every
        try:
            made = nightly(settings)
            if made is not None:
                log.info("backup written: %s (%d bytes)", made.path, made.size)
        except BackupError as exc:
            log.error("backup failed, trying again in %d s: %s", RETRY_SECONDS, exc)
            wait = RETRY_SECONDS
        except Exception:
            log.exception("backup failed")
            wait = RETRY_SECONDS
        time.sleep(wait)


@main.command()
def retention() -> None:
    """Delete recordings past their campaign's retention period (workers do it hourly too)."""
    from petition.privacy.erasure import apply_retention

    _, db = _existing()
    with db.session() as s:
        n = apply_retention(s)
    click.echo(f"deleted {n} recording(s)")


@main.command("simulate-call")
@click.option("--campaign", "slug", default=None, help="Campaign to call (default: the only one).")
@click.option("--number", "dialled", default=None, help="Number to dial instead of a campaign.")
@click.option(
    "--language", type=click.Choice(["nl", "fr", "de", "en"]), default="fr", show_default=True
)
@click.option(
    "--say", "text", default=None, help='What the caller says, e.g. "Je m\'appelle Sophie Dubois".'
)
@click.option(
    "--from", "caller", default=None, help="Caller number (default: a random Belgian mobile)."
)
@click.option("--postcode", default=None)
@click.option(
    "--name",
    default=None,
    help="The name the caller said, to answer the read-back (default: the name in --say).",
)
@click.option(
    "--listen",
    "listener",
    type=click.Choice(["close", "always", "never", "hangup", "spell-wrong"]),
    default="close",
    show_default=True,
    help="At the read-back: press 1 when it is their name (close), else spell the surname; "
    "always 1; never 1; hang up; or spell a wrong surname.",
)
@click.option(
    "--press-help",
    type=click.Choice(HELP_STEPS),
    default=None,
    help="Press 0 for the helpline at this step of the call.",
)
@click.option(
    "--helpline-answers",
    "helpline_outcome",
    type=click.Choice(["completed", "no-answer", "busy", "failed"]),
    default="completed",
    show_default=True,
    help="What the carrier reports of the call to the helpline.",
)
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True)
@click.option(
    "--wait",
    "wait_seconds",
    default=120.0,
    show_default=True,
    help="Seconds to wait for the signature to be decided (0: don't wait).",
)
def simulate_call_cmd(
    slug: str | None,
    dialled: str | None,
    language: str,
    text: str | None,
    caller: str | None,
    postcode: str | None,
    name: str | None,
    listener: str,
    press_help: str | None,
    helpline_outcome: str,
    base_url: str,
    wait_seconds: float,
) -> None:
    """Call the local service like the carrier would, with a synthesized voice."""
    from audio.synth import SynthError
    from ivr.simulator import RecordingServer, simulate_call, synthesize_to_temp

    settings, db = _existing()
    with db.session() as s:
        if dialled is None:
            query = sa.select(Campaign)
            if slug:
                query = query.where(Campaign.slug == slug)
            found = s.scalars(query).all()
            if len(found) != 1:
                raise click.ClickException("name a campaign with --campaign (or a --number)")
            dialled = found[0].numbers[0].number
            languages = found[0].language_list
            if language not in languages:
                language = languages[0]
    text = text or DEFAULT_SAYINGS[language]
    name = name or extract_name(text, language).name
    caller = caller or f"+32470{secrets.randbelow(10**6):06d}"
    try:
        wav = synthesize_to_temp(text, language)
    except SynthError as exc:
        raise click.ClickException(str(exc)) from exc
    shown = (
        phones.mask(phones.normalize(caller) or caller)
        if not phones.is_withheld(caller)
        else caller
    )
    click.echo(f"calling {dialled} from {shown}, saying in {language}: {text}")
    with RecordingServer(wav, settings.twilio_account_sid, settings.twilio_auth_token) as server:
        call = simulate_call(
            settings,
            base_url=base_url,
            dialled=dialled,
            caller=caller,
            language=language,
            server=server,
            postcode=postcode,
            wait_for_fetch=wait_seconds,
            name=name,
            listener=listener,
            press_help=press_help,
            helpline_outcome=helpline_outcome,
        )
    for line in call.transcript:
        click.echo(f"  {line}")
    if press_help and not call.put_through_to:
        click.echo(
            f"note: 0 at the {press_help} did not reach a helpline: this campaign offers none, "
            "or the call has no such step. Set one with `petition campaign edit SLUG "
            "--helpline +32116000`.",
            err=True,
        )
    if call.read_back_after is not None:
        click.echo(f"read back {call.read_back_after:.1f} s after the recording ended")
    if postcode and not call.postcode_asked and not call.put_through_to:
        click.echo(
            f"note: this campaign does not ask for a postcode, so --postcode {postcode} was not "
            "keyed in and the signature counts in no region. Switch the postcode step on in the "
            "campaign's details (staff pages).",
            err=True,
        )
    if not call.recording_sid or wait_seconds <= 0:
        return
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        with db.session() as s:
            sig = s.scalar(
                sa.select(Signature)
                .join(Recording)
                .where(Recording.recording_sid == call.recording_sid)
            )
            rec = s.scalar(
                sa.select(Recording).where(Recording.recording_sid == call.recording_sid)
            )
            if sig is not None and sig.state != "received":
                click.echo(
                    json.dumps(
                        {
                            "signature": sig.public_id,
                            "state": sig.state,
                            "reason": sig.reason,
                            "name": sig.name,
                            "name_status": sig.name_status,
                            "transcript": sig.transcript,
                        },
                        ensure_ascii=False,
                    )
                )
                return
            if rec is not None and rec.status == "failed":
                raise click.ClickException(f"recording failed: {rec.last_error}")
        time.sleep(0.5)
    raise click.ClickException(
        "no decision yet: is a worker running (`petition run` or `petition worker`)?"
    )


DEFAULT_SAYINGS = {
    "nl": "Mijn naam is Jan Peeters",
    "fr": "Je m'appelle Sophie Dubois",
    "de": "Ich heiße Anna Schmidt",
    "en": "My name is John Smith",
}


# The carrier: connect the campaign's number, put it back, check the line (ivr/carrier/).


def _carrier_redis(settings: Settings) -> redis.Redis | None:
    """Redis for the connect lock and the workers' check; None when it cannot be reached (an
    embedded Redis that is not running is not started: there would be no worker on it)."""
    try:
        conn = connect(settings.redis_url or embedded_redis_url(settings.data_dir))
        conn.ping()
        return conn
    except (redis.RedisError, OSError):
        return None


def _carrier(settings: Settings) -> Carrier:
    try:
        return Carrier(settings)
    except CarrierError as exc:
        raise click.ClickException(str(exc.said)) from exc


@main.group()
def number() -> None:
    """Connect a campaign's number at the carrier, or put it back as it was."""


@number.command("connect")
@click.option("--campaign", "slug", required=True)
@click.option("--number", "phone", default=None, help="E.164; default: the campaign's number.")
@click.option(
    "--replace", is_flag=True, help="Take over a number whose calls go to another service."
)
def number_connect(slug: str, phone: str | None, replace: bool) -> None:
    settings, db = _existing()
    carrier = _carrier(settings)
    try:
        done = connection.connect(
            db,
            carrier,
            settings,
            slug,
            actor=f"cli:{getpass.getuser()}",
            number=phone,
            replace=replace,
            lock=_carrier_redis(settings),
        )
    except (connection.ConnectRefused, CarrierError) as exc:
        raise click.ClickException(str(exc.said)) from exc
    if not done.changed:
        click.echo(f"{done.phone_number} already sends its calls here; nothing changed.")
        return
    ours = connection.webhook_settings(settings.public_base_url or "")
    click.echo(f"{done.phone_number} now sends its calls to campaign {slug}:")
    click.echo(f"  voice URL        {ours['voice_url']} (POST)")
    click.echo(f"  status callback  {ours['status_callback']} (POST)")
    before = done.before
    click.echo(
        "Before: voice URL "
        + (f"{before['voice_url']} ({before['voice_method']})" if before["voice_url"] else "none")
        + ", status callback "
        + (before["status_callback"] or "none")
    )
    click.echo(f"To put it back: petition number disconnect --campaign {slug}")


@number.command("disconnect")
@click.option("--campaign", "slug", required=True)
def number_disconnect(slug: str) -> None:
    settings, db = _existing()
    carrier = _carrier(settings)
    try:
        done = connection.disconnect(
            db,
            carrier,
            settings,
            slug,
            actor=f"cli:{getpass.getuser()}",
            lock=_carrier_redis(settings),
        )
    except (connection.ConnectRefused, CarrierError) as exc:
        raise click.ClickException(str(exc.said)) from exc
    for d in done:
        if d.restored:
            click.echo(f"{d.phone_number} put back: voice URL {d.now.get('voice_url') or 'none'}")
        else:
            click.echo(
                f"{d.phone_number} no longer sent its calls here; left as it was "
                f"({d.now.get('voice_url') or 'no voice URL'})."
            )


@main.command()
@click.option("--campaign", "slug", required=True)
def preflight(slug: str) -> None:
    """Check the line before it goes public; exits 1 when a line fails."""
    settings, db = _existing()
    conn = _carrier_redis(settings)
    queue = recordings_queue(settings, db, conn) if conn is not None else None
    with db.session() as s:
        c = campaigns.by_slug(s, slug)
        if c is None:
            raise click.ClickException(f"no campaign {slug}")
        lines = checklist.run(settings, s, c, queue)
    for line in lines:
        mark = "ok  " if line.ok else "FAIL"
        click.echo(f"{mark} {checklist.TITLES[line.key]}: {line.said}")
        if line.difference is not None:
            d = line.difference
            click.echo(f"       signed:  {d.before}[{d.signed}]{d.after}")
            click.echo(f"       checked: {d.before}[{d.checked}]{d.after}")
    failed = sum(not line.ok for line in lines)
    if failed:
        click.echo(f"{failed} of {len(lines)} checks failed.")
        sys.exit(1)
    click.echo(f"All {len(lines)} checks hold: the line is ready.")


if __name__ == "__main__":
    main()
