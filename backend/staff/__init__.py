"""Staff accounts: who may use the office side, with which role, for which street office."""
