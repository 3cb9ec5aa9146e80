"""Sample data shipped with accountbot (CSV files in the import formats) and the script that makes them."""
