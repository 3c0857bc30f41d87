"""Evaluation harnesses: FPS consistency, generation quality, ASR WER, detection accuracy."""
