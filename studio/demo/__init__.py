"""The demo video, built locally with its ground truth (:func:`make_demo_media`)."""

from studio.demo.footage import DEMO_SHOTS, DemoMedia, DemoShot, make_demo_media

__all__ = ["DEMO_SHOTS", "DemoMedia", "DemoShot", "make_demo_media"]
