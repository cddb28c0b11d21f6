"""avgdesk.mailbox"""
