"""The neighbourhood inspection (wijkschouw) without Telegram: categories and statuses of
findings, what organisers and reporters type, the texts, the CSV/GeoJSON export and the map."""
