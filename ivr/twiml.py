"""TwiML for each step of the call, built with twilio.twiml.voice_response."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import url_for
from twilio.twiml.voice_response import Gather, VoiceResponse

from audio.prompt_texts import prompt_text
from audio.prompts import default_prompt_path
from ivr.media import uploaded_prompt_path
from ivr.services import services
from petition.models import Call, Campaign

SAY_LANGUAGE = {"nl": "nl-NL", "fr": "fr-FR", "de": "de-DE", "en": "en-GB"}
MENU_KEYS = {"1": "nl", "2": "fr", "3": "de", "4": "en"}

# The name recording: short, trimmed, ends on silence or on the hash key.
RECORD_MAX_SECONDS = 10
RECORD_SILENCE_TIMEOUT = 3
# The postcode is asked once and, after an invalid answer, once more.
POSTCODE_TRIES = 2


def absolute(endpoint: str, **values: Any) -> str:
    base = services().settings.public_base_url
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


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
        add_prompt(response, campaign, "greeting", language)
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
            finish_on_key="#",
            play_beep=True,
            recording_status_callback=absolute("ivr.recording_status"),
            recording_status_callback_method="POST",
            recording_status_callback_event="completed",
        )
        # Reached only when nothing was recorded.
        add_prompt(response, campaign, "no_recording", language)
        response.hangup()
    return str(response)


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
