"""Request and response models of the API (inputs and outputs kept separate)."""
