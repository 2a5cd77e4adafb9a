"""Counting: the rules that decide a signature (counted, held, rejected), postcodes to
regions, the thresholds of each parliament, and the counted tally against them.

Imports the shared base, petition.names and petition.integrity."""
