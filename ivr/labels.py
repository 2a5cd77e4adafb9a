"""Words for the codes the pages show: states, reasons, name statuses, audit actions, roles.

The codes are the data's (`counted`, `possible_duplicate`, ...); their words are English msgids
here and translated in the catalogs. `label("reason", "withheld")` gives the word in the
request's language, or the code itself for a code that has none.
"""

from __future__ import annotations

from flask_babel import get_translations

from petition.i18n import N_, NP_

# A tuple is (context, message): the same English word with another translation elsewhere
# (French says "Comptée" of a signature, "Comptées" of a column of them).
LABELS: dict[str, dict[str, str | tuple[str, str]]] = {
    "role": {
        "admin": N_("admin"),
        "reviewer": N_("reviewer"),
        "viewer": N_("viewer"),
    },
    "lang": {
        "nl": N_("Dutch"),
        "fr": N_("French"),
        "de": N_("German"),
        "en": N_("English"),
        "unknown": N_("No language chosen"),
    },
    "chart": {
        "calls_hour": N_("Calls per hour, last 48 hours"),
        "sigs_hour": N_("Counted signatures per hour, last 48 hours"),
        "calls_day": N_("Calls per day"),
        "sigs_day": N_("Counted signatures per day"),
    },
    "state": {
        "received": NP_("signature state", "Received"),
        "transcribed": NP_("signature state", "Transcribed"),
        "counted": NP_("signature state", "Counted"),
        "needs_review": NP_("signature state", "Needs review"),
        "rejected": NP_("signature state", "Rejected"),
    },
    "reason": {
        "silent": N_("Silent"),
        "duplicate": N_("Duplicate"),
        "possible_duplicate": N_("Possible duplicate (same name, other number)"),
        "withheld": N_("Number withheld"),
        "blocked": N_("Blocked number"),
        "withdrawn": N_("Withdrawn"),
        "erased": N_("Erased"),
        "not_a_name": N_("Not a name"),
        "other": N_("Other"),
        "unclear": N_("Speech, but no words recognised"),
        "not_declared": N_("Declaration not confirmed"),
        "same_audio": N_("Same audio as another number"),
        "burst": N_("Burst from one number range"),
        "attestation_failed": N_("Caller ID attestation failed"),
        "invalidated": N_("Invalidated"),
        "test_call": N_("Test call from the staff pages"),
    },
    # What a bulk invalidation chose its signatures by.
    "selection": {
        "number_range": N_("range"),
        "since": N_("from"),
        "until": N_("before"),
        "audio_group": N_("group"),
        "state": N_("state"),
        "reason": N_("reason"),
    },
    "tab": {
        "review": N_("Held out of the count"),
        "names": N_("Name checks"),
    },
    "name_status": {
        "confirmed": N_("confirmed by a person"),
        "caller": N_("confirmed by the caller in the call"),
        "machine": N_("machine reading, clear"),
        "to_check": N_("to check"),
        "missing": N_("no name given"),
    },
    "doubt": {
        "word_count": N_("unusual number of words"),
        "word_probability": N_("a word heard unsurely"),
        "avg_logprob": N_("unsure transcript"),
        "no_speech": N_("little speech"),
        "unknown_name": N_("not a known name"),
        "not_a_name": N_("does not look like a name"),
        "no_name": N_("no name found"),
        "repetition": N_("repetition loop"),
        "hurried": N_("heard quickly, during a backlog"),
    },
    "audit": {
        "transcribed": N_("transcribed and decided"),
        "accepted": N_("accepted"),
        "rejected": N_("rejected"),
        "name_confirmed": N_("name confirmed"),
        "name_corrected": N_("name corrected"),
        "caller_confirmed": N_("name confirmed by the caller in the call"),
        "caller_refused": N_("name refused by the caller in the call"),
        "name_missing": N_("no name given"),
        "marked_duplicate": N_("marked duplicate"),
        "undone": N_("undone"),
        "erased": N_("erased on request"),
        "sample_drawn": N_("sample drawn"),
        "campaign_created": N_("campaign created"),
        "campaign_changed": N_("campaign details changed"),
        "campaign_opened": N_("campaign opened"),
        "campaign_closed": N_("campaign closed"),
        "campaign_languages": N_("languages changed"),
        "campaign_texts": N_("texts changed"),
        "campaign_name_checks": N_("name checks changed"),
        "greeting_uploaded": N_("greeting uploaded"),
        "greeting_removed": N_("greeting removed"),
        "number_blocked": N_("number blocked"),
        "number_unblocked": N_("number unblocked"),
        "token_created": N_("API token created"),
        "token_revoked": N_("API token revoked"),
        "same_audio": N_("held: same audio as another number"),
        "bulk_invalidated": N_("invalidated in bulk"),
        "bulk_invalidation": N_("bulk invalidation"),
        "bulk_undone": N_("bulk invalidation undone"),
        "campaign_integrity": N_("count guards changed"),
        "number_connected": N_("number connected at the carrier"),
        "number_disconnected": N_("number put back at the carrier"),
        "test_call": N_("test call placed"),
    },
    "prompt": {
        "greeting": N_("Greeting"),
        "thanks": N_("Thank-you"),
    },
    "error": {
        "400": N_(
            "The form had expired or did not come from this site. Nothing was changed. "
            "Reload the page and try again."
        ),
        "403": N_("Your role does not allow this."),
        "404": N_("This page does not exist."),
        "413": N_("The file is too large."),
    },
    "token": {
        "active": N_("Active"),
        "revoked": N_("Revoked"),
    },
    "line": {
        "open": N_("Open"),
        "closed": N_("Closed"),
        "scheduled": N_("Opens later"),
        "ended": N_("Ended"),
    },
}


def label(kind: str, code: str | None) -> str:
    """The word for `code` among the `kind` labels, in the request's language."""
    found = LABELS.get(kind, {}).get(str(code))
    if found is None:
        return str(code)
    if isinstance(found, tuple):
        return str(get_translations().pgettext(*found))
    return str(get_translations().gettext(found))
