"""Every demo worker's passphrase, shown on the demo's sign-in screen: in a module of its own so
that the sign-in screen does not import the KDF's modules (hashlib, hmac) to show it (start-up,
issue 18). `credentials` gives the same name."""

DEMO_PASSPHRASE = "demo1234"
