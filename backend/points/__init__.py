"""Credit points (信用+志愿): an append-only double-entry ledger of what people give and redeem."""
