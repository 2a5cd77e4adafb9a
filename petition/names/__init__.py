"""Names: reading a name from what Whisper heard, the lexicon of real names, the name check
that calls a reading clear, and the random samples staff check.

Imports only the shared base (petition.models, .audit, .errors, ...)."""
