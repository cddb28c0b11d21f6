"""avgdesk.classifiers"""
