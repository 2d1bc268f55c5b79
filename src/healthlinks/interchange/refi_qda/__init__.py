"""REFI-QDA (QDA-XML 1.0) interchange: .qdpx projects and .qdc codebooks."""
