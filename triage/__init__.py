"""avgdesk.triage"""
