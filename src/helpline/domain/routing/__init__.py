"""The routing engine: which agent gets which interaction, when, and why (pure; `now` is passed in)."""
