"""Offline-first sync: the device's outbox and sync client, and the protocol types that the
central API (ohjaus_central) shares. No Textual import here."""
