"""IATI activity standard 2.03: streaming, hardened import and schema-valid export of projects."""
