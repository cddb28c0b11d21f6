"""avgdesk.replies"""
