"""Imports: a source (CSV today: `csv_formats`) parses a file into rows (`rows`), `writers` writes them in
one transaction, and `files.import_file` does both, then brings the stored values up to date. A new source
(a CRM export) builds the same rows and goes through `import_rows`. See docs/data.md#getting-your-data-in-and-out."""
