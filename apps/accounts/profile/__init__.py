"""The signed-in user's own pages: profile, sessions and account deletion."""
