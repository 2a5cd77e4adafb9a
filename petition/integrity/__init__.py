"""Integrity of the count: per-number limits, bursts from a number range, caller-ID
attestation, and the audio fingerprints that find one recording played from many numbers.

Imports only the shared base."""
