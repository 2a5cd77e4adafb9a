"""The staff pages in English, Dutch and French: a dict of messages keyed by id.

The page language is, in order: the switch in the page header (kept in the session), the
signed-in user's own language, the browser's Accept-Language, English.
"""

from __future__ import annotations

from flask import g, request, session
from markupsafe import Markup, escape

LANGUAGES = ("en", "nl", "fr")
LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "fr": "Français"}

# id: (English, Dutch, French). Placeholders use str.format: {n}, {name}, ...
_MESSAGES: dict[str, tuple[str, str, str]] = {
    "app.name": ("Voice petition", "Telefoonpetitie", "Pétition par téléphone"),
    "skip": ("Skip to content", "Naar de inhoud", "Aller au contenu"),
    "nav.campaigns": ("Campaigns", "Campagnes", "Campagnes"),
    "nav.account": ("My account", "Mijn account", "Mon compte"),
    "nav.logout": ("Sign out", "Afmelden", "Se déconnecter"),
    "nav.language": ("Language", "Taal", "Langue"),
    "nav.signed_in_as": (
        "Signed in as {email} ({role})",
        "Aangemeld als {email} ({role})",
        "Connecté·e en tant que {email} ({role})",
    ),
    "nav.main": ("Main menu", "Hoofdmenu", "Menu principal"),
    "nav.campaign": ("Campaign menu", "Campagnemenu", "Menu de la campagne"),
    "role.admin": ("admin", "beheerder", "administrateur"),
    "role.reviewer": ("reviewer", "controleur", "vérificateur"),
    "role.viewer": ("viewer", "lezer", "lecteur"),
    "cnav.overview": ("Overview", "Overzicht", "Vue d'ensemble"),
    "cnav.review": ("Review", "Nakijken", "Vérification"),
    "cnav.signatures": ("Signatures", "Handtekeningen", "Signatures"),
    "cnav.settings": ("Settings", "Instellingen", "Paramètres"),
    # sign-in
    "login.title": ("Staff sign-in", "Aanmelden voor medewerkers", "Connexion du personnel"),
    "login.submit": ("Sign in", "Aanmelden", "Se connecter"),
    "login.failed": (
        "Wrong e-mail address or password.",
        "Verkeerd e-mailadres of wachtwoord.",
        "Adresse e-mail ou mot de passe incorrect.",
    ),
    "login.limited": (
        "Too many failed attempts. Try again in {minutes} minutes.",
        "Te veel mislukte pogingen. Probeer opnieuw over {minutes} minuten.",
        "Trop de tentatives échouées. Réessayez dans {minutes} minutes.",
    ),
    "login.required": (
        "Please sign in to see this page.",
        "Meld u aan om deze pagina te zien.",
        "Connectez-vous pour voir cette page.",
    ),
    "logout.done": ("You are signed out.", "U bent afgemeld.", "Vous êtes déconnecté·e."),
    "field.email": ("E-mail address", "E-mailadres", "Adresse e-mail"),
    "field.password": ("Password", "Wachtwoord", "Mot de passe"),
    # campaigns
    "campaigns.title": ("Campaigns", "Campagnes", "Campagnes"),
    "campaigns.none": (
        "No campaigns yet. Create one with: petition campaign create",
        "Nog geen campagnes. Maak er een met: petition campaign create",
        "Pas encore de campagne. Créez-en une avec : petition campaign create",
    ),
    "col.campaign": ("Campaign", "Campagne", "Campagne"),
    "col.status": ("Status", "Status", "Statut"),
    "col.counted": ("Counted", "Geteld", "Comptées"),
    "col.needs_review": ("To review", "Na te kijken", "À vérifier"),
    "col.target": ("Target", "Doel", "Objectif"),
    "status.open": ("Open", "Open", "Ouverte"),
    "status.closed": ("Closed", "Gesloten", "Clôturée"),
    # overview
    "overview.counted": ("Counted signatures", "Getelde handtekeningen", "Signatures comptées"),
    "overview.of_target": (
        "of {target} needed",
        "van de {target} nodig",
        "sur les {target} nécessaires",
    ),
    "overview.live": (
        "Updates every few seconds.",
        "Wordt om de paar seconden bijgewerkt.",
        "Mis à jour toutes les quelques secondes.",
    ),
    "overview.updated": (
        "Updated {time} UTC",
        "Bijgewerkt om {time} UTC",
        "Mis à jour à {time} UTC",
    ),
    "overview.stale": (
        "Live updates paused: the server cannot be reached.",
        "Live-updates gepauzeerd: de server is niet bereikbaar.",
        "Mises à jour suspendues : le serveur est injoignable.",
    ),
    "overview.by_language": (
        "Counted, by language of the call",
        "Geteld, per taal van de oproep",
        "Comptées, par langue de l'appel",
    ),
    "overview.charts": ("Activity", "Activiteit", "Activité"),
    "stat.calls": ("Calls", "Oproepen", "Appels"),
    "stat.pending": ("Being processed", "In verwerking", "En traitement"),
    "stat.needs_review": ("Held for review", "Wacht op nakijken", "En attente de vérification"),
    "stat.name_checks": ("Names to check", "Namen na te kijken", "Noms à vérifier"),
    "stat.rejected": ("Rejected", "Afgewezen", "Rejetées"),
    "threshold.title": (
        "Progress to the threshold",
        "Voortgang naar de drempel",
        "Progression vers le seuil",
    ),
    "threshold.rule": ("Rule: {title}", "Regel: {title}", "Règle : {title}"),
    "threshold.missing": ("{n} more needed", "Nog {n} nodig", "Encore {n} nécessaires"),
    "threshold.reached": ("Reached", "Bereikt", "Atteint"),
    "threshold.total": ("Total", "Totaal", "Total"),
    "threshold.minimum": ("Minimum", "Minimum", "Minimum"),
    "threshold.missing_col": ("Missing", "Ontbreekt", "Manquant"),
    "threshold.note": ("Please note", "Let op", "À noter"),
    "threshold.eligibility": ("Who may sign", "Wie mag tekenen", "Qui peut signer"),
    "threshold.closes": ("Counts until {date}", "Telt tot {date}", "Compte jusqu'au {date}"),
    "threshold.expired": (
        "The rule's period is over.",
        "De termijn van de regel is voorbij.",
        "La période de la règle est terminée.",
    ),
    "threshold.countries": (
        "Member states above their minimum: {n} of {needed} needed",
        "Lidstaten boven hun minimum: {n} van de {needed} nodig",
        "États membres au-dessus de leur minimum : {n} sur les {needed} nécessaires",
    ),
    "chart.calls_hour": (
        "Calls per hour, last 48 hours (UTC)",
        "Oproepen per uur, laatste 48 uur (UTC)",
        "Appels par heure, 48 dernières heures (UTC)",
    ),
    "chart.sigs_hour": (
        "Counted signatures per hour, last 48 hours (UTC)",
        "Getelde handtekeningen per uur, laatste 48 uur (UTC)",
        "Signatures comptées par heure, 48 dernières heures (UTC)",
    ),
    "chart.calls_day": ("Calls per day (UTC)", "Oproepen per dag (UTC)", "Appels par jour (UTC)"),
    "chart.sigs_day": (
        "Counted signatures per day (UTC)",
        "Getelde handtekeningen per dag (UTC)",
        "Signatures comptées par jour (UTC)",
    ),
    "chart.table": ("Show as a table", "Als tabel tonen", "Afficher en tableau"),
    "chart.when": ("When", "Wanneer", "Quand"),
    "chart.total": ("Total", "Totaal", "Total"),
    "lang.nl": ("Dutch", "Nederlands", "Néerlandais"),
    "lang.fr": ("French", "Frans", "Français"),
    "lang.de": ("German", "Duits", "Allemand"),
    "lang.en": ("English", "Engels", "Anglais"),
    "lang.unknown": ("No language chosen", "Geen taal gekozen", "Pas de langue choisie"),
    "health.title": ("Processing health", "Gezondheid van de verwerking", "État du traitement"),
    "health.queue": ("Jobs in the queue", "Taken in de wachtrij", "Tâches en file d'attente"),
    "health.failed_jobs": ("Failed jobs", "Mislukte taken", "Tâches échouées"),
    "health.workers": ("Workers", "Verwerkers", "Processus de traitement"),
    "health.no_workers": (
        "No worker is running: recordings wait until one starts.",
        "Er draait geen verwerker: opnames wachten tot er een start.",
        "Aucun processus ne tourne : les enregistrements attendent qu'un démarre.",
    ),
    "health.worker_seen": (
        "{state}, last heartbeat {age} ago",
        "{state}, laatste hartslag {age} geleden",
        "{state}, dernier signe de vie il y a {age}",
    ),
    "health.oldest": (
        "Oldest recording waiting",
        "Oudste wachtende opname",
        "Plus ancien enregistrement en attente",
    ),
    "health.pending": ("Recordings waiting", "Wachtende opnames", "Enregistrements en attente"),
    "health.none": ("none", "geen", "aucun"),
    "health.redis_down": (
        "The queue (Redis) cannot be reached: {error}",
        "De wachtrij (Redis) is niet bereikbaar: {error}",
        "La file d'attente (Redis) est injoignable : {error}",
    ),
    "health.failed_recordings": (
        "Recordings that failed",
        "Mislukte opnames",
        "Enregistrements en échec",
    ),
    "health.no_failed": ("None.", "Geen.", "Aucun."),
    "col.recording": ("Recording", "Opname", "Enregistrement"),
    "col.received": ("Received", "Ontvangen", "Reçu"),
    "col.attempts": ("Attempts", "Pogingen", "Tentatives"),
    "col.error": ("Last error", "Laatste fout", "Dernière erreur"),
    "age.s": ("{n} s", "{n} s", "{n} s"),
    "age.min": ("{n} min", "{n} min", "{n} min"),
    "age.h": ("{n} h", "{n} u", "{n} h"),
    "age.d": ("{n} days", "{n} dagen", "{n} jours"),
    # review
    "review.title": ("Review", "Nakijken", "Vérification"),
    "tab.review": ("Held out of the count", "Buiten de telling", "Hors du décompte"),
    "tab.names": ("Name checks", "Naamcontroles", "Vérification des noms"),
    "review.intro.review": (
        "These signatures are not counted until a person decides.",
        "Deze handtekeningen tellen pas mee als iemand beslist.",
        "Ces signatures ne comptent qu'après la décision d'une personne.",
    ),
    "review.intro.names": (
        "These signatures are counted; their names wait for a person: readings the machine was "
        "not sure of, and machine readings drawn at random for the sample audit.",
        "Deze handtekeningen zijn geteld; hun namen wachten op een mens: lezingen waar de machine "
        "niet zeker van was, en machinelezingen die willekeurig voor de steekproef getrokken zijn.",
        "Ces signatures sont comptées ; leurs noms attendent une personne : les lectures dont la "
        "machine n'était pas sûre, et les lectures tirées au hasard pour l'échantillon de "
        "contrôle.",
    ),
    "review.start": ("Start reviewing", "Begin met nakijken", "Commencer la vérification"),
    "review.empty": (
        "Nothing waiting here.",
        "Hier wacht niets.",
        "Rien en attente ici.",
    ),
    "review.more": (
        "Showing the first {n}.",
        "De eerste {n} worden getoond.",
        "Les {n} premières sont affichées.",
    ),
    "col.signed_at": ("Signed at (UTC)", "Getekend op (UTC)", "Signée le (UTC)"),
    "col.name": ("Name", "Naam", "Nom"),
    "col.reason": ("Reason", "Reden", "Motif"),
    "col.language": ("Language", "Taal", "Langue"),
    "col.caller": ("Caller", "Beller", "Appelant"),
    "col.state": ("State", "Status", "État"),
    "col.region": ("Region", "Gewest", "Région"),
    "col.signature": ("Signature", "Handtekening", "Signature"),
    "state.received": ("Received", "Ontvangen", "Reçue"),
    "state.transcribed": ("Transcribed", "Uitgeschreven", "Transcrite"),
    "state.counted": ("Counted", "Geteld", "Comptée"),
    "state.needs_review": ("Needs review", "Na te kijken", "À vérifier"),
    "state.rejected": ("Rejected", "Afgewezen", "Rejetée"),
    "reason.silent": ("Silent", "Stil", "Silencieux"),
    "reason.duplicate": ("Duplicate", "Dubbel", "Doublon"),
    "reason.possible_duplicate": (
        "Possible duplicate (same name, other number)",
        "Mogelijk dubbel (zelfde naam, ander nummer)",
        "Doublon possible (même nom, autre numéro)",
    ),
    "reason.withheld": ("Number withheld", "Nummer afgeschermd", "Numéro masqué"),
    "reason.blocked": ("Blocked number", "Geblokkeerd nummer", "Numéro bloqué"),
    "reason.withdrawn": ("Withdrawn", "Ingetrokken", "Retirée"),
    "reason.erased": ("Erased", "Gewist", "Effacée"),
    "reason.not_a_name": ("Not a name", "Geen naam", "Pas un nom"),
    "reason.other": ("Other", "Andere", "Autre"),
    "reason.unclear": (
        "Speech, but no words recognised",
        "Gesproken, maar geen woorden herkend",
        "Parole, mais aucun mot reconnu",
    ),
    "reason.not_declared": (
        "Declaration not confirmed",
        "Verklaring niet bevestigd",
        "Déclaration non confirmée",
    ),
    "cnav.export": ("Export", "Exporteren", "Exporter"),
    "export.title": (
        "Export for parliament",
        "Export voor het parlement",
        "Export pour le parlement",
    ),
    "export.intro": (
        "The counted signatures: names, postcodes, regions, dates and signature ids. No phone "
        "numbers. The same data always gives the same files.",
        "De getelde handtekeningen: namen, postcodes, gewesten, data en handtekening-id's. Geen "
        "telefoonnummers. Dezelfde gegevens geven altijd dezelfde bestanden.",
        "Les signatures comptées : noms, codes postaux, régions, dates et identifiants. Aucun "
        "numéro de téléphone. Les mêmes données donnent toujours les mêmes fichiers.",
    ),
    "export.pdf": ("Petition as PDF", "Petitie als PDF", "Pétition en PDF"),
    "export.csv": ("Spreadsheet (CSV)", "Rekenblad (CSV)", "Tableur (CSV)"),
    "export.json": ("Data (JSON)", "Gegevens (JSON)", "Données (JSON)"),
    "export.bundle": (
        "Everything for parliament (ZIP: PDF, CSV, JSON, recordings and manifest)",
        "Alles voor het parlement (ZIP: PDF, CSV, JSON, opnames en manifest)",
        "Tout pour le parlement (ZIP : PDF, CSV, JSON, enregistrements et manifeste)",
    ),
    "export.verify": (
        "The manifest lists the SHA-256 of every file; the receiver checks the bundle with "
        "`petition verify FOLDER`.",
        "Het manifest vermeldt de SHA-256 van elk bestand; de ontvanger controleert de bundel "
        "met `petition verify MAP`.",
        "Le manifeste donne le SHA-256 de chaque fichier ; le destinataire vérifie le paquet "
        "avec `petition verify DOSSIER`.",
    ),
    "caller.unrecognised": ("Unrecognised number", "Onherkend nummer", "Numéro non reconnu"),
    "flag.name_check": ("Name to check", "Naam nakijken", "Nom à vérifier"),
    "sig.title": ("Signature {id}", "Handtekening {id}", "Signature {id}"),
    "sig.position": (
        "{n} of {total} in this queue",
        "{n} van {total} in deze wachtrij",
        "{n} sur {total} dans cette file",
    ),
    "sig.not_waiting": (
        "This signature is not waiting for review.",
        "Deze handtekening wacht niet op nakijken.",
        "Cette signature n'attend pas de vérification.",
    ),
    "sig.recording": ("Recording", "Opname", "Enregistrement"),
    "sig.no_recording": (
        "The recording is not available (not fetched yet, or deleted after the retention period).",
        "De opname is niet beschikbaar (nog niet opgehaald, of gewist na de bewaartermijn).",
        "L'enregistrement n'est pas disponible (pas encore récupéré, ou effacé après la durée "
        "de conservation).",
    ),
    "sig.transcript": ("Transcript", "Transcriptie", "Transcription"),
    "sig.confidence": ("Confidence", "Zekerheid", "Confiance"),
    "sig.name_label": ("Name as heard", "Naam zoals gehoord", "Nom tel qu'entendu"),
    "sig.this": ("This signature", "Deze handtekening", "Cette signature"),
    "sig.other": (
        "Signature with the same name",
        "Handtekening met dezelfde naam",
        "Signature avec le même nom",
    ),
    "sig.postcode": ("Postcode", "Postcode", "Code postal"),
    "sig.none": ("(none)", "(geen)", "(aucun)"),
    "action.accept": ("Accept", "Aanvaarden", "Accepter"),
    "action.save_name": ("Save name", "Naam bewaren", "Enregistrer le nom"),
    "action.reject_as": ("Reject as", "Afwijzen als", "Rejeter comme"),
    "action.duplicate": (
        "Same person: reject as duplicate",
        "Zelfde persoon: afwijzen als dubbel",
        "Même personne : rejeter comme doublon",
    ),
    "action.next": ("Next", "Volgende", "Suivante"),
    "action.prev": ("Previous", "Vorige", "Précédente"),
    "action.list": ("Back to the list", "Terug naar de lijst", "Retour à la liste"),
    "keys.title": ("Keyboard shortcuts", "Sneltoetsen", "Raccourcis clavier"),
    "keys.accept": ("accept", "aanvaarden", "accepter"),
    "keys.edit": ("edit the name", "naam bewerken", "modifier le nom"),
    "keys.reject": ("choose a reject reason", "afwijsreden kiezen", "choisir un motif de rejet"),
    "keys.duplicate": ("duplicate", "dubbel", "doublon"),
    "keys.next": ("next", "volgende", "suivante"),
    "keys.prev": ("previous", "vorige", "précédente"),
    "keys.play": ("play or pause", "afspelen of pauzeren", "lecture ou pause"),
    "done.accepted": ("Accepted and counted.", "Aanvaard en geteld.", "Acceptée et comptée."),
    "done.confirmed": ("Name confirmed.", "Naam bevestigd.", "Nom confirmé."),
    "done.accepted_duplicate": (
        "This number was counted already: rejected as a duplicate.",
        "Dit nummer werd al geteld: afgewezen als dubbel.",
        "Ce numéro était déjà compté : rejetée comme doublon.",
    ),
    "done.rejected": ("Rejected.", "Afgewezen.", "Rejetée."),
    "done.name": ("Name saved.", "Naam bewaard.", "Nom enregistré."),
    "done.duplicate": (
        "Rejected as a duplicate.",
        "Afgewezen als dubbel.",
        "Rejetée comme doublon.",
    ),
    "review.stale": (
        "Someone else changed this signature meanwhile; nothing was done. Here it is as it is now.",
        "Iemand anders wijzigde deze handtekening intussen; er is niets gedaan. Hier is ze nu.",
        "Quelqu'un d'autre a modifié cette signature entre-temps ; rien n'a été fait. La voici.",
    ),
    "review.queue_done": (
        "That was the last one in this queue.",
        "Dat was de laatste in deze wachtrij.",
        "C'était la dernière de cette file.",
    ),
    # signatures list
    "sigs.title": ("Signatures", "Handtekeningen", "Signatures"),
    "field.search": ("Name contains", "Naam bevat", "Le nom contient"),
    "field.state": ("State", "Status", "État"),
    "field.language": ("Language", "Taal", "Langue"),
    "field.from": ("Signed from", "Getekend vanaf", "Signée à partir du"),
    "field.to": ("Signed until", "Getekend tot en met", "Signée jusqu'au"),
    "any": ("Any", "Alle", "Tous"),
    "sigs.filter": ("Filter", "Filteren", "Filtrer"),
    "sigs.reset": ("Reset", "Wissen", "Réinitialiser"),
    "sigs.found": ("Found: {n}", "Gevonden: {n}", "Trouvées : {n}"),
    "sigs.first": ("First page", "Eerste pagina", "Première page"),
    "sigs.next": ("Next page", "Volgende pagina", "Page suivante"),
    "sigs.none": (
        "No signature matches.",
        "Geen enkele handtekening voldoet.",
        "Aucune signature ne correspond.",
    ),
    "sigs.bad_date": (
        "Dates are written as YYYY-MM-DD.",
        "Datums schrijft u als JJJJ-MM-DD.",
        "Les dates s'écrivent AAAA-MM-JJ.",
    ),
    # settings
    "settings.title": ("Campaign settings", "Campagne-instellingen", "Paramètres de la campagne"),
    "settings.status": ("Open or closed", "Open of gesloten", "Ouverte ou clôturée"),
    "settings.open_now": (
        "The campaign is open: calls are signatures.",
        "De campagne is open: oproepen zijn handtekeningen.",
        "La campagne est ouverte : les appels sont des signatures.",
    ),
    "settings.closed_now": (
        "The campaign is closed: callers hear that it is closed.",
        "De campagne is gesloten: bellers horen dat ze gesloten is.",
        "La campagne est clôturée : les appelants entendent qu'elle est clôturée.",
    ),
    "action.close": ("Close the campaign", "Campagne sluiten", "Clôturer la campagne"),
    "action.open": ("Open the campaign", "Campagne openen", "Ouvrir la campagne"),
    "settings.languages": ("Languages of the call", "Talen van de oproep", "Langues de l'appel"),
    "settings.languages_hint": (
        "With more than one, callers choose with the keypad; the first is used when they "
        "press nothing.",
        "Bij meer dan één kiezen bellers met de toetsen; de eerste geldt als ze niets drukken.",
        "S'il y en a plusieurs, l'appelant choisit au clavier ; la première vaut s'il "
        "n'appuie sur rien.",
    ),
    "action.save": ("Save", "Opslaan", "Enregistrer"),
    "settings.greetings": (
        "Greeting recordings",
        "Begroeting (opnames)",
        "Accueil (enregistrements)",
    ),
    "settings.greeting_hint": (
        "Any common audio format, at most {seconds} seconds and {mb} MB. It is converted to "
        "telephone quality (8 kHz mono) and played instead of the greeting text.",
        "Elk gangbaar audioformaat, hoogstens {seconds} seconden en {mb} MB. Het wordt omgezet "
        "naar telefoonkwaliteit (8 kHz mono) en speelt in plaats van de begroetingstekst.",
        "Tout format audio courant, au plus {seconds} secondes et {mb} Mo. Il est converti en "
        "qualité téléphone (8 kHz mono) et joué à la place du texte d'accueil.",
    ),
    "settings.uploaded": ("Uploaded recording", "Opgeladen opname", "Enregistrement téléversé"),
    "settings.no_upload": (
        "No upload: callers hear the text below or the default recording.",
        "Geen opname opgeladen: bellers horen de tekst hieronder of de standaardopname.",
        "Aucun envoi : l'appelant entend le texte ci-dessous ou l'enregistrement par défaut.",
    ),
    "field.audio_file": ("Audio file", "Audiobestand", "Fichier audio"),
    "action.upload": ("Upload", "Opladen", "Téléverser"),
    "action.remove": ("Remove", "Verwijderen", "Supprimer"),
    "settings.texts": ("Texts of the call", "Teksten van de oproep", "Textes de l'appel"),
    "settings.texts_hint": (
        "Spoken by the carrier's voice when there is no recording. Leave empty for the "
        "default text, shown as a placeholder.",
        "Uitgesproken door de stem van de operator als er geen opname is. Laat leeg voor de "
        "standaardtekst, die als voorbeeld staat.",
        "Lu par la voix de l'opérateur s'il n'y a pas d'enregistrement. Laissez vide pour le "
        "texte par défaut, affiché en exemple.",
    ),
    "prompt.greeting": ("Greeting", "Begroeting", "Accueil"),
    "prompt.thanks": ("Thank-you", "Bedanking", "Remerciement"),
    "settings.blocked": ("Blocked numbers", "Geblokkeerde nummers", "Numéros bloqués"),
    "settings.blocked_hint": (
        "Calls from a blocked number are held for review instead of counted. Numbers are "
        "stored coded and shown masked. Signatures already counted do not change.",
        "Oproepen van een geblokkeerd nummer wachten op nakijken in plaats van te tellen. "
        "Nummers worden gecodeerd bewaard en gemaskeerd getoond. Al getelde handtekeningen "
        "veranderen niet.",
        "Les appels d'un numéro bloqué attendent une vérification au lieu d'être comptés. Les "
        "numéros sont conservés codés et affichés masqués. Les signatures déjà comptées ne "
        "changent pas.",
    ),
    "field.number": ("Phone number", "Telefoonnummer", "Numéro de téléphone"),
    "field.note": ("Note (optional)", "Notitie (optioneel)", "Note (facultative)"),
    "action.block": ("Block", "Blokkeren", "Bloquer"),
    "action.unblock": ("Unblock", "Deblokkeren", "Débloquer"),
    "settings.no_blocked": (
        "No blocked numbers.",
        "Geen geblokkeerde nummers.",
        "Aucun numéro bloqué.",
    ),
    "col.number": ("Number", "Nummer", "Numéro"),
    "col.note": ("Note", "Notitie", "Note"),
    "col.added": ("Added", "Toegevoegd", "Ajouté"),
    "done.opened": ("The campaign is open.", "De campagne is open.", "La campagne est ouverte."),
    "done.closed": (
        "The campaign is closed.",
        "De campagne is gesloten.",
        "La campagne est clôturée.",
    ),
    "done.languages": ("Languages saved.", "Talen opgeslagen.", "Langues enregistrées."),
    "done.uploaded": (
        "Greeting saved ({seconds} s).",
        "Begroeting bewaard ({seconds} s).",
        "Accueil enregistré ({seconds} s).",
    ),
    "done.upload_removed": (
        "Uploaded greeting removed.",
        "Opgeladen begroeting verwijderd.",
        "Accueil téléversé supprimé.",
    ),
    "done.texts": ("Texts saved.", "Teksten opgeslagen.", "Textes enregistrés."),
    "done.blocked": (
        "Number blocked: {masked}",
        "Nummer geblokkeerd: {masked}",
        "Numéro bloqué : {masked}",
    ),
    "done.unblocked": ("Number unblocked.", "Nummer gedeblokkeerd.", "Numéro débloqué."),
    "err.languages": (
        "Choose at least one language.",
        "Kies minstens één taal.",
        "Choisissez au moins une langue.",
    ),
    "err.no_file": (
        "Choose a file first.",
        "Kies eerst een bestand.",
        "Choisissez d'abord un fichier.",
    ),
    "err.not_audio": (
        "This file is not audio we can read. Upload a WAV, MP3, OGG, FLAC or M4A file.",
        "Dit bestand is geen audio die we kunnen lezen. Laad een WAV-, MP3-, OGG-, FLAC- of "
        "M4A-bestand op.",
        "Ce fichier n'est pas un audio lisible. Envoyez un fichier WAV, MP3, OGG, FLAC ou M4A.",
    ),
    "err.audio_long": (
        "The recording is longer than {seconds} seconds.",
        "De opname duurt langer dan {seconds} seconden.",
        "L'enregistrement dure plus de {seconds} secondes.",
    ),
    "err.audio_short": (
        "The recording is too short.",
        "De opname is te kort.",
        "L'enregistrement est trop court.",
    ),
    "err.number": (
        "This is not a phone number we recognise.",
        "Dit is geen telefoonnummer dat we herkennen.",
        "Ce n'est pas un numéro de téléphone reconnu.",
    ),
    "err.already_blocked": (
        "This number is blocked already.",
        "Dit nummer is al geblokkeerd.",
        "Ce numéro est déjà bloqué.",
    ),
    "err.text_long": (
        "A text has at most {n} characters.",
        "Een tekst heeft hoogstens {n} tekens.",
        "Un texte compte au plus {n} caractères.",
    ),
    # account
    "account.title": ("My account", "Mijn account", "Mon compte"),
    "account.language": (
        "Language of these pages",
        "Taal van deze pagina's",
        "Langue de ces pages",
    ),
    "account.tokens": ("API tokens", "API-sleutels", "Jetons d'API"),
    "account.tokens_hint": (
        "A token lets a program read the staff API (for example {example}) with your role, "
        "{role}. It is shown once: copy it and keep it secret.",
        "Met een sleutel leest een programma de API (bijvoorbeeld {example}) met uw rol, "
        "{role}. Hij wordt één keer getoond: kopieer hem en houd hem geheim.",
        "Un jeton permet à un programme de lire l'API (par exemple {example}) avec votre rôle, "
        "{role}. Il n'est affiché qu'une fois : copiez-le et gardez-le secret.",
    ),
    "field.label": ("What is it for?", "Waarvoor dient hij?", "À quoi sert-il ?"),
    "action.create_token": ("Create a token", "Sleutel aanmaken", "Créer un jeton"),
    "account.new_token": (
        "Your new token. Copy it now: it is not shown again.",
        "Uw nieuwe sleutel. Kopieer hem nu: hij wordt niet opnieuw getoond.",
        "Votre nouveau jeton. Copiez-le maintenant : il ne sera plus affiché.",
    ),
    "col.label": ("Label", "Omschrijving", "Libellé"),
    "col.created": ("Created", "Aangemaakt", "Créé"),
    "col.last_used": ("Last used", "Laatst gebruikt", "Dernière utilisation"),
    "token.active": ("Active", "Actief", "Actif"),
    "token.revoked": ("Revoked", "Ingetrokken", "Révoqué"),
    "action.revoke": ("Revoke", "Intrekken", "Révoquer"),
    "account.no_tokens": ("No tokens yet.", "Nog geen sleutels.", "Pas encore de jeton."),
    "done.revoked": ("Token revoked.", "Sleutel ingetrokken.", "Jeton révoqué."),
    "done.language": ("Language saved.", "Taal opgeslagen.", "Langue enregistrée."),
    "never": ("never", "nooit", "jamais"),
    # errors
    "err.title": ("Something is not right", "Er klopt iets niet", "Quelque chose ne va pas"),
    "err.400": (
        "The form had expired or did not come from this site. Nothing was changed. Reload the "
        "page and try again.",
        "Het formulier was verlopen of kwam niet van deze site. Er is niets gewijzigd. Laad de "
        "pagina opnieuw en probeer nog eens.",
        "Le formulaire avait expiré ou ne venait pas de ce site. Rien n'a été modifié. "
        "Rechargez la page et réessayez.",
    ),
    "err.403": (
        "Your role does not allow this.",
        "Uw rol laat dit niet toe.",
        "Votre rôle ne le permet pas.",
    ),
    "err.404": (
        "This page does not exist.",
        "Deze pagina bestaat niet.",
        "Cette page n'existe pas.",
    ),
    "err.413": (
        "The file is too large.",
        "Het bestand is te groot.",
        "Le fichier est trop volumineux.",
    ),
    "err.back": ("Back to the campaigns", "Terug naar de campagnes", "Retour aux campagnes"),
    # names: status, review at scale, sample audit, audit log
    "col.name_status": ("Name", "Naam", "Nom"),
    "col.reviewer": ("Being reviewed by", "Wordt nagekeken door", "En cours chez"),
    "name_status.confirmed": (
        "confirmed by a person",
        "bevestigd door een mens",
        "confirmé par une personne",
    ),
    "name_status.machine": (
        "machine reading, clear",
        "machinelezing, duidelijk",
        "lecture machine, claire",
    ),
    "name_status.to_check": ("to check", "na te kijken", "à vérifier"),
    "name_status.missing": ("no name given", "geen naam gegeven", "pas de nom donné"),
    "doubt.word_count": (
        "unusual number of words",
        "ongewoon aantal woorden",
        "nombre de mots inhabituel",
    ),
    "doubt.word_probability": (
        "a word heard unsurely",
        "een woord onzeker gehoord",
        "un mot entendu sans certitude",
    ),
    "doubt.avg_logprob": ("unsure transcript", "onzekere transcriptie", "transcription incertaine"),
    "doubt.no_speech": ("little speech", "weinig spraak", "peu de parole"),
    "doubt.unknown_name": ("not a known name", "geen bekende naam", "nom inconnu"),
    "doubt.not_a_name": (
        "does not look like a name",
        "lijkt geen naam",
        "ne ressemble pas à un nom",
    ),
    "doubt.no_name": ("no name found", "geen naam gevonden", "aucun nom trouvé"),
    "doubt.repetition": ("repetition loop", "herhalingslus", "boucle de répétition"),
    "flag.sampled": ("Sample audit", "Steekproef", "Échantillon de contrôle"),
    "review.held_by": (
        "{who} is reviewing this one right now; the queue gives you others.",
        "{who} kijkt deze nu na; de wachtrij geeft u andere.",
        "{who} vérifie celle-ci en ce moment ; la file vous en donne d'autres.",
    ),
    "review.sampled": (
        "Drawn at random for the sample audit: confirm the name if it is right, correct it if not.",
        "Willekeurig getrokken voor de steekproef: bevestig de naam als hij juist is, verbeter hem "
        "anders.",
        "Tirée au hasard pour l'échantillon de contrôle : confirmez le nom s'il est juste, "
        "corrigez-le sinon.",
    ),
    "review.empty_name": (
        "The name is empty: type the name you hear, or mark it as “no name given”.",
        "De naam is leeg: typ de naam die u hoort, of kies “geen naam gegeven”.",
        "Le nom est vide : tapez le nom que vous entendez, ou choisissez « pas de nom donné ».",
    ),
    "sig.suggestions": ("Sounds like", "Klinkt als", "Ressemble à"),
    "sig.history": ("History", "Geschiedenis", "Historique"),
    "action.confirm_name": ("Confirm name", "Naam bevestigen", "Confirmer le nom"),
    "action.no_name": ("No name given", "Geen naam gegeven", "Pas de nom donné"),
    "action.skip": ("Skip", "Overslaan", "Passer"),
    "action.undo": ("Undo", "Ongedaan maken", "Annuler"),
    "keys.confirm": (
        "confirm the name as written",
        "naam bevestigen zoals geschreven",
        "confirmer le nom tel qu'écrit",
    ),
    "keys.type": ("typing corrects it", "typen verbetert hem", "taper le corrige"),
    "keys.suggestion": ("take a suggestion", "suggestie nemen", "prendre une suggestion"),
    "keys.no_name": ("no name given", "geen naam gegeven", "pas de nom donné"),
    "keys.replay": ("play again", "opnieuw afspelen", "réécouter"),
    "keys.skip": ("skip", "overslaan", "passer"),
    "keys.leave_field": ("leaves the name field", "verlaat het naamveld", "quitte le champ du nom"),
    "done.no_name": (
        "Marked: no name given. The signature counts.",
        "Gemarkeerd: geen naam gegeven. De handtekening telt.",
        "Noté : pas de nom donné. La signature compte.",
    ),
    "done.undone": ("Undone.", "Ongedaan gemaakt.", "Annulé."),
    "done.sample": (
        "{n} machine readings drawn at random; they are first in the name-check queue.",
        "{n} machinelezingen willekeurig getrokken; ze staan vooraan in de naamcontrole.",
        "{n} lectures machine tirées au hasard ; elles sont en tête de la vérification des noms.",
    ),
    "done.name_checks": (
        "Name checks saved.",
        "Naamcontroles opgeslagen.",
        "Vérification des noms enregistrée.",
    ),
    "names.title": ("Names", "Namen", "Noms"),
    "names.confirmed_of": (
        "{n} of {total} names confirmed by a person.",
        "{n} van {total} namen bevestigd door een mens.",
        "{n} noms sur {total} confirmés par une personne.",
    ),
    "names.pace": (
        "The team's pace: {n} names in the last hour",
        "Tempo van het team: {n} namen in het afgelopen uur",
        "Rythme de l'équipe : {n} noms la dernière heure",
    ),
    "names.waiting": ("{n} waiting", "{n} wachten", "{n} en attente"),
    "names.eta": (
        "at this pace, ready in about {hours} hours",
        "aan dit tempo klaar over ongeveer {hours} uur",
        "à ce rythme, prêts dans environ {hours} heures",
    ),
    "names.explain": (
        "A machine reading is kept unchecked only when the name check finds it clear; every "
        "other name waits for a person. The export marks each name with its status.",
        "Een machinelezing blijft alleen ongecontroleerd als de naamcontrole haar duidelijk "
        "vindt; elke andere naam wacht op een mens. De export vermeldt bij elke naam de status.",
        "Une lecture machine n'est gardée sans vérification que si le contrôle des noms la juge "
        "claire ; tout autre nom attend une personne. L'export indique le statut de chaque nom.",
    ),
    "sample.title": (
        "Sample audit of machine readings",
        "Steekproef van machinelezingen",
        "Contrôle par échantillon des lectures machine",
    ),
    "sample.estimate": (
        "Machine readings: {share} % right ({low}–{high} %, 95 % interval), from {n} checked at "
        "random on {date}",
        "Machinelezingen: {share} % juist ({low}–{high} %, 95 %-interval), uit {n} willekeurig "
        "nagekeken op {date}",
        "Lectures machine : {share} % justes ({low}–{high} %, intervalle à 95 %), sur {n} "
        "vérifiées au hasard le {date}",
    ),
    "sample.pending": ("{n} still to check", "nog {n} na te kijken", "encore {n} à vérifier"),
    "sample.drawn": (
        "A sample of {n} was drawn on {date}; no name of it is checked yet.",
        "Op {date} werd een steekproef van {n} getrokken; nog geen naam ervan is nagekeken.",
        "Un échantillon de {n} a été tiré le {date} ; aucun de ses noms n'est encore vérifié.",
    ),
    "sample.none": (
        "No sample drawn yet. For a large campaign, check a random sample of machine readings "
        "(400 gives about ±3 %), as authorities do with statements of support.",
        "Nog geen steekproef. Controleer bij een grote campagne een willekeurige steekproef van "
        "machinelezingen (400 geeft ongeveer ±3 %), zoals overheden doen met steunbetuigingen.",
        "Pas encore d'échantillon. Pour une grande campagne, vérifiez un échantillon aléatoire "
        "des lectures machine (400 donnent environ ±3 %), comme les autorités le font pour les "
        "déclarations de soutien.",
    ),
    "sample.size": ("Sample size", "Grootte van de steekproef", "Taille de l'échantillon"),
    "sample.draw": (
        "Draw at random from {n} machine readings",
        "Willekeurig trekken uit {n} machinelezingen",
        "Tirer au hasard parmi {n} lectures machine",
    ),
    "settings.names": ("Name checks", "Naamcontroles", "Vérification des noms"),
    "settings.names_hint": (
        "Normally a person checks the names the machine was not sure of. Switched on, every "
        "name goes to a person, including the machine readings already counted.",
        "Normaal kijkt een mens de namen na waar de machine niet zeker van was. Als dit aan "
        "staat, gaat elke naam naar een mens, ook de machinelezingen die al geteld zijn.",
        "Normalement, une personne vérifie les noms dont la machine n'était pas sûre. Activé, "
        "chaque nom va à une personne, y compris les lectures machine déjà comptées.",
    ),
    "settings.check_every_name": (
        "Every name is checked by a person",
        "Elke naam wordt door een mens nagekeken",
        "Chaque nom est vérifié par une personne",
    ),
    "audit.title": ("Audit log", "Auditlog", "Journal d'audit"),
    "audit.intro": (
        "Every change to this campaign and its signatures, by a person or by the system.",
        "Elke wijziging aan deze campagne en haar handtekeningen, door een mens of door het "
        "systeem.",
        "Chaque modification de cette campagne et de ses signatures, par une personne ou par le "
        "système.",
    ),
    "audit.actor": ("Who", "Wie", "Qui"),
    "audit.action": ("Action", "Actie", "Action"),
    "audit.when": ("When", "Wanneer", "Quand"),
    "audit.change": ("Change", "Wijziging", "Modification"),
    "audit.none": (
        "No events match.",
        "Geen gebeurtenissen gevonden.",
        "Aucun événement ne correspond.",
    ),
    "audit.older": ("Older events", "Oudere gebeurtenissen", "Événements plus anciens"),
    "audit.transcribed": (
        "transcribed and decided",
        "getranscribeerd en beslist",
        "transcrite et décidée",
    ),
    "audit.accepted": ("accepted", "aanvaard", "acceptée"),
    "audit.rejected": ("rejected", "afgewezen", "rejetée"),
    "audit.name_confirmed": ("name confirmed", "naam bevestigd", "nom confirmé"),
    "audit.name_corrected": ("name corrected", "naam verbeterd", "nom corrigé"),
    "audit.name_missing": ("no name given", "geen naam gegeven", "pas de nom donné"),
    "audit.marked_duplicate": ("marked duplicate", "als dubbel gemarkeerd", "marquée doublon"),
    "audit.undone": ("undone", "ongedaan gemaakt", "annulée"),
    "audit.erased": ("erased on request", "gewist op verzoek", "effacée sur demande"),
    "audit.sample_drawn": ("sample drawn", "steekproef getrokken", "échantillon tiré"),
    "audit.campaign_opened": ("campaign opened", "campagne geopend", "campagne ouverte"),
    "audit.campaign_closed": ("campaign closed", "campagne gesloten", "campagne clôturée"),
    "audit.campaign_languages": ("languages changed", "talen gewijzigd", "langues modifiées"),
    "audit.campaign_texts": ("texts changed", "teksten gewijzigd", "textes modifiés"),
    "audit.campaign_name_checks": (
        "name checks changed",
        "naamcontroles gewijzigd",
        "vérification des noms modifiée",
    ),
    "audit.greeting_uploaded": ("greeting uploaded", "begroeting opgeladen", "accueil téléversé"),
    "audit.greeting_removed": ("greeting removed", "begroeting verwijderd", "accueil supprimé"),
    "audit.number_blocked": ("number blocked", "nummer geblokkeerd", "numéro bloqué"),
    "audit.number_unblocked": ("number unblocked", "nummer gedeblokkeerd", "numéro débloqué"),
    "audit.token_created": ("API token created", "API-sleutel aangemaakt", "jeton d'API créé"),
    "audit.token_revoked": ("API token revoked", "API-sleutel ingetrokken", "jeton d'API révoqué"),
    # guarding the count: same audio, bursts, carrier signals, bulk invalidation
    "reason.same_audio": (
        "Same audio as another number",
        "Zelfde opname als een ander nummer",
        "Même enregistrement qu'un autre numéro",
    ),
    "reason.burst": (
        "Burst from one number range",
        "Golf uit één nummerreeks",
        "Afflux d'une même plage de numéros",
    ),
    "reason.attestation_failed": (
        "Caller ID attestation failed",
        "Verificatie nummerweergave mislukt",
        "Attestation du numéro échouée",
    ),
    "reason.invalidated": ("Invalidated", "Ongeldig verklaard", "Invalidée"),
    "group.one_voice": (
        "One voice from {n} numbers",
        "Eén stem van {n} nummers",
        "Une voix depuis {n} numéros",
    ),
    "group.title": (
        "{n} recordings, one voice",
        "{n} opnames, één stem",
        "{n} enregistrements, une voix",
    ),
    "group.intro": (
        "These recordings are near-identical audio, from {numbers} numbers; {waiting} wait "
        "for a decision. One recording played into the line from many numbers is not many "
        "people.",
        "Deze opnames zijn bijna identiek, van {numbers} nummers; {waiting} wachten op een "
        "beslissing. Eén opname die vanaf veel nummers wordt afgespeeld, zijn geen veel mensen.",
        "Ces enregistrements sont presque identiques, depuis {numbers} numéros ; {waiting} "
        "attendent une décision. Un enregistrement rejoué depuis de nombreux numéros n'est pas "
        "de nombreuses personnes.",
    ),
    "group.ranges": ("Number ranges", "Nummerreeksen", "Plages de numéros"),
    "group.members": ("The recordings", "De opnames", "Les enregistrements"),
    "group.listen": (
        "Listen to two or three of them: they should sound the same, not merely say the same name.",
        "Beluister er twee of drie: ze moeten hetzelfde klinken, niet enkel dezelfde naam zeggen.",
        "Écoutez-en deux ou trois : ils doivent sonner pareil, pas seulement dire le même nom.",
    ),
    "group.decide": ("Decide for the group", "Beslis voor de groep", "Décider pour le groupe"),
    "group.reject": (
        "Reject all {n} as one voice replayed",
        "Alle {n} afwijzen als één herhaalde stem",
        "Rejeter les {n} comme une voix rejouée",
    ),
    "group.one_by_one": (
        "Different people after all? Open a recording above and accept it on its own.",
        "Toch verschillende mensen? Open een opname hierboven en aanvaard ze afzonderlijk.",
        "Des personnes différentes, finalement ? Ouvrez un enregistrement ci-dessus et "
        "acceptez-le seul.",
    ),
    "group.nothing": (
        "Nothing in this group waits or counts any more.",
        "Niets in deze groep wacht of telt nog.",
        "Plus rien dans ce groupe n'attend ni ne compte.",
    ),
    "group.member_of": (
        "This recording is one of {n} with the same audio.",
        "Deze opname is een van {n} met dezelfde audio.",
        "Cet enregistrement est l'un des {n} au même son.",
    ),
    "group.review": ("Review the group", "De groep nakijken", "Vérifier le groupe"),
    "done.group_rejected": (
        "Rejected as one voice: {n}. Undo below if that was wrong.",
        "Afgewezen als één stem: {n}. Maak het hieronder ongedaan als dat fout was.",
        "Rejetées comme une seule voix : {n}. Annulez ci-dessous en cas d’erreur.",
    ),
    "bulk.title": ("Invalidate in bulk", "In bulk ongeldig verklaren", "Invalider en masse"),
    "bulk.intro": (
        "Choose signatures by number range, time window, same-audio group, or state and reason. "
        "The preview shows what would change before anything does; applying it is one action "
        "in the audit log, and it can be undone as one.",
        "Kies handtekeningen op nummerreeks, tijdvak, groep met dezelfde opname, of status en "
        "reden. De voorvertoning toont wat zou veranderen voor er iets verandert; toepassen is "
        "één handeling in het auditlogboek, en ze kan als één ongedaan worden gemaakt.",
        "Choisissez des signatures par plage de numéros, période, groupe au même son, ou état et "
        "motif. L'aperçu montre ce qui changerait avant tout changement ; l'application est une "
        "seule action du journal, annulable d'un coup.",
    ),
    "bulk.select": ("Which signatures", "Welke handtekeningen", "Quelles signatures"),
    "bulk.range": ("Number range", "Nummerreeks", "Plage de numéros"),
    "bulk.since": ("Signed from (UTC)", "Getekend vanaf (UTC)", "Signées depuis (UTC)"),
    "bulk.until": ("Signed before (UTC)", "Getekend voor (UTC)", "Signées avant (UTC)"),
    "bulk.group": ("Same-audio group", "Groep met dezelfde opname", "Groupe au même son"),
    "bulk.any": ("any", "alle", "tous"),
    "bulk.preview": ("Preview", "Voorvertoning", "Aperçu"),
    "bulk.hint": (
        "A range is what the overview shows for a burst (+32 470 12), or a shorter start of one "
        "(+32 470). Only signatures counted or waiting for review change.",
        "Een reeks is wat het overzicht bij een golf toont (+32 470 12), of een korter begin "
        "ervan (+32 470). Enkel getelde of na te kijken handtekeningen veranderen.",
        "Une plage est ce que la vue d'ensemble montre pour un afflux (+32 470 12), ou un début "
        "plus court (+32 470). Seules les signatures comptées ou à vérifier changent.",
    ),
    "bulk.preview_title": (
        "What would change",
        "Wat zou veranderen",
        "Ce qui changerait",
    ),
    "bulk.effect": (
        "Would be rejected: {n} (in the count now: {counted}; waiting for review: {held}).",
        "Zouden worden afgewezen: {n} (nu geteld: {counted}; wachtend op nakijken: {held}).",
        "Seraient rejetées : {n} (comptées : {counted} ; en attente de vérification : {held}).",
    ),
    "bulk.counted_now": ("Counted now", "Nu geteld", "Comptées"),
    "bulk.leaving": ("Leaving", "Eruit", "Retirées"),
    "bulk.after": ("After", "Daarna", "Ensuite"),
    "bulk.progress": (
        "Progress to the rule: {before} % → {after} % (missing {missing_before} → "
        "{missing_after}).",
        "Voortgang naar de drempel: {before} % → {after} % (ontbrekend {missing_before} → "
        "{missing_after}).",
        "Progression vers le seuil : {before} % → {after} % (manquantes {missing_before} → "
        "{missing_after}).",
    ),
    "bulk.reason": (
        "Reason for the invalidation",
        "Reden van de ongeldigverklaring",
        "Motif de l'invalidation",
    ),
    "bulk.note": (
        "Note for the audit log",
        "Notitie voor het auditlogboek",
        "Note pour le journal",
    ),
    "bulk.apply": (
        "Invalidate ({n})",
        "Ongeldig verklaren ({n})",
        "Invalider ({n})",
    ),
    "bulk.done_title": (
        "Bulk invalidations",
        "Ongeldigverklaringen in bulk",
        "Invalidations en masse",
    ),
    "bulk.when": ("When (UTC)", "Wanneer (UTC)", "Quand (UTC)"),
    "bulk.who": ("By", "Door", "Par"),
    "bulk.changed": ("Signatures", "Handtekeningen", "Signatures"),
    "bulk.uncounted": ("Were counted", "Waren geteld", "Étaient comptées"),
    "bulk.what": ("Selection", "Selectie", "Sélection"),
    "bulk.undone_by": ("undone by {who}", "ongedaan gemaakt door {who}", "annulée par {who}"),
    "bulk.none": ("None yet.", "Nog geen.", "Aucune pour l'instant."),
    "sel.number_range": ("range", "reeks", "plage"),
    "sel.since": ("from", "vanaf", "depuis"),
    "sel.until": ("before", "voor", "avant"),
    "sel.audio_group": ("group", "groep", "groupe"),
    "sel.state": ("state", "status", "état"),
    "sel.reason": ("reason", "reden", "motif"),
    "done.bulk": (
        "Invalidated: {n}. Undo below if that was wrong.",
        "Ongeldig verklaard: {n}. Maak het hieronder ongedaan als dat fout was.",
        "Invalidées : {n}. Annulez ci-dessous en cas d’erreur.",
    ),
    "done.bulk_undone": (
        "Undone: {n} back as they were; {skipped} changed since and left as they are.",
        "Ongedaan: {n} terug zoals voordien; {skipped} intussen gewijzigd en ongemoeid gelaten.",
        "Annulé : {n} revenues à leur état ; {skipped} modifiées depuis, laissées telles quelles.",
    ),
    "guard.title": ("Guarding the count", "De telling bewaken", "Protection du décompte"),
    "guard.held": (
        "Held for review: {same_audio} same audio as another number, {burst} from a burst, "
        "{attestation} with a failed caller ID attestation.",
        "Ter controle vastgehouden: {same_audio} zelfde opname als een ander nummer, {burst} "
        "uit een golf, {attestation} met mislukte verificatie van de nummerweergave.",
        "Retenues pour vérification : {same_audio} même enregistrement qu'un autre numéro, "
        "{burst} d'un afflux, {attestation} avec attestation du numéro échouée.",
    ),
    "guard.bursts": (
        "Bursts of calls from one number range in the last 24 hours: {n}.",
        "Golven van oproepen uit één nummerreeks in de laatste 24 uur: {n}.",
        "Afflux d'appels d'une même plage de numéros ces dernières 24 heures : {n}.",
    ),
    "guard.no_bursts": (
        "No burst from one number range in the last 24 hours.",
        "Geen golf uit één nummerreeks in de laatste 24 uur.",
        "Aucun afflux d'une même plage de numéros ces dernières 24 heures.",
    ),
    "guard.range": ("Number range", "Nummerreeks", "Plage de numéros"),
    "guard.window": ("Time window", "Tijdvak", "Période"),
    "guard.calls": ("Calls", "Oproepen", "Appels"),
    "guard.baseline": (
        "Usual per range",
        "Gewoonlijk per reeks",
        "Habituel par plage",
    ),
    "settings.integrity": (
        "Guarding the count",
        "De telling bewaken",
        "Protection du décompte",
    ),
    "settings.repeat_call_limit": (
        "Calls from one number before it hears a goodbye",
        "Oproepen van één nummer voor het een afscheid hoort",
        "Appels d'un même numéro avant un au revoir",
    ),
    "settings.repeat_call_hint": (
        "Within {minutes} minutes; the next call hears a short goodbye and nothing is "
        "recorded. 0: no limit.",
        "Binnen {minutes} minuten; de volgende oproep hoort een kort afscheid en er wordt niets "
        "opgenomen. 0: geen grens.",
        "En {minutes} minutes ; l'appel suivant entend un bref au revoir et rien n'est "
        "enregistré. 0 : pas de limite.",
    ),
    "settings.burst_min_calls": (
        "Calls from one number range that make a burst",
        "Oproepen uit één nummerreeks die een golf vormen",
        "Appels d'une même plage qui font un afflux",
    ),
    "settings.burst_hint": (
        "Within {minutes} minutes, and at least {factor} times what a range usually makes "
        "at the campaign's rate of the hour before. 0: no burst check.",
        "Binnen {minutes} minuten, en minstens {factor} keer wat een reeks gewoonlijk haalt "
        "aan het ritme van het uur ervoor. 0: geen controle op golven.",
        "En {minutes} minutes, et au moins {factor} fois ce qu'une plage fait d'habitude au "
        "rythme de l'heure précédente. 0 : pas de contrôle des afflux.",
    ),
    "settings.hold_bursts": (
        "Hold calls from a range in a burst for review",
        "Oproepen uit een reeks in een golf laten nakijken",
        "Retenir pour vérification les appels d'une plage en afflux",
    ),
    "settings.limit_invalid": (
        "Give a whole number from {low} to {high}.",
        "Geef een geheel getal van {low} tot {high}.",
        "Indiquez un nombre entier de {low} à {high}.",
    ),
    "done.integrity": ("Limits saved.", "Grenzen opgeslagen.", "Limites enregistrées."),
    "audit.same_audio": (
        "held: same audio as another number",
        "vastgehouden: zelfde opname als een ander nummer",
        "retenue : même enregistrement qu'un autre numéro",
    ),
    "audit.bulk_invalidated": (
        "invalidated in bulk",
        "in bulk ongeldig verklaard",
        "invalidée en masse",
    ),
    "audit.bulk_invalidation": (
        "bulk invalidation",
        "ongeldigverklaring in bulk",
        "invalidation en masse",
    ),
    "audit.bulk_undone": (
        "bulk invalidation undone",
        "ongeldigverklaring in bulk ongedaan gemaakt",
        "invalidation en masse annulée",
    ),
    "audit.campaign_integrity": (
        "count guards changed",
        "bewaking van de telling gewijzigd",
        "protection du décompte modifiée",
    ),
    # the public, embeddable progress page
    "embed.signatures": ("signatures", "handtekeningen", "signatures"),
    "embed.of": ("of {target}", "van {target}", "sur {target}"),
    "embed.reached": ("Goal reached", "Doel bereikt", "Objectif atteint"),
    "embed.closed": (
        "This petition is closed.",
        "Deze petitie is afgesloten.",
        "Cette pétition est clôturée.",
    ),
}


def pick_language(user_language: str | None = None) -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    if user_language in LANGUAGES:
        return str(user_language)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def current_language() -> str:
    lang = g.get("lang")
    if lang is None:
        user = g.get("user")
        lang = g.lang = pick_language(user.language if user is not None else None)
    return str(lang)


def translate(message_id: str, lang: str | None = None, /, **values: object) -> str:
    """The message in the page language (English when missing), filled with `values`."""
    texts = _MESSAGES.get(message_id)
    if texts is None:
        return message_id
    text = texts[LANGUAGES.index(lang or current_language())] or texts[0]
    return text.format(**values) if values else text


def translate_markup(message_id: str, /, **values: object) -> Markup:
    """translate() for messages that hold markup in their values (a live figure in a span):
    the message is escaped, values that are Markup are kept, other values are escaped."""
    texts = _MESSAGES.get(message_id)
    if texts is None:
        return escape(message_id)
    text = texts[LANGUAGES.index(current_language())] or texts[0]
    return escape(text).format(**values)


def format_number(value: int | float, lang: str | None = None) -> str:
    """25,000 (en), 25.000 (nl), 25 000 (fr, with a narrow no-break space)."""
    lang = lang or current_language()
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    if lang == "nl":
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    if lang == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def messages() -> dict[str, tuple[str, str, str]]:
    return dict(_MESSAGES)
