from __future__ import annotations

import numpy as np

from studio.vision import box_iou, nms


def test_box_iou() -> None:
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    assert np.allclose(box_iou(a, b)[0], [1.0, 1 / 3, 0.0])


def test_nms_drops_overlaps_and_optionally_nested_boxes() -> None:
    boxes = np.array([[0, 0, 100, 100], [5, 5, 105, 105], [10, 10, 60, 60], [200, 200, 250, 250]], dtype=float)
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    assert nms(boxes, scores, 0.5).tolist() == [0, 2, 3]  # the small inner box overlaps little (IoU 0.25)
    assert nms(boxes, scores, 0.5, contained=0.85).tolist() == [0, 3]  # ...but lies wholly inside the best one
    loose_first = np.array([[10, 10, 60, 60], [0, 0, 100, 100]], dtype=float)
    assert nms(loose_first, np.array([0.9, 0.5]), 0.5, contained=0.85).tolist() == [0]  # a loose worse box goes too


def test_selection_and_scaling_keep_every_per_box_field() -> None:
    from studio.vision import Detections

    found = Detections(
        np.array([[0, 0, 10, 10], [5, 5, 20, 20], [1, 1, 2, 2]], np.float32),
        np.array([0.9, 0.4, 0.7], np.float32),
        ("cat", "dog", "cat"),
        extra={"class_id": np.array([15, 16, 15]), "area": np.array([100.0, 225.0, 1.0])},
    )
    cats = found.keep(np.array([label == "cat" for label in found.labels]))
    assert cats.labels == ("cat", "cat") and cats.extra["class_id"].tolist() == [15, 15]
    assert cats.extra["area"].tolist() == [100.0, 1.0]
    doubled = cats.scaled(2.0, 3.0)
    assert doubled.xyxy[0].tolist() == [0, 0, 20, 30] and doubled.extra["class_id"].tolist() == [15, 15]
