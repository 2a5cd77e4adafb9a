"""Privacy: callers' numbers (E.164, keyed hash, masked form), erasure of one signer, and
deleting recordings past their retention.

Imports the shared base and petition.integrity (a recording's fingerprint goes with it)."""
