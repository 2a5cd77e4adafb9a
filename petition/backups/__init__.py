"""Backups of one machine's data: the archive (database, secrets, recordings, manifest), its
restore and verification, and the nightly backups that `petition run` makes.

Imports petition.privacy (a restore erases again the signers erased since), petition.operations
and the shared base."""
