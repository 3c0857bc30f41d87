"""Gradio Blocks front end: build_demo() -> gr.Blocks with named API endpoints."""
