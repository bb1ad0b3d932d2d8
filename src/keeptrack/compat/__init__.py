"""Adapters with other tracking libraries' call shapes (``deep_sort_realtime``'s ``DeepSort``)."""
