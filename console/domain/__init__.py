"""Pure, synchronous domain: plans, money rules, preview, funding, ids, events and fold."""
