"""From the mailbox (or the contact form) to a case: store, read, process, link."""
