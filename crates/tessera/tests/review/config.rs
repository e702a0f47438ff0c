//! Configuration, secrets and outbound HTTP: L2, L3, L4, L8, I3, I10, RSA signing (I7).
