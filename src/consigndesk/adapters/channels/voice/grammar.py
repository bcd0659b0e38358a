"""What callers of a consignment platform say, as a JSGF grammar, and spoken digits → text.

Free dictation with PocketSphinx's general English model gets most words of a phone request wrong;
a grammar of the requests customers actually make is decoded almost exactly (ADR 0501). Speech
outside the grammar is not forced into it: the decoder's result is checked against the grammar and
the caller falls back to the general model.
"""

from __future__ import annotations

import re

GRAMMAR_NAME = "consignment_calls"

GRAMMAR = """#JSGF V1.0;
grammar consignment_calls;

<digit> = zero | oh | one | two | three | four | five | six | seven | eight | nine;
<order_number> = [j s] <digit>+;
<goods> = order | parcel | package | delivery | item;
<code> = card code | code | gift card | activation key;
<money> = refund | payout | money;
<not_working> = is not working | does not work | is invalid | was already used;

<logistics> = where is my <goods>
  | i want to (check | track) the status of my (<goods> | <money>)
  | i want to (check | track) my <goods>
  | my <goods> (has not arrived | is late | is lost)
  | i did not receive my (<goods> | <code> | <money>)
  | the tracking (number | status) (shows | says) delivered but i did not receive (it | my <goods>);
<refund> = i (want | need) (a refund | my money back) [for my (order | last purchase)]
  | i want to return my <goods>
  | when will i get my <money>;
<cancel> = [please] cancel my order [please]
  | i want to cancel my order
  | i want to change my (address | order);
<digital> = my <code> <not_working>;
<payment> = i was charged twice [for the same order]
  | my payment failed
  | i paid but my order is not updated;
<account> = i forgot my password
  | i cannot log in
  | my account (is frozen | was hacked | is locked);
<people> = i want to (speak | talk) to (an agent | a person | someone);
<dispute> = the item is (fake | not as described | broken | damaged);
<complaint> = i want to make a complaint;
<order_ref> = my order number is <order_number>;

<request> = <logistics> | <refund> | <cancel> | <digital> | <payment> | <account> | <people>
  | <dispute> | <complaint> | <order_ref>;
public <call> = [hello] <request> [<order_ref>] [please | thank you];
"""

_DIGITS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_ALT_PRONUNCIATION = re.compile(r"\(\d+\)$")  # cmudict variants come back as "word(2)"


def written(words: str) -> str:
    """Decoder output → text a person (and triage) reads: digits as digits, `JS…` order numbers."""
    tokens = [_ALT_PRONUNCIATION.sub("", t) for t in words.split()]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        prefix = ""
        j = i
        if tokens[i : i + 2] == ["j", "s"] and i + 2 < len(tokens) and tokens[i + 2] in _DIGITS:
            prefix, j = "JS", i + 2
        digits = ""
        while j < len(tokens) and tokens[j] in _DIGITS:
            digits += _DIGITS[tokens[j]]
            j += 1
        # A lone "oh" or "one" is a word, not a number; two digits or more are a number.
        if len(digits) >= 2 or (prefix and digits):
            out.append(prefix + digits)
            i = j
        else:
            out.append("I" if tokens[i] == "i" else tokens[i])
            i += 1
    text = " ".join(out)
    return text[:1].upper() + text[1:]
