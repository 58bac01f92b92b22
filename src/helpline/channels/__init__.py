"""Adapters to outside channel systems (email, chat, voice, SMS); filled by the channel issues."""
