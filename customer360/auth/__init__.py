"""Who may ask what, and how much one request may cost: identities, roles, purposes, masking,
and the limits that keep any single request from taking the service down."""
