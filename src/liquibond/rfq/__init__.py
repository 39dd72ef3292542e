"""Request for quote: requesters ask dealers for prices, and trade on one."""
