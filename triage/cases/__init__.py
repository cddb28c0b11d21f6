"""Cases: deadlines, lifecycle (audited use cases), audit trail, retention."""
