"""The outside world: event store, person register, cipher, loading and transcoding."""
