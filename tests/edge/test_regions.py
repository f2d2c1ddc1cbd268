"""Motion regions: squares of at least the model's size around what moves, inside the frame, few of them."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from detectors.tiles import Tile
from edge.config import RegionsConfig
from edge.regions import Motion, MotionRegions

W, H = 1280, 720


def scene(*squares: tuple[int, int, int]) -> np.ndarray:
    """A grey 1280x720 frame with white squares (x, y, side)."""
    image = np.full((H, W, 3), 90, np.uint8)
    for x, y, side in squares:
        image[y : y + side, x : x + side] = 255
    return image


def regions(**config: object) -> MotionRegions:
    return MotionRegions(RegionsConfig.model_validate({"enabled": True, **config}), model_size=416)


def test_nothing_moves_no_region() -> None:
    finder = regions()
    assert finder.find(scene((100, 100, 40))).tiles == []  # the first frame only learns the background
    assert finder.find(scene((100, 100, 40))).tiles == []


def test_a_small_moving_thing_gets_one_square_of_the_model_size_around_it() -> None:
    finder = regions()
    finder.find(scene())
    motion = finder.find(scene((600, 300, 30)))
    assert len(motion.tiles) == 1
    tile = motion.tiles[0]
    assert (tile.width, tile.height) == (416, 416)
    assert tile.x1 <= 600
    assert tile.x2 >= 630
    assert tile.y1 <= 300
    assert tile.y2 >= 330
    assert motion.blobs  # where it moved, in frame pixels
    x1, y1, x2, y2 = motion.blobs[0]
    assert x1 <= 605
    assert x2 >= 625
    assert y1 <= 305
    assert y2 >= 325


def test_a_square_near_the_corner_stays_inside_the_frame() -> None:
    finder = regions()
    finder.find(scene())
    tile = finder.find(scene((1250, 700, 20))).tiles[0]
    assert (tile.x2, tile.y2, tile.width, tile.height) == (W, H, 416, 416)


def test_things_far_apart_get_their_own_squares_up_to_max_regions() -> None:
    finder = regions(max_regions=2)
    finder.find(scene())
    motion = finder.find(scene((50, 50, 30), (1100, 50, 30), (600, 600, 30)))
    assert len(motion.tiles) == 2


def test_things_close_together_share_a_square() -> None:
    finder = regions()
    finder.find(scene())
    assert len(finder.find(scene((500, 300, 30), (700, 400, 30))).tiles) == 1


def test_a_big_mover_gets_a_square_as_big_as_itself() -> None:
    finder = regions()
    finder.find(scene())
    tile = finder.find(scene((300, 100, 500))).tiles[0]
    assert tile.width >= 500
    assert tile.height >= 500


def test_crop_detections_must_sit_on_motion() -> None:
    found = sv.Detections(
        xyxy=np.asarray([[600, 300, 630, 360], [100, 100, 140, 160]], np.float32),
        confidence=np.asarray([0.9, 0.9], np.float32),
        class_id=np.asarray([0, 0]),
    )
    motion = Motion(tiles=[Tile(400, 100, 816, 516)], blobs=[(590, 290, 640, 370)])
    kept = motion.moving_only(found)
    assert kept.xyxy.tolist() == [[600, 300, 630, 360]]


@pytest.mark.parametrize("change", [{"max_regions": 0}, {"min_size": 10}, {"colour": 1}])
def test_bad_settings_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(change))):
        RegionsConfig.model_validate(change)
