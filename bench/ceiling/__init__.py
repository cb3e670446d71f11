"""A minimal page that shows what this server can do at best, to compare the shop pages with."""
