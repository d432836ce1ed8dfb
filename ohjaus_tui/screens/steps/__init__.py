"""The panels of the contact flow, one module a step."""
