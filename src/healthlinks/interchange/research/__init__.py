"""The pseudonymised research export: tidy tables (CSV and Parquet) of partnerships, institutions, consenting
people, stays, ties, activities, trainee outcomes, results and costs, with a data dictionary and small-cell
warnings (docs/research-export.md)."""
