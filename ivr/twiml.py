"""TwiML for each step of the call, built with twilio.twiml.voice_response."""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.voice_response import Gather, VoiceResponse

from audio.prompt_texts import prompt_text
from audio.prompts import default_prompt_path
from ivr.media import uploaded_prompt_path
from ivr.urls import absolute
from petition.i18n import N_, Localizer
from petition.line import helpline
from petition.models import Call, Campaign
from petition.privacy import phones

SAY_LANGUAGE = {"nl": "nl-NL", "fr": "fr-FR", "de": "de-DE", "en": "en-GB"}
MENU_KEYS = {"1": "nl", "2": "fr", "3": "de", "4": "en"}

# The name recording: short, trimmed, ends on silence or on the hash key.
RECORD_MAX_SECONDS = 10
RECORD_SILENCE_TIMEOUT = 3
# The postcode is asked once and, after an invalid answer, once more.
POSTCODE_TRIES = 2


def custom_text(campaign: Campaign | None, name: str, language: str) -> str | None:
    texts = (campaign.prompts or {}).get(name, {}) if campaign else {}
    value = texts.get(language) if isinstance(texts, dict) else None
    return value or None


def add_prompt(
    target: VoiceResponse | Gather, campaign: Campaign | None, name: str, language: str
) -> None:
    """Recorded audio when there is some for this text; otherwise spoken by the carrier."""
    text = custom_text(campaign, name, language)
    has_upload = campaign is not None and uploaded_prompt_path(campaign, name, language).exists()
    has_default = text is None and default_prompt_path(name, language) is not None
    if has_upload or has_default:
        slug = campaign.slug if campaign else "_"
        target.play(absolute("ivr.prompt_audio", slug=slug, language=language, name=name))
    else:
        target.say(text or prompt_text(name, language), language=SAY_LANGUAGE[language])


def spoken_goodbye(name: str, languages: Sequence[str], campaign: Campaign | None = None) -> str:
    """One short prompt in each of `languages`, then hang up."""
    response = VoiceResponse()
    for language in languages:
        add_prompt(response, campaign, name, language)
    response.hangup()
    return str(response)


def language_menu(campaign: Campaign) -> str:
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=absolute("ivr.language"), method="POST", timeout=6)
    for lang in campaign.language_list:
        add_prompt(gather, campaign, "language_menu", lang)
    response.append(gather)
    # No key pressed: continue in the campaign's first language.
    response.redirect(absolute("ivr.language"), method="POST")
    return str(response)


def next_step(campaign: Campaign, call: Call, *, with_greeting: bool = False) -> str:
    """The first step the caller has not done yet, after the greeting when it is due."""
    language = call.language or campaign.language_list[0]
    response = VoiceResponse()
    if with_greeting:
        _greeting(response, campaign, language)
    if campaign.ask_postcode and call.postcode is None and call.postcode_attempts < POSTCODE_TRIES:
        prompt = "postcode" if call.postcode_attempts == 0 else "postcode_invalid"
        _gather(response, campaign, prompt, language, "ivr.postcode", digits=4)
    elif campaign.ask_declaration and call.declared is None:
        _gather(response, campaign, "declaration", language, "ivr.declaration", digits=1)
    elif campaign.ask_consent and call.consented is None:
        _gather(response, campaign, "consent", language, "ivr.consent", digits=1)
    else:
        response.record(
            action=absolute("ivr.recorded"),
            method="POST",
            max_length=RECORD_MAX_SECONDS,
            timeout=RECORD_SILENCE_TIMEOUT,
            trim="trim-silence",
            # 0 ends the recording too when it reaches the helpline (what was said is kept).
            finish_on_key="#0" if helpline.offered(campaign) else "#",
            play_beep=True,
            recording_status_callback=absolute("ivr.recording_status"),
            recording_status_callback_method="POST",
            recording_status_callback_event="completed",
        )
        # Reached only when nothing was recorded.
        add_prompt(response, campaign, "no_recording", language)
        response.hangup()
    return str(response)


def _greeting(response: VoiceResponse, campaign: Campaign, language: str) -> None:
    """The greeting; with a helpline, inside a one-key <Gather> so that 0 works while it plays,
    with the offer after it. Silence moves on to the next step after a second."""
    if not helpline.offered(campaign):
        add_prompt(response, campaign, "greeting", language)
        return
    gather = Gather(
        num_digits=1, action=absolute("ivr.greeting_key"), method="POST", timeout=GREETING_WAIT
    )
    add_prompt(gather, campaign, "greeting", language)
    _say(gather, HELPLINE_OFFER, language)
    response.append(gather)


def _gather(
    response: VoiceResponse,
    campaign: Campaign,
    prompt: str,
    language: str,
    endpoint: str,
    digits: int,
) -> None:
    gather = Gather(
        num_digits=digits,
        finish_on_key="#",
        action=absolute(endpoint),
        method="POST",
        timeout=8,
    )
    add_prompt(gather, campaign, prompt, language)
    response.append(gather)
    # Silence counts as an answer (skipped), so the call always moves on.
    response.redirect(absolute(endpoint), method="POST")


def thanks(campaign: Campaign | None, language: str) -> str:
    return spoken_goodbye("thanks", [language], campaign)


# The helpline (petition/line/helpline.py): offered after the greeting, reached with 0.
HELPLINE_OFFER = N_("If you need to talk to someone, press 0 at any time.")
HELPLINE_CONNECTING = N_(
    "We are putting you through to someone who can help. Please stay on the line."
)
HELPLINE_UNANSWERED = N_(
    "No one could answer right now. Please call the helpline yourself on %(number)s. "
    "Again: %(number)s. Take care of yourself."
)
# Seconds the greeting's <Gather> waits for a key after the offer, before the next step.
GREETING_WAIT = 1
# Seconds the helpline may ring before the caller hears its number to call back.
HELPLINE_RING_SECONDS = 30


def put_through(campaign: Campaign, language: str, caller_id: str | None) -> str:
    """ "We are putting you through", then <Dial> the helpline with the campaign's number as
    caller ID. Nothing of the transfer is recorded; the call ends with it."""
    assert campaign.helpline is not None
    response = VoiceResponse()
    _say(response, HELPLINE_CONNECTING, language)
    dial = response.dial(
        caller_id=caller_id,
        action=absolute("ivr.helpline_ended"),
        method="POST",
        timeout=HELPLINE_RING_SECONDS,
        record="do-not-record",
    )
    dial.number(campaign.helpline)
    return str(response)


def helpline_ended(campaign: Campaign, language: str, dial_status: str, caller_region: str) -> str:
    """After the <Dial>: a call the helpline took ends there; one it could not take (busy, no
    answer, failed) ends with its number, twice, to call back."""
    response = VoiceResponse()
    if dial_status not in ("completed", "answered") and campaign.helpline:
        number = phones.spoken_digits(campaign.helpline, caller_region)
        _say(response, HELPLINE_UNANSWERED, language, number=number)
    response.hangup()
    return str(response)


# Read-back (petition/names/readback.py): what the caller hears after the beep when the
# campaign reads names back. The texts are msgids of the catalogs, in the call's language.
ONE_MOMENT = N_("One moment, please.")
READ_BACK = N_("We heard: %(name)s, %(letters)s. Press 1 if that is right, 2 to spell it.")
READ_BACK_WITHOUT_SPELLING = N_(
    "We heard: %(name)s, %(letters)s. Press 1 if that is right, 2 if it is not."
)
PRESS_1_OR_2 = N_("Please press 1 or 2.")
SPELL = {
    "surname": N_(
        "Spell your last name on the keypad, one key per letter: for M, press 6. Then press "
        "hash. Star starts again."
    ),
    "given": N_("Spell your first name on the keypad, one key per letter, then press hash."),
}
# No spelling fitted: the letters exactly, two keys a letter (keypad.parse_key_pairs).
SPELL_EXACT = N_(
    "Let us take the letters exactly: for each letter, press its key, then 1, 2, 3 or 4 for "
    "its place on the key. M is 6 then 1; S is 7 then 4. Then press hash."
)
SPELL_EXACT_AGAIN = N_(
    "Each letter is two keys: its key, then its place on the key, 1 to 4. Please try again, "
    "then press hash."
)
# The caller spoke, but no name came out of it.
SPELL_UNHEARD = N_(
    "We could not make out your name. Spell your last name on the keypad, one key per "
    "letter: for M, press 6. Then press hash."
)
GIVEN_NAME_CHECK = N_(
    "And your first name: %(name)s, %(letters)s. Press 1 if that is right, 2 to spell it."
)
SPELL_PROBLEMS = {
    "empty": N_("We did not get any keys. Please spell your last name, then press the hash key."),
    "no_letters": N_(
        "The keys 0 and 1 have no letters. Please spell your last name again, "
        "then press the hash key."
    ),
    "too_long": N_(
        "That was too many keys. Please spell only your last name, then press the hash key."
    ),
}
SPELLED_CANDIDATE = N_("%(letters)s? Press 1 for yes, 2 for no.")
NAME_NOTED = N_("Thank you. Your name is noted.")
PERSON_WILL_CHECK = N_("Thank you. Someone from the campaign will check how your name is written.")
# Seconds of silence after which a keypad question counts as unanswered.
ANSWER_TIMEOUT = 6
SPELL_TIMEOUT = 8
# Each question is asked once more after an answer that does not fit, then the call moves on.
ASKED_AT_MOST = 2


def _say(target: VoiceResponse | Gather, message: str, language: str, **values: object) -> None:
    target.say(Localizer(language).gettext(message, **values), language=SAY_LANGUAGE[language])


def spelled_out(letters: Sequence[str]) -> str:
    """Letters as the carrier's voice reads them one by one: "D, U, B, O, I, S"."""
    return ", ".join(letters)


def one_moment(campaign: Campaign, language: str, recording_sid: str) -> str:
    """While the live lane decodes the name: a short "one moment", then ask again."""
    response = VoiceResponse()
    _say(response, ONE_MOMENT, language)
    response.redirect(absolute("readback.read_back", r=recording_sid), method="POST")
    return str(response)


def keep_waiting(recording_sid: str) -> str:
    response = VoiceResponse()
    response.pause(length=1)
    response.redirect(absolute("readback.read_back", r=recording_sid), method="POST")
    return str(response)


def _one_key_question(
    action: str, language: str, attempt: int, message: str, **values: object
) -> VoiceResponse:
    """A question answered with one key (1 or 2): asked again with "Please press 1 or 2." in
    front after an answer that did not fit. The caller adds what follows a silence."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=action, method="POST", timeout=ANSWER_TIMEOUT)
    if attempt > 1:
        _say(gather, PRESS_1_OR_2, language)
    _say(gather, message, language, **values)
    response.append(gather)
    return response


def read_back(
    campaign: Campaign,
    language: str,
    recording_sid: str,
    name: str,
    surname_letters: Sequence[str],
    *,
    attempt: int = 1,
) -> str:
    """ "We heard: Sophie Dubois, D, U, B, O, I, S. Press 1 ..., 2 ..." as a one-key question."""
    response = _one_key_question(
        absolute("readback.read_back_answer", r=recording_sid, n=attempt),
        language,
        attempt,
        READ_BACK if campaign.keypad_spelling else READ_BACK_WITHOUT_SPELLING,
        name=name,
        letters=spelled_out(surname_letters),
    )
    # Silence: the name stays as it was, and the caller is thanked.
    add_prompt(response, campaign, "thanks", language)
    response.hangup()
    return str(response)


def spell(
    campaign: Campaign,
    language: str,
    recording_sid: str,
    part: str,
    *,
    problem: str | None,
    attempt: int,
    unheard: bool = False,
    exact: bool = False,
) -> str:
    """The keypad step for a part of the name: one key per letter, # ends it, * starts again.
    `unheard`: no name was heard, and the caller is told so first. `exact`: two keys a letter.
    """
    response = VoiceResponse()
    gather = Gather(
        finish_on_key="#",
        action=absolute("readback.spelled", r=recording_sid, p=part, n=attempt, **_exact(exact)),
        method="POST",
        timeout=SPELL_TIMEOUT,
    )
    _say(gather, _spell_prompt(part, problem, unheard=unheard, exact=exact), language)
    response.append(gather)
    add_prompt(response, campaign, "thanks", language)
    response.hangup()
    return str(response)


def _exact(exact: bool) -> dict[str, int]:
    return {"x": 1} if exact else {}


def _spell_prompt(part: str, problem: str | None, *, unheard: bool, exact: bool) -> str:
    if exact:
        return SPELL_EXACT_AGAIN if problem else SPELL_EXACT
    if problem:
        return SPELL_PROBLEMS.get(problem, SPELL_PROBLEMS["no_letters"])
    return SPELL_UNHEARD if unheard else SPELL[part]


def offer_spelling(
    campaign: Campaign,
    language: str,
    recording_sid: str,
    part: str,
    candidate_letters: Sequence[str],
    index: int,
    *,
    attempt: int = 1,
    exact: bool = False,
) -> str:
    """One spelling that fits the keys, letter by letter: 1 confirms it, 2 asks for the next."""
    response = _one_key_question(
        absolute(
            "readback.spelling_answer", r=recording_sid, p=part, i=index, n=attempt, **_exact(exact)
        ),
        language,
        attempt,
        SPELLED_CANDIDATE,
        letters=spelled_out(candidate_letters),
    )
    _say(response, PERSON_WILL_CHECK, language)
    add_prompt(response, campaign, "thanks", language)
    response.hangup()
    return str(response)


def given_name_check(
    campaign: Campaign,
    language: str,
    recording_sid: str,
    given: str,
    given_letters: Sequence[str],
    *,
    attempt: int = 1,
) -> str:
    """After a spelled surname: the first name as heard, for the caller to confirm or spell."""
    response = _one_key_question(
        absolute("readback.given_name_answer", r=recording_sid, n=attempt),
        language,
        attempt,
        GIVEN_NAME_CHECK,
        name=given,
        letters=spelled_out(given_letters),
    )
    _say(response, NAME_NOTED, language)
    add_prompt(response, campaign, "thanks", language)
    response.hangup()
    return str(response)


def goodbye_after_read_back(campaign: Campaign, language: str, *, noted: bool) -> str:
    """The end of the call: "your name is noted" or "someone will check", then the thank-you."""
    response = VoiceResponse()
    _say(response, NAME_NOTED if noted else PERSON_WILL_CHECK, language)
    add_prompt(response, campaign, "thanks", language)
    response.hangup()
    return str(response)
