"""Frontends: read trained networks and lower them, bit-exactly, to a LogicNet."""
