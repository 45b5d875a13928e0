"""Tools for people who write the knowledge base: invariants, runner strategies, the
CLIPS oracle. They need hypothesis (the ``authoring`` extra); nothing else imports them.
"""
