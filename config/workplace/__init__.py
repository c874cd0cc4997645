"""The dispatchers' workplace in the admin: fleet risk board, crossings dashboard, alerts inbox, language."""
