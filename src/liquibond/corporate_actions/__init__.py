"""Corporate actions: coupons, redemptions and issuer calls, from record date to payment."""
