"""The web UI's hooks into the command line and the demo (see avgdesk.triage.plugins)."""
