"""Field types: text, numbers and money, dates, e-mail and phone, choices, yes/no, url."""
