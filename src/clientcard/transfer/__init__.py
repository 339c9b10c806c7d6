"""Import and export: the exporter contract, spreadsheet guards, and the customers and
bookings imports."""
