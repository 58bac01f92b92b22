"""The web chat channel: what the embeddable widget is sent and how hard it may push."""
