"""avgdesk.web"""
