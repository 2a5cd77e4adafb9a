"""What the voice line says, in Dutch, French, German and English.

The same texts feed the recorded default prompts (audio/prompts/, see make_prompts.py) and the
spoken <Say> fallback.
"""

from __future__ import annotations

LANGUAGES = ("nl", "fr", "de", "en")

PROMPTS: dict[str, dict[str, str]] = {
    "language_menu": {
        "nl": "Voor Nederlands, druk 1.",
        "fr": "Pour le français, tapez 2.",
        "de": "Für Deutsch, drücken Sie 3.",
        "en": "For English, press 4.",
    },
    "greeting": {
        "nl": (
            "Bedankt voor uw oproep. Door na de pieptoon uw naam in te spreken, ondertekent u "
            "deze petitie. Uw naam en opname worden alleen voor deze petitie gebruikt en daarna "
            "gewist; uw telefoonnummer bewaren we alleen in gecodeerde vorm. Zeg na de pieptoon "
            "uw voornaam en achternaam, en leg daarna in of druk op het hekje."
        ),
        "fr": (
            "Merci de votre appel. En laissant votre nom après le bip, vous signez cette "
            "pétition. Votre nom et votre enregistrement servent uniquement à cette pétition et "
            "sont ensuite supprimés ; votre numéro est conservé sous forme codée. Dites votre "
            "prénom et votre nom après le bip, puis raccrochez ou appuyez sur la touche dièse."
        ),
        "de": (
            "Danke für Ihren Anruf. Wenn Sie nach dem Signalton Ihren Namen sagen, unterschreiben "
            "Sie diese Petition. Ihr Name und Ihre Aufnahme werden nur für diese Petition "
            "verwendet und danach gelöscht; Ihre Telefonnummer wird nur in codierter Form "
            "gespeichert. Sagen Sie nach dem Signalton Ihren Vor- und Nachnamen, und legen Sie "
            "dann auf oder drücken Sie die Rautetaste."
        ),
        "en": (
            "Thank you for calling. By leaving your name after the beep, you sign this petition. "
            "Your name and recording are used only for this petition and deleted afterwards; "
            "your phone number is stored only in coded form. Please say your first and last "
            "name after the beep, then hang up or press the hash key."
        ),
    },
    "thanks": {
        "nl": "Bedankt voor uw handtekening. Tot ziens.",
        "fr": "Merci pour votre signature. Au revoir.",
        "de": "Vielen Dank für Ihre Unterschrift. Auf Wiederhören.",
        "en": "Thank you for signing. Goodbye.",
    },
    "too_many_calls": {
        "nl": "U hebt al gebeld. Bedankt voor uw steun. Tot ziens.",
        "fr": "Vous avez déjà appelé. Merci pour votre soutien. Au revoir.",
        "de": "Sie haben bereits angerufen. Vielen Dank für Ihre Unterstützung. Auf Wiederhören.",
        "en": "You have already called. Thank you for your support. Goodbye.",
    },
    "closed": {
        "nl": "Deze petitie is afgesloten. Bedankt voor uw steun. Tot ziens.",
        "fr": "Cette pétition est clôturée. Merci pour votre soutien. Au revoir.",
        "de": "Diese Petition ist abgeschlossen. Vielen Dank für Ihre Unterstützung. "
        "Auf Wiederhören.",
        "en": "This petition is closed. Thank you for your support. Goodbye.",
    },
    "unknown_number": {
        "nl": "Dit nummer is niet in gebruik. Tot ziens.",
        "fr": "Ce numéro n'est pas en service. Au revoir.",
        "de": "Diese Rufnummer ist nicht in Betrieb. Auf Wiederhören.",
        "en": "This number is not in service. Goodbye.",
    },
    "no_recording": {
        "nl": "Helaas hebben we niets gehoord. Tot ziens.",
        "fr": "Désolé, nous n'avons rien entendu. Au revoir.",
        "de": "Leider haben wir nichts gehört. Auf Wiederhören.",
        "en": "Sorry, we did not hear anything. Goodbye.",
    },
    "postcode": {
        "nl": "Toets uw postcode van vier cijfers in, of druk op sterretje om over te slaan.",
        "fr": "Tapez votre code postal à quatre chiffres, ou appuyez sur étoile pour passer.",
        "de": "Bitte geben Sie Ihre vierstellige Postleitzahl ein, oder drücken Sie die "
        "Sterntaste, um diesen Schritt zu überspringen.",
        "en": "Please enter your four-digit postcode, or press star to skip.",
    },
    "postcode_invalid": {
        "nl": "Dat is geen geldige postcode. Probeer het nog één keer.",
        "fr": "Ce code postal n'est pas valide. Veuillez réessayer une fois.",
        "de": "Das war keine gültige Postleitzahl. Bitte versuchen Sie es noch einmal.",
        "en": "That was not a valid postcode. Please try once more.",
    },
    "declaration": {
        "nl": "Druk op 1 om te bevestigen dat u 16 jaar of ouder bent en in België woont.",
        "fr": "Tapez 1 pour confirmer que vous avez 16 ans ou plus et que vous habitez en "
        "Belgique.",
        "de": "Drücken Sie die 1, um zu bestätigen, dass Sie mindestens 16 Jahre alt sind und "
        "in Belgien wohnen.",
        "en": "Press 1 to confirm that you are 16 or older and live in Belgium.",
    },
    "consent": {
        "nl": "Druk op 1 als u ermee akkoord gaat dat uw naam aan de petitie wordt toegevoegd.",
        "fr": "Tapez 1 si vous acceptez que votre nom soit ajouté à la pétition.",
        "de": "Drücken Sie die 1, wenn Sie damit einverstanden sind, dass Ihr Name der "
        "Petition hinzugefügt wird.",
        "en": "Press 1 to agree that your name is added to the petition.",
    },
    "technical_problem": {
        "nl": "Sorry, er is een technisch probleem. Bel later opnieuw, alstublieft.",
        "fr": "Désolé, un problème technique est survenu. Veuillez rappeler plus tard.",
        "de": "Entschuldigung, es gibt ein technisches Problem. Bitte rufen Sie später "
        "noch einmal an.",
        "en": "Sorry, there is a technical problem. Please call again later.",
    },
}


def prompt_text(name: str, language: str) -> str:
    """The text of prompt name in language, or in English when that language has none.

    Raises KeyError for an unknown prompt name.
    """
    texts = PROMPTS[name]
    return texts.get(language) or texts["en"]
