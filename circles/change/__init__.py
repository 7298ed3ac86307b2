"""The Change stage: benefits realised against a comparison group, successful family outcomes, the case for change."""
