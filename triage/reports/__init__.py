"""What avgdesk reports: the weekly summary and the status."""
