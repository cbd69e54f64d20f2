"""Getting notifications to residents: when they may be sent, and through which channel."""
