"""What ShapesWorld contains: its objects, colours, styles and the words for them.

Everything the world can show has a name in English and Korean here; rendering and
captions read these tables, and nothing else defines a word.
"""

from __future__ import annotations

SHAPES = ("circle", "square", "triangle", "diamond", "star", "cross")
COLOURS = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink")
SIZES = ("small", "large")
POSITIONS = ("left", "right", "top", "bottom", "center")
BACKGROUNDS = ("light", "dark")              # the two groups of the bias audit
RELATIONS = ("left of", "above", "and")      # how a two-object caption relates its objects
# "labelled": single objects of seen compositions from a stream of their own, never in a
# caption: the labelled images of supervised baselines, few-shot probes and fine-tuning
SPLITS = ("train", "test", "heldout", "labelled")
# How an object is drawn: the distribution shifts of notebook 05. "flat" is the world of the
# first notebooks; "photo" adds sensor noise and light falloff; "painted" fills with strokes.
STYLES = ("flat", "sketch", "pixel", "photo", "painted")
# Background patterns named like three shapes: "star" is an object and a background of
# stars, so a bare class name is ambiguous the way ImageNet's "crane" or "boxer" is.
PATTERNS = ("plain", "stars", "crosses", "diamonds")
PATTERN_SHAPE = {"stars": "star", "crosses": "cross", "diamonds": "diamond"}
# How a picture can be worse or different, as ImageNet's photos are and OpenAI's 80 templates
# say ("a blurry photo of", "a low resolution photo of", "a photo of many"): each a visible
# change of the image (render.degrade; "many" draws the object several times).
QUALITIES = ("low_resolution", "blurry", "jpeg", "dark", "bright", "low_contrast", "high_contrast", "cropped",
             "close_up", "many")
POLYSEMOUS = tuple(PATTERN_SHAPE.values())   # class words with a second meaning in this world
MAX_OBJECTS = 4
NUMBER_WORDS = {"en": ("one", "two", "three", "four"), "ko": ("한", "두", "세", "네")}

RGB = {
    "red": (220, 40, 40), "orange": (245, 140, 20), "yellow": (235, 210, 30),
    "green": (40, 170, 60), "cyan": (40, 200, 220), "blue": (40, 70, 220),
    "purple": (140, 60, 200), "pink": (240, 110, 180),
}

KOREAN = {
    "circle": "원", "square": "정사각형", "triangle": "삼각형", "diamond": "마름모",
    "star": "별", "cross": "십자 모양",
    "red": "빨간", "orange": "주황색", "yellow": "노란", "green": "초록색",
    "cyan": "하늘색", "blue": "파란", "purple": "보라색", "pink": "분홍색",
    "small": "작은", "large": "큰", "light": "밝은", "dark": "어두운",
    "broken": "부서진",
    "flat": "평면", "sketch": "스케치", "pixel": "픽셀 아트", "photo": "사진", "painted": "회화풍",
    "low_resolution": "저해상도", "blurry": "흐릿한", "jpeg": "JPEG 손상", "bright": "밝은",
    "low_contrast": "저대비", "high_contrast": "고대비", "cropped": "잘린", "close_up": "클로즈업", "many": "여러 개",
}
PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles", "diamond": "diamonds",
          "star": "stars", "cross": "crosses"}
POSITION_PHRASE = {
    "en": {"left": "on the left", "right": "on the right", "top": "at the top",
           "bottom": "at the bottom", "center": "in the center"},
    "ko": {"left": "왼쪽에", "right": "오른쪽에", "top": "위쪽에", "bottom": "아래쪽에",
           "center": "가운데에"},
}

NAME_STYLES = ("en", "synonym", "descriptive", "ko", "ko+en")
SHAPE_SYNONYMS = {"circle": "round shape", "square": "four-sided box", "triangle": "three-sided shape",
                  "diamond": "rhombus", "star": "five-pointed star", "cross": "plus sign"}
# The paper's fix for ambiguous labels ("…, a type of pet"), for the names with two meanings
# only (a targeted edit, as the paper's were): "red star" → "red star, a kind of shape"
DESCRIPTIVE_SUFFIX = ", a kind of shape"


def class_name(colour: str, shape: str, style: str = "en"):
    """One colour–shape class in a naming style of `NAME_STYLES` ("ko+en": both, a list)."""
    english, korean = f"{colour} {shape}", f"{KOREAN[colour]} {KOREAN[shape]}"
    return {"en": english, "synonym": f"{colour} {SHAPE_SYNONYMS[shape]}",
            "descriptive": english + DESCRIPTIVE_SUFFIX if shape in POLYSEMOUS else english,
            "ko": korean, "ko+en": [english, korean]}[style]
