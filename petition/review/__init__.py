"""Review: what people decide about signatures: the review queues under leases, accepting,
correcting and undoing, and invalidating many signatures at once after a preview.

Imports the shared base, petition.line, petition.counting, petition.names and petition.integrity."""
