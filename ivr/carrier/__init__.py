"""The carrier's side of the line, through its REST API: connect a number to a campaign, check
the line before launch (preflight), and read what the carrier reports (alerts), plus the
signature refusals the webhooks record. The REST adapter is rest.py; nothing else talks to the
carrier."""
