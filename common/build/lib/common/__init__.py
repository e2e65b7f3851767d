"""Cross-cutting pieces shared by every food delivery service: no domain logic lives here."""
