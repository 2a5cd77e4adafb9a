"""The phone line: campaigns and whether their line takes calls, the calls and recordings
the carrier reports, and recordings waiting for a worker.

Imports the shared base, petition.privacy, petition.counting and petition.integrity."""
