"""The credit + volunteer scheme (信用+志愿): an append-only double-entry ledger of the points
people earn and redeem, honour certificates at milestones of service, and named funds of money."""
