"""Reading and writing: MOTChallenge files, video and image sources and sinks."""
