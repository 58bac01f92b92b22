"""Repositories: one per aggregate, built for one tenant so no query can forget it."""
