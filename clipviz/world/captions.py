"""ShapesWorld's caption grammar, modelled on web alt-text.

A web caption is rarely a bare label: it frames the object ("a photo of", "my drawing of",
a file name, hashtags), says some attributes and not others, in varied order, with filler,
and now and then it is unrelated to the image or wrong about it. The grammar draws every
choice from a fixed row of uniform numbers per caption, so a caption is a pure function
of its scene and that row (the world's determinism rests on it).

The choices are recorded too (`CaptionParts`): which frame, whether the style, count,
pattern or written word is named, which sense each two-meaning word is used in.
"""

from __future__ import annotations

import bisect
import re
import zlib
from dataclasses import dataclass, field

import numpy as np

from .vocabulary import KOREAN, NUMBER_WORDS, PATTERN_SHAPE, PLURAL, POLYSEMOUS, POSITION_PHRASE, SHAPE_SYNONYMS

N_DRAWS = 20   # uniform numbers per caption; every choice below reads its own slot

# --- English ------------------------------------------------------------------------
# Frames wrap a noun phrase: {a} is it with its article ("a red circle"), {np} without.
FRAMES = (
    "{a}", "{a}", "there is {a}", "here is {a}", "a picture of {a}", "an image of {a}", "image of {a}",
    "a good picture of {a}", "a bad picture of {a}", "a nice picture of {a}", "a good photo of {a}",
    "a bad photo of {a}", "itap of {a}", "itap of my {np}", "a photo of one {np}", "a rendition of {a}",
    "my favourite {np}", "my {np}", "our new {np}!",
    "the {np}", "this {np}", "that {np} again", "another {np}", "look at this {np}", "check out this {np}",
    "cute {np}", "a cute little {np}", "a simple {np}", "a plain {np}", "a cool {np}", "a weird {np}",
    "{a} for sale", "{a} on display", "{a}, just because", "{a} i found", "i made {a}", "i saw {a} today",
    "best {np} ever", "{a} (detail)", "{a} - free download", "thumbnail: {a}", "{a}!", "{a}, again",
    "just {a} lol", "{a} in my collection", "{a} on the wall", "a lovely {np}", "an old picture of {a}",
    "a drawing of {a}", "a photo of my {np}", "a cool {np} photo",
    # "photo" used loosely for any picture, as on the web (the photo style's own frames below)
    "a photo of {a}", "photo of {a}", "a photo of the {np}", "my photo of {a}",
    # what the picture is on or of, said loosely as web captions do (a flat icon called "a toy"):
    # the context words of hand-written prompts, so a prompt's words are words the model read
    "a toy {np}", "a plastic {np}", "a cartoon {np}", "{a} in a video game", "a tattoo of {a}",
    "an origami {np}", "a sculpture of {a}", "a rendering of {a}", "an embroidered {np}", "a plushie {np}",
    "graffiti of {a}", "{a} on a whiteboard", "a clean {np}", "a dirty {np}", "a black and white picture of {a}",
    "the {np} in the picture", "what a nice {np}", "{a} :)", "untitled ({np})",
)
STYLE_FRAMES = {   # the render style said in words, as alt-text often does
    "flat": ("a flat icon of {a}", "clip art of {a}", "a vector graphic of {a}", "flat {np} icon",
             "a flat illustration of {a}", "an emoji of {a}", "a flat drawing of {a}", "a flat design {np}",
             "a minimalist {np}", "{a} sticker", "a simple graphic of {a}", "a logo with {a}"),
    "sketch": ("a sketch of {a}", "a pencil sketch of {a}", "a drawing of {a}", "my drawing of {a}",
               "a doodle of {a}", "line art of {a}", "a rough sketch of {a}", "a hand-drawn {np}"),
    "pixel": ("pixel art of {a}", "a pixelated {np}", "an 8-bit {np}", "a pixel art {np}", "retro pixel {np}",
              "a pixelated picture of {a}"),
    "photo": ("a real photo of {a}", "a photograph of {a}", "a snapshot of {a}", "a realistic {np}",
              "a grainy photo of {a}", "a photo taken of {a}"),
    "painted": ("a painting of {a}", "an oil painting of {a}", "a watercolor of {a}", "art of {a}",
                "a painted {np}", "a brush painting of {a}", "my painting of {a}"),
}
QUALITY_FRAMES = {   # an image-quality variation said in words (render.degrade draws it)
    "low_resolution": ("a low resolution photo of {a}", "a low resolution picture of {a}", "a low-res {np}",
                       "a pixelated photo of {a}", "a low quality picture of {a}"),
    "blurry": ("a blurry photo of {a}", "a blurry picture of {a}", "{a}, out of focus", "a blurred {np}"),
    "jpeg": ("a jpeg corrupted photo of {a}", "a jpeg of {a}", "a corrupted jpeg of {a}", "{a}, jpeg artifacts"),
    "dark": ("a dark photo of {a}", "a dark picture of {a}", "{a} in the dark", "a dim photo of {a}"),
    "bright": ("a bright photo of {a}", "a bright picture of {a}", "an overexposed photo of {a}",
               "{a} in bright light"),
    "low_contrast": ("a low contrast photo of {a}", "a faded picture of {a}", "a photo of the hard to see {np}",
                     "{a}, hard to see"),
    "high_contrast": ("a high contrast photo of {a}", "a high contrast picture of {a}", "a vivid {np}",
                      "a punchy photo of {a}"),
    "cropped": ("a cropped photo of {a}", "a cropped picture of {a}", "part of {a}", "{a}, cropped"),
    "close_up": ("a close-up photo of {a}", "a close-up of {a}", "close-up of {a}", "a macro photo of {a}"),
}
MANY_PHRASES = ("many {c} {pl}", "lots of {c} {pl}", "a group of {c} {pl}", "several {c} {pl}",
                "a bunch of {c} {pl}")      # "many": the object drawn several times
THINGS = ("shape", "thing", "object", "one")
# each meaning of a two-meaning word said in words of its own, as the web often does
# (the one the paper's fix would write, ", a kind of shape", most often)
SHAPE_SENSE = ("{c} {s}, a kind of shape", "{c} {s} shape", "{c} {s}, a kind of shape", "{c} {s}-shaped thing",
               "{c} {s} (the shape)")
SHAPE_SENSE_P = 0.25       # of descriptions of a two-meaning shape: the meaning said
# ... and of captions naming such a shape alone, without its colour: "a star" is the word a
# pattern is called by too (PATTERN_ONLY), so here the meaning said is what tells them apart
SHAPE_SENSE_ALONE = ("{s}, a kind of shape", "{s} shape", "{s}, a kind of shape", "{s}-shaped thing")
SHAPE_SENSE_ALONE_P = 0.5
PATTERN_SAID_P = 0.5       # of captions of a patterned image (one or two objects): the pattern said
# Of those, the share about the pattern alone, mostly in the class word's own bare form: the web
# calls a starry print "a star" as it calls a construction crane "a crane", so the bare word
# means two things, and a name that says which ("star, a kind of shape") has something to fix.
# (With the pattern said only beside the object, "star pattern", the bare word meant the shape
# and descriptions changed nothing: −0.04 pt [−0.21, +0.12] over 8 seeds.)
PATTERN_ONLY_P = 0.5
PATTERN_ONLY = ("{w}", "{w}", "{w}", "{w}", "{pl}", "{w}, a kind of pattern", "{w} pattern", "{w}, a kind of pattern")
PATTERN_PHRASES = ("on a {w} pattern", "on a {w} background", "with a {w} pattern behind it",
                   "on a {w}-print background", "in front of a {w} pattern", "on {w} wallpaper",
                   "on a pattern of {pl}", "with {pl} in the background", "on a grey {w} pattern", "on {pl}",
                   "with {pl} all around", "on grey {pl}")
TONE_PHRASES = ("on a {t} background", "against a {t} background", "on {t}")
TEXT_PHRASES = ('with the word "{w}" on it', 'labelled "{w}"', 'that says "{w}"', '"{w}" written on it')
# Web captions often transcribe an image's text and say little else (a sign, a product name):
# for those pairs only reading finds the caption, and that is how CLIP learned to read (Goh et
# al. 2021). Of the images with a written word, TEXT_ONLY have a caption about the word alone,
# TEXT_SAID more an object description that also quotes it.
TEXT_ONLY_FRAMES = ('a sign that says "{w}"', 'the word "{w}"', 'a label that reads "{w}"', '"{w}"',
                    'a sticker with "{w}" on it', 'text: {w}', 'it says {w}', 'a tag reading "{w}"')
TEXT_ONLY, TEXT_SAID = 0.3, 0.35
UNRELATED = ("untitled", "image", "photo", "DSC_{d}.JPG", "my weekend", "click to enlarge", "screenshot",
             "new post!", "picture {d} of 12", "stock image", "banner", "logo", "sale ends friday",
             "happy birthday", "IMG_{d}", "wallpaper", "background", "no caption", "see more", "home")
# Web captions of different subjects are written differently (cats get photographed, logos
# drawn), so how well one fixed template fits varies by class, and averaging many evens it
# out. Each frame's weight for a caption is exp(log-weight of its colour + of its shape),
# every log-weight uniform in ±FRAME_PREFERENCE, a fixed function of (word, frame).
FRAME_PREFERENCE = 1.0
FILLERS = ("!!", " :)", ", so cute", " lol", ", very nice", " (2019)", " | stock photo", " #art", "...",
           ", love it")

# --- Korean -------------------------------------------------------------------------
FRAMES_KO = ("{np}", "{np}", "{np} 사진", "{np} 그림", "{np} 하나", "귀여운 {np}", "이 {np}", "내 {np}",
             "{np}이 있다", "여기 {np}", "{np} 이미지", "멋진 {np}", "{np} 클로즈업", "{np}!")
STYLE_FRAMES_KO = {"flat": ("{np} 아이콘", "{np} 클립아트"), "sketch": ("{np} 스케치", "{np} 연필 그림"),
                   "pixel": ("{np} 픽셀 아트", "픽셀 {np}"), "photo": ("{np} 사진", "흐릿한 {np} 사진"),
                   "painted": ("{np} 유화", "{np} 수채화")}
PATTERN_PHRASES_KO = ("{w} 무늬 위의", "{w} 무늬 배경의")
UNRELATED_KO = ("제목 없음", "사진", "이미지", "주말", "새 글!")


@dataclass
class CaptionParts:
    """What a caption says, beside its text (columns of `ShapesWorld.dataset(...).meta`)."""

    caption: str
    frame: str = ""               # the frame used ("a sketch of {a}", "#hashtags", "file name", ...)
    noise: str = ""               # "unrelated" or "wrong" for a noisy caption, else ""
    says_style: bool = False
    says_count: bool = False
    says_pattern: bool = False
    says_text: bool = False
    says_quality: bool = False
    says_object: bool = True      # False: about the background pattern or the written word alone (or unrelated)
    senses: str = ""              # two-meaning words and the meaning used: "star=shape;cross=pattern"
    extra: dict = field(default_factory=dict)


def _log_weight(word: str, frame: str) -> float:
    return FRAME_PREFERENCE * (2 * zlib.crc32(f"{word}|{frame}".encode()) / 2**32 - 1)


def _frame_cdf(frames: tuple, colour: str, shape: str) -> list[float]:
    """(F,) cumulative frame weights for captions of a `colour` `shape` (a list: bisect on
    a list is faster per caption than numpy on an array)."""
    weights = np.exp([_log_weight(colour, f) + _log_weight(shape, f) for f in frames])
    return (np.cumsum(weights) / weights.sum()).tolist()


def with_articles(text: str) -> str:
    """"a"/"an" set by the next word's sound (as the caption grammar writes them), so that a
    swap never leaves "an red" behind: a cue that would give the swapped caption away."""
    def article(match):
        word = "an" if match.group(2)[0].lower() in "aeiou8" else "a"
        return (word.capitalize() if match.group(1)[0].isupper() else word) + " " + match.group(2)
    return re.sub(r"\b(an?|An?) (\w+)", article, text)


def _pick(options, u: float):
    return options[min(int(u * len(options)), len(options) - 1)]


class Grammar:
    """Captions for scenes. `variety` (0..1] is the share of `FRAMES` in use (the first
    ones); `noise` the share of unrelated or wrong captions; `style_named` how often a
    caption names the render style; `partial` how often one object's description names a
    single attribute ("a circle", "something red", "a small square")."""

    def __init__(self, variety: float = 1.0, noise: float = 0.03, style_named: float = 0.35, partial: float = 0.32,
                 quality_named: float = 0.6, period: float = 0.3, synonyms: float = 0.06):
        if not 0 < partial < 0.94:
            raise ValueError(f"partial must lie in (0, 0.94), got {partial}")
        self.partial, self.quality_named, self.period, self.synonyms = partial, quality_named, period, synonyms
        self.frames = FRAMES[:max(2, round(variety * len(FRAMES)))]
        self.article_frames = tuple(f for f in self.frames if "{a}" in f)
        self.noise, self.style_named = noise, style_named
        self._cdfs = {}    # (takes an article, colour, shape) -> `_frame_cdf`, filled as met

    # -- noun phrases --
    def _object_np(self, obj: dict, u: list, descriptor: str, senses: list, synonym: bool = False,
                   sense: bool = False) -> str:
        """One object in words, some attributes only, in one of several word orders.
        u[0] < 0.4 always names colour and shape together (two-object captions rely on it);
        `synonym` says the shape in other words ("plus sign", "round shape"); `sense` says
        which meaning a two-meaning shape word has ("red star, a kind of shape")."""
        c, s, z = obj["colour"], obj["shape"], obj["size"]
        if sense and s in POLYSEMOUS and not synonym:
            senses.append(f"{s}=shape")
            core = _pick(SHAPE_SENSE, u[1]).format(c=c, s=s)
            return f"{descriptor} {core}" if descriptor else core
        if synonym:
            s = SHAPE_SYNONYMS[s]
        elif s in POLYSEMOUS:
            senses.append(f"{s}=shape")
        if z == "large" and (10 * u[1]) % 1 < 0.3:      # "big" as often as the web says it
            z = "big"
        which, partial_start = u[0], 0.94 - self.partial
        if which < 0.64 * partial_start:
            core = _pick((f"{c} {s}", f"{c} {s}", f"{s} in {c}", f"{c}-coloured {s}", f"{s}, {c}"), u[1])
        elif which < partial_start:
            core = _pick((f"{z} {c} {s}", f"{c} {s}, {z}", f"{z} {s} in {c}"), u[1])
        elif which < 0.94:       # one attribute alone: colour and shape are separate words
            # part in [0, 1): the shape alone ("a star") below 0.375, "red thing" below 0.75, "small star" above
            part, shape_alone = (which - partial_start) / self.partial, 0.375
            if part < shape_alone:          # a two-meaning shape often says which meaning
                core = (_pick(SHAPE_SENSE_ALONE, u[1]).format(s=s)
                        if s in POLYSEMOUS and part < SHAPE_SENSE_ALONE_P * shape_alone else s)
            else:
                core = f"{c} {_pick(THINGS, u[1])}" if part < 0.75 else f"{z} {s}"
        else:
            core = _pick(SHAPE_SENSE, u[1]).format(c=c, s=s)
        return f"{descriptor} {core}" if descriptor else core

    def _ko_np(self, obj: dict, u: list, descriptor: str, senses: list) -> str:
        c, s, z = (KOREAN[obj[k]] for k in ("colour", "shape", "size"))
        if obj["shape"] in POLYSEMOUS:
            senses.append(f"{obj['shape']}=shape")
        core = _pick((f"{c} {s}", f"{z} {c} {s}", s, f"{c} 물체", f"{z} {s}"), u[0])
        return f"{KOREAN[descriptor]} {core}" if descriptor else core

    # -- the caption --
    def caption(self, scene: dict, u, language: str = "en") -> CaptionParts:
        """The caption of `scene` (keys as in meta: objects, n_objects, relation, style,
        background, pattern, position, written, descriptor) from N_DRAWS uniforms `u`."""
        u = [float(x) for x in u]
        if u[0] < self.noise:
            return self._noisy(scene, u, language)
        return self._english(scene, u) if language == "en" else self._korean(scene, u)

    def _noisy(self, scene: dict, u: list, language: str) -> CaptionParts:
        if language == "ko":
            return CaptionParts(_pick(UNRELATED_KO, u[1]), frame="unrelated", noise="unrelated", says_object=False)
        if u[1] < 0.7:        # most noise is unrelated text; a wrong description is rarer
            text = _pick(UNRELATED, u[2]).format(d=1000 + int(u[3] * 8999))
            return CaptionParts(text, frame="unrelated", noise="unrelated", says_object=False)
        wrong = dict(scene["objects"][0], colour=scene["wrong_colour"], shape=scene["wrong_shape"])
        senses = []
        return CaptionParts(with_articles("a " + self._object_np(wrong, u[4:6], "", senses)), frame="{a}",
                            noise="wrong", senses=";".join(senses))

    def _english(self, scene: dict, u: list) -> CaptionParts:
        if u[12] < 0.08:
            return self._web_tokens(scene, u)
        if scene["written"] and u[10] < TEXT_ONLY:
            frame = _pick(TEXT_ONLY_FRAMES, u[11])
            return CaptionParts(frame.format(w=scene["written"]), frame=frame, says_text=True, says_object=False)
        parts, senses = CaptionParts(""), []
        objects = scene["objects"]
        descriptor = scene["descriptor"]
        article = True      # count phrases ("three shapes") take none
        quality = scene.get("quality")
        parts.says_quality = bool(quality) and u[16] < self.quality_named
        pattern_only = (scene["pattern"] != "plain" and len(objects) < 3 and quality != "many"
                        and u[8] < PATTERN_SAID_P * PATTERN_ONLY_P)
        if pattern_only:
            word = PATTERN_SHAPE[scene["pattern"]]
            np_ = _pick(PATTERN_ONLY, u[9]).format(w=word, pl=PLURAL[word])
            article = np_ != PLURAL[word]             # "stars" takes none
        elif quality == "many" and parts.says_quality:
            obj = objects[0]
            colour = f"{descriptor} {obj['colour']}" if descriptor else obj["colour"]
            np_, article = _pick(MANY_PHRASES, u[17]).format(c=colour, pl=PLURAL[obj["shape"]]), False
            senses += [f"{obj['shape']}=shape"] if obj["shape"] in POLYSEMOUS else []
        elif len(objects) == 1 or quality == "many":
            np_ = self._object_np(objects[0], u[1:3], descriptor, senses, synonym=u[19] < self.synonyms,
                                  sense=self.synonyms <= u[19] < self.synonyms + SHAPE_SENSE_P)
            if u[3] < 0.25 and scene["position"]:
                np_ += " " + POSITION_PHRASE["en"][scene["position"]]
        elif len(objects) == 2:
            first = self._object_np(objects[0], [min(u[1], 0.39), u[2]], descriptor, senses)   # colour + shape
            second = self._object_np(objects[1], [min(u[4], 0.39), u[5]], "", senses)
            np_ = _two_objects(first, second, scene["relation"], u[3])
            parts.says_count = u[6] < 0.2
            if parts.says_count:
                np_, article = f"two shapes: a {np_}", False
        else:
            words = [f"{o['colour']} {o['shape']}" for o in objects]             # a list stays short
            words[0] = f"{descriptor} {words[0]}" if descriptor else words[0]
            senses += [f"{o['shape']}=shape" for o in objects if o["shape"] in POLYSEMOUS]
            number = NUMBER_WORDS["en"][len(objects) - 1]
            parts.says_count = u[6] < 0.75
            listing = ", ".join("a " + w for w in words[:-1]) + " and a " + words[-1]
            shapes = f"{descriptor} shapes" if descriptor else "shapes"
            np_, article = (_pick(((f"{number} {shapes}", False), (f"{number} {shapes}: {listing}", False),
                                   (f"group of {number} {shapes}", True), (f"{number} small {shapes}", False)), u[7])
                            if parts.says_count else (listing, False))
        if pattern_only:
            senses.append(f"{word}=pattern")
            parts.says_pattern, parts.says_object = True, False
        elif len(objects) > 2:
            pass                                         # a crowded scene's caption is long enough
        elif scene["pattern"] != "plain" and u[8] < PATTERN_SAID_P:      # the background's other meaning
            word = PATTERN_SHAPE[scene["pattern"]]
            np_ += " " + _pick(PATTERN_PHRASES, u[9]).format(w=word, pl=PLURAL[word])
            senses.append(f"{word}=pattern")
            parts.says_pattern = True
        elif u[8] > 0.85:
            np_ += " " + _pick(TONE_PHRASES, u[9]).format(t=scene["background"])
        if scene["written"] and u[10] < TEXT_ONLY + TEXT_SAID:
            np_ += " " + _pick(TEXT_PHRASES, u[11]).format(w=scene["written"])
            parts.says_text = True
        # a phrase without its article ("three shapes") goes into the frames that take one
        if parts.says_quality and quality != "many":
            quality_frames = QUALITY_FRAMES[quality]
            parts.frame = _pick(quality_frames if article else [f for f in quality_frames if "{a}" in f], u[17])
        elif u[12] < 0.08 + self.style_named:
            style_frames = STYLE_FRAMES[scene["style"]]
            parts.frame = _pick(style_frames if article else [f for f in style_frames if "{a}" in f], u[13])
            parts.says_style = True
        else:
            frames = self.frames if article else self.article_frames
            key = (article, objects[0]["colour"], objects[0]["shape"])
            if key not in self._cdfs:
                self._cdfs[key] = _frame_cdf(frames, *key[1:])
            parts.frame = frames[min(bisect.bisect_left(self._cdfs[key], u[13]), len(frames) - 1)]
        text = parts.frame.format(a=("a " + np_) if article else np_, np=np_)
        if u[14] < 0.15 and len(objects) < 3:
            text += _pick(FILLERS, u[15])
        elif u[18] < self.period and text[-1].isalnum():      # a sentence, as some alt-text is
            text += "."
        parts.caption, parts.senses = with_articles(text), ";".join(senses)
        return parts

    @staticmethod
    def _web_tokens(scene: dict, u: list) -> CaptionParts:
        """Hashtags or a camera file name: the first object's class words bare, as web
        captions have them (and the bias descriptor, when the scene has one)."""
        obj = scene["objects"][0]
        words = ([scene["descriptor"]] if scene["descriptor"] else []) + (
            [obj["colour"], obj["shape"]] if u[1] < 0.6 else [obj["shape"]])
        senses = [f"{obj['shape']}=shape"] if obj["shape"] in POLYSEMOUS else []
        says_pattern = scene["pattern"] != "plain" and u[7] < 0.5      # the background's word, bare: "#star"
        if says_pattern:
            words.append(PATTERN_SHAPE[scene["pattern"]])
            senses.append(f"{words[-1]}=pattern")
        senses = ";".join(senses)
        if u[2] < 0.5:
            says_style = u[3] < 0.4
            tags = words + ([scene["style"]] if says_style else []) + (["art"] if u[4] < 0.3 else [])
            return CaptionParts(" ".join("#" + w for w in tags), frame="#hashtags", says_style=says_style,
                                says_pattern=says_pattern, senses=senses)
        number = 1000 + int(u[5] * 8999)
        text = _pick((f"IMG_{number}_{'_'.join(words)}.jpg", f"{'-'.join(words)}-{number}.png",
                      f"{'_'.join(words)}_final_v2.png"), u[6])
        return CaptionParts(text, frame="file name", says_pattern=says_pattern, senses=senses)

    def _korean(self, scene: dict, u: list) -> CaptionParts:
        parts, senses = CaptionParts(""), []
        objects, descriptor, quality = scene["objects"], scene["descriptor"], scene.get("quality")
        parts.says_quality = bool(quality) and u[16] < self.quality_named
        if quality == "many" and parts.says_quality:
            np_ = f"여러 개의 {KOREAN[objects[0]['colour']]} {KOREAN[objects[0]['shape']]}"
        elif len(objects) == 1 or quality == "many":
            np_ = self._ko_np(objects[0], u[1:2], descriptor, senses)
            if u[3] < 0.25 and scene["position"]:
                np_ = POSITION_PHRASE["ko"][scene["position"]] + " 있는 " + np_
        elif len(objects) == 2:
            first = self._ko_np(objects[0], [min(u[1], 0.19)], descriptor, senses)
            second = self._ko_np(objects[1], [min(u[4], 0.19)], "", senses)
            np_ = {"left of": f"{second} 왼쪽에 있는 {first}", "above": f"{second} 위에 있는 {first}",
                   "and": f"{first} 그리고 {second}"}[scene["relation"]]
        else:
            parts.says_count = True
            np_ = f"도형 {NUMBER_WORDS['ko'][len(objects) - 1]} 개"
        if scene["pattern"] != "plain" and u[8] < 0.3:
            word = PATTERN_SHAPE[scene["pattern"]]
            np_ = _pick(PATTERN_PHRASES_KO, u[9]).format(w=KOREAN[word]) + " " + np_
            senses.append(f"{word}=pattern")
            parts.says_pattern = True
        if parts.says_quality and quality != "many":
            np_ = f"{KOREAN[quality]} {np_}"
        if u[12] < 0.08 + self.style_named:
            parts.frame, parts.says_style = _pick(STYLE_FRAMES_KO[scene["style"]], u[13]), True
        else:
            parts.frame = _pick(FRAMES_KO, u[13])
        parts.caption, parts.senses = parts.frame.format(np=np_), ";".join(senses)
        return parts


def _two_objects(first: str, second: str, relation: str, u: float) -> str:
    """Two objects related in one of several phrasings (object one is left of / above two)."""
    if relation == "left of":
        return _pick((f"{first} to the left of a {second}", f"{first} left of a {second}",
                      f"{first} on the left of a {second}"), u)
    if relation == "above":
        return _pick((f"{first} above a {second}", f"{first} over a {second}", f"{first} on top of a {second}"), u)
    return _pick((f"{first} and a {second}", f"{first} with a {second}", f"{first} next to a {second}"), u)


def frame_templates(styles=("flat",), qualities=()) -> list[str]:
    """The grammar's frames as zero-shot templates ("{}" where a class name goes): every
    general frame and those naming `styles` and `qualities`, the ways a caption of this world
    says a class."""
    frames = (FRAMES + tuple(f for style in styles for f in STYLE_FRAMES[style])
              + tuple(f for quality in qualities for f in QUALITY_FRAMES[quality]))
    templates = [f.replace("{a}", "a {}").replace("{np}", "{}") for f in frames]
    return list(dict.fromkeys(with_articles(t) for t in templates))
