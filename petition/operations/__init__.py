"""Operations: staff accounts and API tokens, the deployment's identity, and the health
figures the pipeline pages and metrics read.

Imports only the shared base."""
