"""Sentiment and emotion: the trained heads, overridden by explicit signals when those fire."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from consigndesk.domain.taxonomy import Emotion, Sentiment
from consigndesk.triage.model import Prediction
from consigndesk.triage.signals import SignalHit

MODEL_MIN_CONFIDENCE = 0.5  # below this the heads' guess is not trusted over "neutral/none"


@dataclass(frozen=True, slots=True)
class Mood:
    sentiment: Sentiment
    emotion: Emotion
    reasons: tuple[str, ...]


def assess_mood(
    sentiment: Prediction | None, emotion: Prediction | None, hits: Sequence[SignalHit]
) -> Mood:
    """Anger signals beat anxiety signals beat the model; any anger/anxiety makes it negative."""
    reasons = [hit.reason for hit in hits]
    signalled = {hit.emotion for hit in hits if hit.emotion}
    if Emotion.ANGER in signalled:
        chosen_emotion = Emotion.ANGER
    elif Emotion.ANXIETY in signalled:
        chosen_emotion = Emotion.ANXIETY
    elif emotion is not None and emotion.confidence >= MODEL_MIN_CONFIDENCE:
        chosen_emotion = Emotion(emotion.label)
        if chosen_emotion is not Emotion.NONE:
            reasons.append(f"emotion model: {emotion.label} ({emotion.confidence:.2f})")
    else:
        chosen_emotion = Emotion.NONE

    if chosen_emotion is not Emotion.NONE:
        chosen_sentiment = Sentiment.NEGATIVE
    elif any(hit.sentiment == Sentiment.POSITIVE for hit in hits):
        chosen_sentiment = Sentiment.POSITIVE
    elif sentiment is not None and sentiment.confidence >= MODEL_MIN_CONFIDENCE:
        chosen_sentiment = Sentiment(sentiment.label)
        if chosen_sentiment is not Sentiment.NEUTRAL:
            reasons.append(f"sentiment model: {sentiment.label} ({sentiment.confidence:.2f})")
    else:
        chosen_sentiment = Sentiment.NEUTRAL
    return Mood(chosen_sentiment, chosen_emotion, tuple(reasons))
