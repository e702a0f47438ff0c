//! Client addresses and rate limits: M2 (trusted proxies), M3 (bounded limiter), M4 (atomic reservation).
