"""The phone line: campaigns and whether their line takes calls, the calls and recordings
the carrier reports, recordings waiting for a worker, and the helpline's transfers per day.

Imports the shared base, petition.privacy, petition.counting and petition.integrity."""
