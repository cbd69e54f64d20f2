"""Yimen on a WeChat Official Account (公众号): pushes in at /wechat, replies out through the outbox."""
